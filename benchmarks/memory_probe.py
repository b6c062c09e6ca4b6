"""Peak memory of one analyzer, measured in a fresh interpreter (run by benchmarks/run.py).

`python -m benchmarks.memory_probe --analyzer NAME --texts FILE.json --modes polarity,...`
imports the library, builds the analyzer, analyzes the texts in the given modes and prints one JSON
object with the process's peak resident set size (which counts the interpreter, the libraries and
the analyzer's data together) after the imports and at the end.

The peak is `VmHWM` from /proc/self/status. `resource.getrusage(...).ru_maxrss` is the fallback
only: Linux carries a parent's ru_maxrss over fork and exec, so a probe started by a big benchmark
process would report the parent's peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

# Linux reports VmHWM and ru_maxrss in KiB.
KIB_PER_MIB = 1024
# Texts per analyze_batch call, as in the accuracy runs.
BATCH_SIZE = 256


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / KIB_PER_MIB  # reported in kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--analyzer", required=True)
    parser.add_argument("--texts", required=True, type=Path, help="a JSON list of texts")
    parser.add_argument("--modes", required=True, help="comma-separated modes")
    args = parser.parse_args(argv)

    import sentiment
    from benchmarks.peers import PEERS

    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    after_imports = peak_rss_mib()
    if args.analyzer in PEERS:
        analyzer = PEERS[args.analyzer]()
    else:
        analyzer = sentiment.get_analyzer(args.analyzer)
    modes = args.modes.split(",")
    for start in range(0, len(texts), BATCH_SIZE):
        analyzer.analyze_batch(texts[start : start + BATCH_SIZE], modes)
    torch = sys.modules.get("torch")
    print(
        json.dumps(
            {
                "analyzer": args.analyzer,
                "modes": modes,
                "texts": len(texts),
                "rss_after_imports_mib": round(after_imports, 1),
                "peak_rss_mib": round(peak_rss_mib(), 1),
                "torch_threads": torch.get_num_threads() if torch is not None else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
