"""Evaluation metrics shared by the benchmark and by training code.

Each function takes plain sequences (gold first, then predictions) and returns plain floats, so
results go straight into JSON. A metric that is undefined on its input (a Pearson correlation of a
constant, the precision of no predictions) is `None`, never NaN.

scikit-learn and SciPy are imported when a function needs them, so importing this module is cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence

# Guo et al. (2017), "On Calibration of Modern Neural Networks", use 15 equal-width bins;
# keeping their choice makes our numbers comparable with the figures usually quoted.
CALIBRATION_BINS = 15


def _check_lengths(gold: Sequence, predicted: Sequence) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} items but predictions have {len(predicted)}")


def accuracy(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float | None:
    """Fraction of exact matches; None for no items."""
    _check_lengths(gold, predicted)
    if not gold:
        return None
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold)


def macro_f1(
    gold: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float | None:
    """Unweighted mean of per-class F1 over `labels` (default: the gold labels).

    Defaulting to the gold labels means a spurious predicted class (such as "neutral" on binary
    data) costs precision of the real classes but does not add a zero-F1 class of its own.
    A class with no gold and no predicted item scores 0, as in scikit-learn's `zero_division=0`.
    """
    _check_lengths(gold, predicted)
    if not gold:
        return None
    from sklearn.metrics import f1_score

    classes = list(labels) if labels is not None else sorted(set(gold), key=str)
    return float(f1_score(list(gold), list(predicted), labels=classes, average="macro", zero_division=0))


def per_class_f1(
    gold: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> dict[str, float]:
    """F1 of each class in `labels`, keyed by the label as a string."""
    _check_lengths(gold, predicted)
    from sklearn.metrics import f1_score

    scores = f1_score(list(gold), list(predicted), labels=list(labels), average=None, zero_division=0)
    return {str(label): float(score) for label, score in zip(labels, scores)}


def pearson(gold: Sequence[float], predicted: Sequence[float]) -> float | None:
    """Pearson correlation; None when it is undefined (fewer than 2 items, or a constant side)."""
    _check_lengths(gold, predicted)
    if len(gold) < 2 or len(set(gold)) < 2 or len(set(predicted)) < 2:
        return None
    from scipy.stats import pearsonr

    return float(pearsonr([float(g) for g in gold], [float(p) for p in predicted]).statistic)


def multilabel_macro_f1(
    gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]], labels: Sequence[str]
) -> float | None:
    """Macro-F1 over `labels` for multi-label data: each item has a set of labels.

    Every label is a binary decision per item; a label's F1 counts its true positives over all
    items, and the macro average weights each label equally (GoEmotions paper, Demszky et al. 2020).
    """
    _check_lengths(gold, predicted)
    if not gold:
        return None
    from sklearn.metrics import f1_score

    gold_matrix = _indicator_matrix(gold, labels)
    predicted_matrix = _indicator_matrix(predicted, labels)
    return float(f1_score(gold_matrix, predicted_matrix, average="macro", zero_division=0))


def multilabel_per_label_f1(
    gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]], labels: Sequence[str]
) -> dict[str, float]:
    """F1 of each label in multi-label data."""
    _check_lengths(gold, predicted)
    from sklearn.metrics import f1_score

    scores = f1_score(
        _indicator_matrix(gold, labels), _indicator_matrix(predicted, labels), average=None, zero_division=0
    )
    return {label: float(score) for label, score in zip(labels, scores)}


def _indicator_matrix(rows: Sequence[Iterable[str]], labels: Sequence[str]) -> list[list[int]]:
    return [[int(label in set(row)) for label in labels] for row in rows]


def expected_calibration_error(
    confidences: Sequence[float], outcomes: Sequence[bool | int], bins: int = CALIBRATION_BINS
) -> float | None:
    """Expected calibration error: sum over equal-width bins of |accuracy - mean confidence| * share.

    For a classifier pass the top label's probability and whether that label was right
    (`top_label_calibration` does it); for one binary decision per item pass the probability of the
    positive outcome and the outcome. A confidence of exactly 1.0 falls in the last bin.
    """
    _check_lengths(confidences, outcomes)
    if not confidences:
        return None
    totals = [0] * bins
    confidence_sums = [0.0] * bins
    outcome_sums = [0.0] * bins
    for confidence, outcome in zip(confidences, outcomes):
        if not 0.0 <= confidence <= 1.0 or math.isnan(confidence):
            raise ValueError(f"confidence {confidence} is outside [0, 1]")
        index = min(int(confidence * bins), bins - 1)
        totals[index] += 1
        confidence_sums[index] += confidence
        outcome_sums[index] += float(outcome)
    count = len(confidences)
    return sum(
        abs(outcome_sums[b] - confidence_sums[b]) / count for b in range(bins) if totals[b]
    )


def top_label_calibration(
    gold: Sequence[str], probabilities: Sequence[Mapping[str, float]], bins: int = CALIBRATION_BINS
) -> float | None:
    """ECE of the most probable label of each distribution against the gold label."""
    _check_lengths(gold, probabilities)
    confidences: list[float] = []
    outcomes: list[bool] = []
    for label, distribution in zip(gold, probabilities):
        top = max(distribution, key=distribution.__getitem__)
        confidences.append(float(distribution[top]))
        outcomes.append(top == label)
    return expected_calibration_error(confidences, outcomes, bins)


@dataclass(frozen=True)
class AspectTerm:
    """An aspect term as a character span with its polarity."""

    start: int
    end: int
    polarity: str


@dataclass(frozen=True)
class AspectScores:
    """Term extraction scored by exact span match, and polarity on the matched gold terms."""

    gold_terms: int
    predicted_terms: int
    matched_terms: int
    term_precision: float | None
    term_recall: float | None
    term_f1: float | None
    polarity_accuracy: float | None
    polarity_macro_f1: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return dict(self.__dict__)


def aspect_scores(
    gold: Sequence[Sequence[AspectTerm]],
    predicted: Sequence[Sequence[AspectTerm]],
    ignored: Sequence[Sequence[tuple[int, int]]] | None = None,
    polarity_labels: Sequence[str] | None = None,
) -> AspectScores:
    """Aspect term precision/recall/F1 (a predicted term counts only with the gold span exactly)
    and polarity accuracy and macro-F1 over the gold terms that were found.

    `ignored` lists, per text, spans that count neither way (gold terms whose label is excluded
    from the evaluation, such as SemEval's "conflict"): a prediction on such a span is neither a
    true nor a false positive. Duplicate predicted spans count once (the first one's polarity).
    """
    _check_lengths(gold, predicted)
    ignored = ignored if ignored is not None else [()] * len(gold)
    _check_lengths(gold, ignored)
    gold_total = predicted_total = 0
    matched_gold: list[str] = []
    matched_predicted: list[str] = []
    for gold_terms, predicted_terms, ignored_spans in zip(gold, predicted, ignored):
        by_span = {(term.start, term.end): term.polarity for term in gold_terms}
        skip = set(ignored_spans)
        seen: set[tuple[int, int]] = set()
        gold_total += len(by_span)
        for term in predicted_terms:
            span = (term.start, term.end)
            if span in skip or span in seen:
                continue
            seen.add(span)
            predicted_total += 1
            if span in by_span:
                matched_gold.append(by_span[span])
                matched_predicted.append(term.polarity)
    matched = len(matched_gold)
    precision = matched / predicted_total if predicted_total else None
    recall = matched / gold_total if gold_total else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return AspectScores(
        gold_terms=gold_total,
        predicted_terms=predicted_total,
        matched_terms=matched,
        term_precision=precision,
        term_recall=recall,
        term_f1=f1,
        polarity_accuracy=accuracy(matched_gold, matched_predicted),
        polarity_macro_f1=macro_f1(matched_gold, matched_predicted, polarity_labels),
    )
