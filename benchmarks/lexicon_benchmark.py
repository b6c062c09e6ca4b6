"""Lexicon analyzer vs VADER: accuracy on SST-2 / SST-5 dev and polarity throughput, side by side.

    .venv/bin/python benchmarks/lexicon_benchmark.py [--data-dir ../shared/data] [--out PATH]

Accuracy
- SST-2 dev (binary): a text is positive when its polarity score is >= 0, negative otherwise. The
  lexicon's "neutral" label (|score| <= 0.05) is thus split by the sign of the score, and a score of
  exactly 0 (no sentiment word) counts as positive, SST-2 train's majority class. VADER's compound
  score is mapped the same way.
- SST-5 dev (5 classes): the lexicon's fine-grained label (bins fitted on SST-5 train, see
  sentiment/lexicon/fine_grained.py). For reference VADER's compound is binned by edges fitted the
  same way on SST-5 train.

Throughput: `LexiconAnalyzer().analyze_batch(texts, modes=["polarity"])` (tokenization, rules,
result objects) against `SentimentIntensityAnalyzer().polarity_scores(text)` for each text, on the
same texts, alternating the two for several rounds; docs/s is the best round of each and the ratio
is also given as the median of the per-round ratios. Two corpora: the SST-2 + SST-5 dev sentences
(one sentence each, ~20 tokens) and "reviews" of five consecutive SST-2 dev sentences joined.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from sentiment.lexicon.analyzer import LexiconAnalyzer  # noqa: E402
from sentiment.lexicon.fine_grained import best_edges  # noqa: E402
from sentiment.types import FINE_GRAINED_LABELS  # noqa: E402

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "lexicon_results.json"
DEFAULT_ROUNDS = 5
SENTENCES_PER_REVIEW = 5


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def binary_accuracy(scores: list[float], gold_positive: list[bool]) -> float:
    return sum((score >= 0) == gold for score, gold in zip(scores, gold_positive)) / len(gold_positive)


def fine_accuracy(predicted: list[int], gold: list[int]) -> float:
    return sum(p == g for p, g in zip(predicted, gold)) / len(gold)


def bin_index(edges: list[float], score: float) -> int:
    return sum(score > edge for edge in edges)  # as FineGrainedScorer: an edge belongs to the lower bin


def measure_throughput(analyzer: LexiconAnalyzer, vader: SentimentIntensityAnalyzer, texts: list[str], rounds: int) -> dict:
    ours_rates, vader_rates = [], []
    analyzer.analyze_batch(texts[:50], modes=["polarity"])  # warm caches
    for _ in range(rounds):
        start = time.perf_counter()
        analyzer.analyze_batch(texts, modes=["polarity"])
        ours_rates.append(len(texts) / (time.perf_counter() - start))
        start = time.perf_counter()
        for text in texts:
            vader.polarity_scores(text)
        vader_rates.append(len(texts) / (time.perf_counter() - start))
    return {
        "texts": len(texts),
        "rounds": rounds,
        "lexicon_docs_per_s": round(max(ours_rates)),
        "vader_docs_per_s": round(max(vader_rates)),
        "ratio_best": round(max(ours_rates) / max(vader_rates), 2),
        "ratio_median": round(statistics.median(o / v for o, v in zip(ours_rates, vader_rates)), 2),
        "lexicon_rounds": [round(rate) for rate in ours_rates],
        "vader_rounds": [round(rate) for rate in vader_rates],
    }


def reviews(sentences: list[str]) -> list[str]:
    """Multi-sentence documents: consecutive sentences joined, as in a product or film review."""
    step = SENTENCES_PER_REVIEW
    return [" ".join(sentences[i : i + step]) for i in range(0, len(sentences) - step + 1, step)]


def run(data_dir: Path, rounds: int) -> dict:
    analyzer = LexiconAnalyzer()
    vader = SentimentIntensityAnalyzer()

    sst2 = read_jsonl(data_dir / "sst2" / "dev.jsonl")
    sst2_texts = [row["text"] for row in sst2]
    sst2_gold = [row["label"] == "positive" for row in sst2]
    ours2 = [a.polarity.score for a in analyzer.analyze_batch(sst2_texts, modes=["polarity"])]
    vader2 = [vader.polarity_scores(text)["compound"] for text in sst2_texts]

    sst5 = read_jsonl(data_dir / "sst5" / "dev.jsonl")
    sst5_texts = [row["text"] for row in sst5]
    sst5_gold = [int(row["label"]) - 1 for row in sst5]
    ours5 = [
        FINE_GRAINED_LABELS.index(a.fine_grained.label)
        for a in analyzer.analyze_batch(sst5_texts, modes=["fine_grained"])
    ]
    train5 = read_jsonl(data_dir / "sst5" / "train.jsonl")
    vader_edges, _ = best_edges(
        [round(vader.polarity_scores(row["text"])["compound"], 6) for row in train5],
        [int(row["label"]) - 1 for row in train5],
    )
    vader5 = [bin_index(vader_edges, vader.polarity_scores(text)["compound"]) for text in sst5_texts]

    return {
        "sst2_dev": {
            "examples": len(sst2),
            "mapping": "positive iff score >= 0 (both analyzers)",
            "lexicon_accuracy": round(binary_accuracy(ours2, sst2_gold), 4),
            "vader_accuracy": round(binary_accuracy(vader2, sst2_gold), 4),
            "lexicon_no_evidence_rate": round(sum(score == 0 for score in ours2) / len(ours2), 4),
            "vader_no_evidence_rate": round(sum(score == 0 for score in vader2) / len(vader2), 4),
        },
        "sst5_dev": {
            "examples": len(sst5),
            "lexicon_accuracy": round(fine_accuracy(ours5, sst5_gold), 4),
            "lexicon_edges": list(analyzer._fine_grained.edges),
            "vader_accuracy_with_fitted_bins": round(fine_accuracy(vader5, sst5_gold), 4),
            "vader_edges_fitted_on_sst5_train": vader_edges,
        },
        "throughput": measure_throughput(analyzer, vader, sst2_texts + sst5_texts, rounds),
        "throughput_reviews": measure_throughput(analyzer, vader, reviews(sst2_texts), rounds),
        "environment": {"python": platform.python_version(), "machine": platform.machine()},
    }


def print_table(results: dict) -> None:
    sst2, sst5, speed = results["sst2_dev"], results["sst5_dev"], results["throughput"]
    long = results["throughput_reviews"]
    rows = [
        ("SST-2 dev accuracy", f"{sst2['lexicon_accuracy']:.4f}", f"{sst2['vader_accuracy']:.4f}"),
        ("SST-5 dev accuracy", f"{sst5['lexicon_accuracy']:.4f}", f"{sst5['vader_accuracy_with_fitted_bins']:.4f}"),
        ("polarity docs/s, sentences", f"{speed['lexicon_docs_per_s']}", f"{speed['vader_docs_per_s']}"),
        (f"polarity docs/s, {SENTENCES_PER_REVIEW}-sentence docs", f"{long['lexicon_docs_per_s']}", f"{long['vader_docs_per_s']}"),
    ]
    print(f"{'':36}{'lexicon':>10}{'VADER':>10}")
    for name, ours, theirs in rows:
        print(f"{name:36}{ours:>10}{theirs:>10}")
    for name, block in (("sentences", speed), (f"{SENTENCES_PER_REVIEW}-sentence docs", long)):
        print(f"throughput ratio, {name}: {block['ratio_best']}x (best rounds), {block['ratio_median']}x (median of rounds)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    args = parser.parse_args(argv)
    results = run(args.data_dir, args.rounds)
    results["command"] = "python benchmarks/lexicon_benchmark.py " + " ".join(argv or sys.argv[1:])
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
