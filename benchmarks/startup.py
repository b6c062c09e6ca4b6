"""Start-up benchmark of the command line: how long `sentiment analyze -a NAME -t TEXT` takes from
start to exit, and its peak memory, next to VADER's equivalent one-shot script (a benchmark, not a
test).

Each run is a fresh interpreter, so the time holds the imports (torch for the neural analyzers),
loading the analyzer's data and models, analyzing one text and printing it. The runs of all
commands alternate, round by round, and each command's median and fastest run are reported: the
2-core development machine is noisy.

    python -m benchmarks.startup                  # 5 rounds; lexicon, neural, hybrid and VADER
    python -m benchmarks.startup --rounds 9 --analyzers hybrid --modes all
    python -m benchmarks.startup --output startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = "The camera is great, but the battery dies within a day."
DEFAULT_ANALYZERS = ("lexicon", "neural", "hybrid")
# VADER's equivalent of one `sentiment analyze` run: import, build, score one text, print.
VADER_SCRIPT = (
    "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer\n"
    "print(SentimentIntensityAnalyzer().polarity_scores({text!r}))\n"
)
KIB_PER_MIB = 1024  # Linux reports ru_maxrss in KiB


def commands(analyzers: list[str], modes: str) -> dict[str, list[str]]:
    """Each label's command line: the CLI per analyzer, and VADER's script."""
    cli = [sys.executable, "-m", "sentiment.cli.main", "analyze", "--text", TEXT, "--mode", modes, "--format", "json"]
    found = {f"sentiment analyze -a {name} -m {modes}": [*cli, "--analyzer", name] for name in analyzers}
    found["vader (import, build, score one text)"] = [sys.executable, "-c", VADER_SCRIPT.format(text=TEXT)]
    return found


def run_once(command: list[str]) -> tuple[float, float]:
    """(seconds from start to exit, peak resident set size in MiB) of one run; fails loudly."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage: its peak memory alone
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} ... exited with {process.returncode}: {error[-2000:]}")
    return elapsed, usage.ru_maxrss / KIB_PER_MIB


def measure(labelled: dict[str, list[str]], rounds: int) -> list[dict]:
    times: dict[str, list[float]] = {label: [] for label in labelled}
    peaks: dict[str, float] = {label: 0.0 for label in labelled}
    for _ in range(rounds):
        for label, command in labelled.items():
            seconds, peak = run_once(command)
            times[label].append(seconds)
            peaks[label] = max(peaks[label], peak)
    return [
        {
            "command": label,
            "median_s": round(statistics.median(runs), 3),
            "fastest_s": round(min(runs), 3),
            "runs_s": [round(s, 3) for s in runs],
            "peak_rss_mib": round(peaks[label], 1),
        }
        for label, runs in times.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--analyzers", nargs="+", default=list(DEFAULT_ANALYZERS))
    parser.add_argument("--modes", default="polarity", help="the --mode of every run (e.g. all)")
    parser.add_argument("--output", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    rows = measure(commands(args.analyzers, args.modes), args.rounds)
    print(f"| command | median s | fastest s | peak RSS MiB |  ({args.rounds} alternating rounds)")
    print("| --- | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['command']} | {row['median_s']:.2f} | {row['fastest_s']:.2f} | {row['peak_rss_mib']:.0f} |")
    if args.output:
        args.output.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
