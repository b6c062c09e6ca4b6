"""Measures for aspect extraction and aspect polarity (pure Python, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..types import POLARITY_LABELS

Span = tuple[int, int]


@dataclass(frozen=True)
class ExtractionScore:
    """Exact-span precision, recall and F1 over a set of sentences."""

    predicted: int
    gold: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "predicted": self.predicted,
            "gold": self.gold,
        }


def extraction_score(gold: Iterable[Iterable[Span]], predicted: Iterable[Iterable[Span]]) -> ExtractionScore:
    """Exact-match counts: a predicted span is correct when a gold span has the same start and end."""
    n_predicted = n_gold = n_correct = 0
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        gold_set, predicted_set = set(map(tuple, gold_spans)), set(map(tuple, predicted_spans))
        n_predicted += len(predicted_set)
        n_gold += len(gold_set)
        n_correct += len(gold_set & predicted_set)
    return ExtractionScore(n_predicted, n_gold, n_correct)


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = POLARITY_LABELS) -> float:
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        wrong = sum((g == label) != (p == label) for g, p in zip(gold, predicted))
        scores.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    return sum(scores) / len(scores)
