"""Benchmark of the trained aspect analyzers: term extraction, aspect polarity and latency.

For each data set: exact-span term precision / recall / F1 of the neural tagger, the lexicon
heuristic and the hybrid; accuracy and macro-F1 of the polarity each gives to the gold terms
(conflict terms left out); and the time to analyze one review sentence with its aspects (batch
of one, torch with one thread), median and 95th percentile.

    python benchmarks/aspect_benchmark.py --split dev             # tuning: dev splits only
    python benchmarks/aspect_benchmark.py --split test --out benchmarks/aspect-results.json

Dev: SemEval-2014 has no dev file, so dev is the fixed 10% carved from train (seed 13); MAMS uses
its own dev file. The test splits are read only with `--split test`, for the final report.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from sentiment.aspects.analyzer import HybridAspectScorer, NeuralAspectScorer, load_lexicon_scorer
from sentiment.aspects.data import CONFLICT, load_split
from sentiment.aspects.evaluation import accuracy, extraction_score, macro_f1
from sentiment.text import tokenize

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA_SETS = ("semeval14_restaurants", "semeval14_laptops", "mams_atsa")
# The latency is measured on this many sentences of each set (after a warm-up of a few calls).
LATENCY_SENTENCES = 200
WARM_UP_CALLS = 5
THREADS = 1


def evaluate(name: str, split: str, root: Path, neural: NeuralAspectScorer, hybrid: HybridAspectScorer, lexicon) -> dict:
    sentences = load_split(root, name, split)
    texts = [s.text for s in sentences]
    gold_spans = [[(a.start, a.end) for a in s.aspects] for s in sentences]
    tokens = [tokenize(t) for t in texts]
    found = {
        "neural": [[(a.start, a.end) for a in r] for r in neural.score_batch(texts)],
        "lexicon": [[(a.start, a.end) for a in lexicon.score(t, toks)] for t, toks in zip(texts, tokens)],
        "hybrid": [[(a.start, a.end) for a in r] for r in hybrid.score_batch(texts)],
    }
    extraction = {system: extraction_score(gold_spans, spans).as_dict() for system, spans in found.items()}
    kept = [[a for a in s.aspects if a.polarity != CONFLICT] for s in sentences]
    spans = [[(a.start, a.end) for a in k] for k in kept]
    gold = [a.polarity for k in kept for a in k]

    def labels(results) -> list[str]:
        out = []
        for k, scored in zip(kept, results):
            by_span = {(a.start, a.end): a.polarity for a in scored}
            out.extend(by_span.get((a.start, a.end), "neutral") for a in k)
        return out

    predicted = {
        "neural": labels(neural.score_terms_batch(texts, spans)),
        "lexicon": labels([lexicon.score_terms(t, toks, s) for t, toks, s in zip(texts, tokens, spans)]),
        "hybrid": labels(hybrid.score_terms_batch(texts, spans)),
    }
    polarity = {
        system: {"accuracy": round(accuracy(gold, p), 4), "macro_f1": round(macro_f1(gold, p), 4)} for system, p in predicted.items()
    }
    with_terms = [t for t, s in zip(texts, sentences) if s.aspects][:LATENCY_SENTENCES]
    return {
        "data": f"{name}/{split}",
        "sentences": len(sentences),
        "gold_terms": sum(map(len, gold_spans)),
        "polarity_terms": len(gold),
        "extraction": extraction,
        "polarity": polarity,
        "latency_ms_per_sentence": {"neural": latency(neural, with_terms), "hybrid": latency(hybrid, with_terms)},
    }


def latency(scorer, texts: list[str]) -> dict[str, float]:
    for text in texts[:WARM_UP_CALLS]:
        scorer.score(text)
    times = []
    for text in texts:
        started = time.perf_counter()
        scorer.score(text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median": round(statistics.median(times), 2), "p95": round(times[int(0.95 * (len(times) - 1))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the shared data sets")
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--sets", nargs="+", default=list(DATA_SETS), choices=DATA_SETS)
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    lexicon = load_lexicon_scorer()
    neural = NeuralAspectScorer.load(args.models)
    hybrid = HybridAspectScorer.load(args.models, lexicon=lexicon)
    results = []
    for name in args.sets:
        result = evaluate(name, args.split, args.data, neural, hybrid, lexicon)
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.out:
        args.out.write_text(json.dumps({"split": args.split, "threads": THREADS, "results": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
