"""Placeholder entry point; the CLI is being written."""
def main() -> None:
    raise SystemExit("not yet")
