"""Unseen against seen texts: an analyzer's speed on texts it has not analyzed before in its
process, and on the same texts once more, next to VADER's (a benchmark, not a test).

`benchmarks/run.py` times rounds over the same texts after a warm-up, so anything an analyzer keeps
from one call to the next (a cache of hashed words, say) counts in its favour there. Here every
round is a fresh interpreter that builds the analyzer and analyzes the first half of the texts
(the first pass, which also pays one-time set-up such as the tables of the vocabulary words it
meets), then the second half twice (unseen, then seen), and runs VADER over the second half. The
ratios to VADER are per round; the medians are reported.

The MLP still pays, once per process, for each vocabulary word it meets for the first time (the sum
of its rows, kept for every later text): summing the whole vocabulary up front took ~0.35 s, more
than most runs ever spend on it.

    python -m benchmarks.first_pass                        # MLP, SST-5 test sentences, 5 rounds
    python -m benchmarks.first_pass --analyzer hybrid --data ../shared/data/womens_clothing_reviews/test.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sst5" / "test.jsonl"
BATCH_SIZE = 256  # texts per analyze_batch call, as in benchmarks/run.py
# Options of the analyzers timed: the builds batch scoring uses (no explanations, no sentences).
ANALYZERS = {
    "neural": {"explain": False, "sentences": False},
    "rnn": {"arch": "rnn", "explain": False, "sentences": False},
    "hybrid": {"explain": False, "sentences": False},
    "lexicon": {},
}


def one_round(analyzer: str, data: Path, limit: int) -> dict[str, float]:
    """In this process: seconds per text of the first pass (first half), of the second half
    unseen and seen, and of VADER on the second half."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from sentiment import get_analyzer

    with data.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines][:limit]
    if len(texts) < 2:
        raise ValueError(f"{data} has {len(texts)} text(s); two halves need at least 2")
    options = dict(ANALYZERS[analyzer])
    built = get_analyzer("neural" if analyzer == "rnn" else analyzer, **options)
    vader = SentimentIntensityAnalyzer()

    def analyzer_pass(part: list[str]) -> float:
        started = time.perf_counter()
        for start in range(0, len(part), BATCH_SIZE):
            built.analyze_batch(part[start : start + BATCH_SIZE], ["polarity"])
        return (time.perf_counter() - started) / len(part)

    first_half, second_half = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    first = analyzer_pass(first_half)
    unseen, seen = analyzer_pass(second_half), analyzer_pass(second_half)
    started = time.perf_counter()
    for text in second_half:
        vader.polarity_scores(text)
    return {"first": first, "unseen": unseen, "seen": seen, "vader": (time.perf_counter() - started) / len(second_half)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--analyzer", choices=sorted(ANALYZERS), default="neural")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSON Lines with a 'text' field")
    parser.add_argument("--limit", type=int, default=5000, help="texts used, from the start of the file")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round", action="store_true", help=argparse.SUPPRESS)  # one round, in a child process
    args = parser.parse_args(argv)
    if args.round:
        print(json.dumps(one_round(args.analyzer, args.data, args.limit)))
        return 0
    if not args.data.is_file():
        parser.error(f"no data file {args.data}")
    if args.limit < 2 or args.rounds < 1:
        parser.error("--limit must be at least 2 (two halves) and --rounds at least 1")
    command = [sys.executable, "-m", "benchmarks.first_pass", "--round", "--analyzer", args.analyzer,
               "--data", str(args.data.resolve()), "--limit", str(args.limit)]
    rounds = []
    for _ in range(args.rounds):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"a round exited with {done.returncode}: {done.stderr[-2000:]}")
        rounds.append(json.loads(done.stdout))
    print(f"{args.analyzer}, medians of {args.rounds} fresh processes:")
    print(f"  first pass (first half, with one-time set-up): {statistics.median(r['first'] for r in rounds) * 1e6:.1f} us/text")
    for name in ("unseen", "seen"):
        micros = statistics.median(r[name] for r in rounds) * 1e6
        ratio = statistics.median(r["vader"] / r[name] for r in rounds)
        print(f"  second half, {name}: {micros:.1f} us/text, {ratio:.2f}x VADER")
    print(f"  vader, second half: {statistics.median(r['vader'] for r in rounds) * 1e6:.1f} us/text")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
