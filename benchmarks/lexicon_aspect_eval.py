"""Evaluate the lexicon analyzer's aspect mode on SemEval-2014 and MAMS (train/dev splits only).

Two measures per data set:
- term extraction: precision / recall / F1 of predicted aspect spans against the gold spans,
  exact (same start and end) and loose (the spans overlap);
- polarity on gold terms: every gold term of a sentence is scored with `AspectScorer.score_terms`
  (its clause's opinions), compared with the gold label; "conflict" terms are left out. Two
  baselines run alongside: the majority label of the split, and the sentence's overall lexicon
  polarity given to every term of the sentence (what an analyzer without aspects would say).

    python benchmarks/lexicon_aspect_eval.py [--data /work/shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sentiment.lexicon.aspect import AspectScorer
from sentiment.lexicon.data import load_lexicon
from sentiment.lexicon.polarity import PolarityScorer
from sentiment.resources import lexicons_dir
from sentiment.text import tokenize
from sentiment.types import POLARITY_LABELS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Only train/dev splits: the test splits stay untouched for a final, unbiased measurement.
SPLITS = (
    ("semeval14_restaurants", "train"),
    ("semeval14_laptops", "train"),
    ("mams_atsa", "dev"),
)
LEFT_OUT_LABEL = "conflict"


@dataclass
class Counts:
    predicted: int = 0
    gold: int = 0
    exact: int = 0
    loose_predicted: int = 0
    loose_gold: int = 0


def _prf(hits_p: int, predicted: int, hits_r: int, gold: int) -> tuple[float, float, float]:
    precision = hits_p / predicted if predicted else 0.0
    recall = hits_r / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for label in POLARITY_LABELS:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        scores.append(_prf(tp, tp + fp, tp, tp + fn)[2])
    return sum(scores) / len(scores)


def evaluate(path: Path, scorer: AspectScorer, polarity: PolarityScorer, limit: int | None) -> dict:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")][:limit]
    counts = Counter()
    extraction = Counts()
    pairs: list[tuple[str, str]] = []
    sentence_pairs: list[tuple[str, str]] = []
    started = time.perf_counter()
    for row in rows:
        text = row["text"]
        tokens = tokenize(text)
        gold = [(a["from"], a["to"]) for a in row["aspects"]]
        predicted = [(a.start, a.end) for a in scorer.score(text, tokens)]
        extraction.predicted += len(predicted)
        extraction.gold += len(gold)
        extraction.exact += len(set(predicted) & set(gold))
        overlaps = lambda a, b: a[0] < b[1] and b[0] < a[1]  # noqa: E731
        extraction.loose_predicted += sum(any(overlaps(p, g) for g in gold) for p in predicted)
        extraction.loose_gold += sum(any(overlaps(g, p) for p in predicted) for g in gold)
        kept = [a for a in row["aspects"] if a["polarity"] != LEFT_OUT_LABEL]
        if not kept:
            continue
        scored = scorer.score_terms(text, tokens, [(a["from"], a["to"]) for a in kept])
        by_span = {(s.start, s.end): s.polarity for s in scored}
        sentence_label = polarity.score(text, tokens).polarity.label
        for aspect in kept:
            counts[aspect["polarity"]] += 1
            pairs.append((aspect["polarity"], by_span.get((aspect["from"], aspect["to"]), "neutral")))
            sentence_pairs.append((aspect["polarity"], sentence_label))
    seconds = time.perf_counter() - started
    majority = counts.most_common(1)[0][0] if counts else "neutral"
    exact = _prf(extraction.exact, extraction.predicted, extraction.exact, extraction.gold)
    loose = _prf(extraction.loose_predicted, extraction.predicted, extraction.loose_gold, extraction.gold)
    accuracy = lambda ps: sum(g == p for g, p in ps) / len(ps) if ps else 0.0  # noqa: E731
    return {
        "sentences": len(rows),
        "gold_terms": extraction.gold,
        "predicted_terms": extraction.predicted,
        "extraction_exact_p_r_f1": [round(v, 3) for v in exact],
        "extraction_loose_p_r_f1": [round(v, 3) for v in loose],
        "polarity_terms": len(pairs),
        "polarity_accuracy": round(accuracy(pairs), 3),
        "polarity_macro_f1": round(_macro_f1(pairs), 3),
        "baseline_sentence_polarity_accuracy": round(accuracy(sentence_pairs), 3),
        "baseline_majority": majority,
        "baseline_majority_accuracy": round(counts[majority] / len(pairs), 3) if pairs else 0.0,
        "sentences_per_second": round(len(rows) / seconds, 1) if seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the shared data sets")
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences per split")
    args = parser.parse_args()
    folder = lexicons_dir()
    polarity = PolarityScorer(load_lexicon(folder))
    scorer = AspectScorer.load(folder, polarity)
    for name, split in SPLITS:
        result = evaluate(args.data / name / f"{split}.jsonl", scorer, polarity, args.limit)
        print(json.dumps({"data": f"{name}/{split}", **result}))


if __name__ == "__main__":
    main()
