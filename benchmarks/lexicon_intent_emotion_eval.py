"""Evaluate the lexicon analyzer's EMOTION and INTENT scorers on real labeled data (a benchmark, not a test).

    .venv/bin/python benchmarks/lexicon_intent_emotion_eval.py [--data ../shared/data] [--test]

By default it reads the splits the lexicons were tuned on (dev where the set has one, else train), so
the numbers say how well the cues and thresholds fit; `--test` reads the held-out test splits instead,
for a final report only (never tune on them).

Data sets and how their labels map to ours:
- goemotions: the 27 labels -> Ekman's six + neutral (sentiment.lexicon.emotion.EKMAN_MAPPING);
  multi-label macro-F1 over the 7 labels, micro-F1 alongside.
- emotion6: single label; `love` -> joy (Ekman); accuracy of the top-scoring of the six emotions.
- bitext_customer_support: its 27 intents -> our taxonomy (BITEXT_TO_TAXONOMY below); accuracy and
  macro-F1 over the mapped labels. Every Bitext utterance is a request to a support agent, so the
  requests that are neither ordering, complaining/reporting a problem nor cancelling/refunding map to
  `question`; Bitext has no browsing, praise or none.
- twitter_complaints: complaint vs not; our prediction is `complaint` when the intent label is complaint.
- purchase_intent_tweets: purchase_intent vs (no_purchase_intent + undefined); ours is `purchase`.
  Its labels are noisy (see the data manifest): a weak signal, not a benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.lexicon.emotion import EMOTIONS, EKMAN_MAPPING, EmotionScorer, macro_f1  # noqa: E402
from sentiment.lexicon.intent import IntentScorer  # noqa: E402
from sentiment.resources import lexicons_dir  # noqa: E402
from sentiment.text import tokenize  # noqa: E402
from sentiment.types import INTENT_LABELS  # noqa: E402

from benchmarks.tasks import BITEXT_TO_INTENT  # noqa: E402

BITEXT_TO_TAXONOMY = BITEXT_TO_INTENT  # one mapping, shared with the benchmark (benchmarks/tasks.py)
EKMAN_OF = {fine: ekman for ekman, fines in EKMAN_MAPPING.items() for fine in fines}
EMOTION6_TO_EKMAN = {"love": "joy"}


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_file(data: Path, name: str, test: bool) -> Path:
    if test:
        return data / name / "test.jsonl"
    dev = data / name / "dev.jsonl"
    return dev if dev.is_file() else data / name / "train.jsonl"


def binary_report(predicted: list[bool], gold: list[bool]) -> dict:
    tp = sum(p and g for p, g in zip(predicted, gold))
    fp = sum(p and not g for p, g in zip(predicted, gold))
    fn = sum(g and not p for p, g in zip(predicted, gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(p == g for p, g in zip(predicted, gold)) / len(gold)
    return {"n": len(gold), "accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1,
            "positive_rate_gold": sum(gold) / len(gold)}


def evaluate_emotion(scorer: EmotionScorer, data: Path, test: bool) -> dict:
    path = split_file(data, "goemotions", test)
    rows = read_jsonl(path)
    predicted = [scorer.score(r["text"], tokenize(r["text"])).labels for r in rows]
    gold = [{EKMAN_OF[label] for label in r["labels"]} for r in rows]
    f1 = macro_f1(predicted, gold)
    tp = sum(len(set(p) & g) for p, g in zip(predicted, gold))
    n_pred, n_gold = sum(len(p) for p in predicted), sum(len(g) for g in gold)
    goemotions = {"split": path.name, "n": len(rows), "macro_f1": f1["macro"],
                  "micro_f1": 2 * tp / (n_pred + n_gold),
                  "f1_per_label": {k: v for k, v in f1.items() if k != "macro"}}

    path6 = split_file(data, "emotion6", test)
    rows6 = read_jsonl(path6)
    hits = 0
    for r in rows6:
        scores = scorer.score(r["text"], tokenize(r["text"])).scores
        top = max(EMOTIONS, key=scores.__getitem__)
        hits += top == EMOTION6_TO_EKMAN.get(r["labels"][0], r["labels"][0])
    majority = Counter(EMOTION6_TO_EKMAN.get(r["labels"][0], r["labels"][0]) for r in rows6).most_common(1)[0]
    emotion6 = {"split": path6.name, "n": len(rows6), "accuracy": hits / len(rows6),
                "majority_baseline": majority[1] / len(rows6)}
    return {"goemotions": goemotions, "emotion6": emotion6}


def evaluate_intent(scorer: IntentScorer, data: Path, test: bool) -> dict:
    def labels(path: Path) -> tuple[list[dict], list[str]]:
        rows = read_jsonl(path)
        return rows, [scorer.score(r["text"], tokenize(r["text"])).label for r in rows]

    path = split_file(data, "bitext_customer_support", test)
    rows, predicted = labels(path)
    gold = [BITEXT_TO_TAXONOMY[r["label"]] for r in rows]
    present = sorted(set(gold))
    per_label = {}
    for label in present:
        per_label[label] = binary_report([p == label for p in predicted], [g == label for g in gold])["f1"]
    bitext = {
        "split": path.name, "n": len(rows),
        "accuracy": sum(p == g for p, g in zip(predicted, gold)) / len(rows),
        "macro_f1_over_gold_labels": sum(per_label.values()) / len(per_label),
        "f1_per_label": per_label,
        "predicted_distribution": dict(Counter(predicted).most_common()),
        "confusions_top": [f"{g}->{p}: {n}" for (g, p), n in
                           Counter((g, p) for g, p in zip(gold, predicted) if g != p).most_common(8)],
    }

    path = split_file(data, "twitter_complaints", test)
    rows, predicted = labels(path)
    complaints = {"split": path.name, **binary_report(
        [p == "complaint" for p in predicted], [r["label"] == "complaint" for r in rows])}

    path = split_file(data, "purchase_intent_tweets", test)
    rows, predicted = labels(path)
    purchase = {"split": path.name, **binary_report(
        [p == "purchase" for p in predicted], [r["label"] == "purchase_intent" for r in rows])}
    return {"bitext_customer_support": bitext, "twitter_complaints": complaints, "purchase_intent_tweets": purchase}


def rounded(value: object, digits: int = 4) -> object:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--lexicons", type=Path, default=None, help="lexicons folder (default: shipped)")
    parser.add_argument("--test", action="store_true", help="read the held-out test splits (final report only)")
    args = parser.parse_args()
    folder = lexicons_dir(args.lexicons)
    started = time.perf_counter()
    report = {
        "emotion": evaluate_emotion(EmotionScorer.load(folder), args.data, args.test),
        "intent": evaluate_intent(IntentScorer.load(folder), args.data, args.test),
        "intent_labels": list(INTENT_LABELS),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(rounded(report), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
