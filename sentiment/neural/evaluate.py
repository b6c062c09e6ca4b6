"""Scores of predictions against gold labels: accuracy, macro-F1, a per-class report, the
confusion matrix (text and PNG) and the expected calibration error.

Works on plain arrays, so it scores a trained model and any registered analyzer alike.

scikit-learn is imported by the functions that score, not with the module: the analyzers import
this module for its label lists (MODE_LABELS), and importing scikit-learn (with the SciPy and
pandas it pulls in) took about 1.3 s of the neural CLI's 4 s start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..types import EMOTION_LABELS, FINE_GRAINED_LABELS, INTENT_LABELS, POLARITY_LABELS, Mode

ECE_BINS = 10


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """Scores of one evaluation; `confusion[i][j]` counts gold label i predicted as j (single-label only)."""

    labels: tuple[str, ...]
    size: int
    accuracy: float
    macro_f1: float
    ece: float
    per_class: tuple[ClassScore, ...]
    confusion: tuple[tuple[int, ...], ...] | None
    multilabel: bool = False
    micro_f1: float | None = None

    def to_dict(self) -> dict:
        return {
            "size": self.size,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "ece": self.ece,
            "per_class": {c.label: {"precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.support} for c in self.per_class},
            "confusion": None if self.confusion is None else [list(row) for row in self.confusion],
            "labels": list(self.labels),
        }

    def to_text(self) -> str:
        lines = [
            f"examples: {self.size}",
            f"{'subset accuracy' if self.multilabel else 'accuracy'}: {self.accuracy:.4f}",
            f"macro-F1: {self.macro_f1:.4f}",
        ]
        if self.micro_f1 is not None:
            lines.append(f"micro-F1: {self.micro_f1:.4f}")
        lines.append(f"ECE ({ECE_BINS} bins): {self.ece:.4f}")
        width = max(len(label) for label in self.labels) + 2
        lines.append(f"{'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for c in self.per_class:
            lines.append(f"{c.label:<{width}}{c.precision:>10.4f}{c.recall:>10.4f}{c.f1:>10.4f}{c.support:>9d}")
        if self.confusion is not None:
            lines.append("confusion (rows: gold, columns: predicted)")
            lines.append(" " * width + "".join(f"{label[:9]:>10}" for label in self.labels))
            for label, row in zip(self.labels, self.confusion):
                lines.append(f"{label:<{width}}" + "".join(f"{n:>10d}" for n in row))
        return "\n".join(lines)


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    confidences, correct = np.asarray(confidences, float), np.asarray(correct, float)
    if confidences.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidences, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidences[members].mean())
    return float(total)


def _per_class(names: Sequence[str], gold: np.ndarray, predicted: np.ndarray, **kwargs) -> tuple[ClassScore, ...]:
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, zero_division=0, **kwargs)
    return tuple(
        ClassScore(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(names, precision, recall, f1, support)
    )


def score_single_label(labels: Sequence[str], gold: np.ndarray, probabilities: np.ndarray) -> Report:
    """`gold`: label positions (N,); `probabilities`: (N, labels)."""
    from sklearn.metrics import confusion_matrix, f1_score

    gold = np.asarray(gold, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = probabilities.argmax(1) if len(probabilities) else np.zeros(0, dtype=int)
    positions = list(range(len(labels)))
    correct = predicted == gold
    return Report(
        labels=tuple(labels),
        size=len(gold),
        accuracy=float(correct.mean()) if len(gold) else 0.0,
        # averaged over the labels that occur in gold or predictions (a label no data has is not a 0)
        macro_f1=float(f1_score(gold, predicted, average="macro", zero_division=0)) if len(gold) else 0.0,
        ece=expected_calibration_error(probabilities.max(1) if len(probabilities) else np.zeros(0), correct),
        per_class=_per_class(labels, gold, predicted, labels=positions),
        confusion=tuple(tuple(int(n) for n in row) for row in confusion_matrix(gold, predicted, labels=positions)),
    )


def score_multilabel(
    labels: Sequence[str],
    gold: np.ndarray,
    probabilities: np.ndarray,
    thresholds: Sequence[float],
    predicted: np.ndarray | None = None,
) -> Report:
    """`gold`: 0/1 matrix (N, labels); a label is predicted when its probability reaches its
    threshold, unless the 0/1 `predicted` matrix is given (an analyzer's own choice)."""
    from sklearn.metrics import f1_score

    gold = (np.asarray(gold) >= 0.5).astype(int)
    probabilities = np.asarray(probabilities, dtype=float)
    if predicted is None:
        predicted = (probabilities >= np.asarray(thresholds)[None, :]).astype(int)
    return Report(
        labels=tuple(labels),
        size=len(gold),
        accuracy=float((predicted == gold).all(1).mean()) if len(gold) else 0.0,
        macro_f1=float(f1_score(gold, predicted, average="macro", zero_division=0)),
        micro_f1=float(f1_score(gold, predicted, average="micro", zero_division=0)),
        ece=expected_calibration_error(probabilities.ravel(), gold.ravel()),
        per_class=_per_class(labels, gold, predicted),
        confusion=None,
        multilabel=True,
    )


def tune_thresholds(gold: np.ndarray, probabilities: np.ndarray, grid: Sequence[float] = tuple(np.arange(0.05, 0.96, 0.05))) -> tuple[float, ...]:
    """Per label, the threshold on the grid that maximises that label's F1 (fit on dev, never on test)."""
    from sklearn.metrics import f1_score

    gold = (np.asarray(gold) >= 0.5).astype(int)
    best = []
    for j in range(gold.shape[1]):
        scores = [f1_score(gold[:, j], (probabilities[:, j] >= t).astype(int), zero_division=0) for t in grid]
        best.append(round(float(grid[int(np.argmax(scores))]), 4))
    return tuple(best)


def plot_confusion(report: Report, path: Path, title: str = "confusion matrix") -> Path:
    """Write the confusion matrix as a PNG (matplotlib, Agg backend)."""
    if report.confusion is None:
        raise ValueError("a multi-label report has no confusion matrix")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.array(report.confusion)
    size = 1.2 + 0.7 * len(report.labels)
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(report.labels)), report.labels, rotation=45, ha="right")
    axes.set_yticks(range(len(report.labels)), report.labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(title)
    for (i, j), count in np.ndenumerate(matrix):
        axes.text(j, i, str(count), ha="center", va="center", color="white" if count > matrix.max() / 2 else "black")
    figure.colorbar(image)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


# --- scoring a trained classifier or any registered analyzer on a corpus ---------------------

MODE_FIELDS = {"polarity": "polarity", "fine_grained": "fine_grained", "emotion": "emotion", "intent": "intent"}
MODE_LABELS: Mapping[Mode, tuple[str, ...]] = {
    Mode.POLARITY: POLARITY_LABELS,
    Mode.FINE_GRAINED: FINE_GRAINED_LABELS,
    Mode.EMOTION: EMOTION_LABELS,
    Mode.INTENT: INTENT_LABELS,
}


def _gold_positions(labels: Sequence[str], corpus_labels: Sequence[object]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    gold = []
    for label in corpus_labels:
        if isinstance(label, str):
            name = label
        elif hasattr(label, "items"):
            name = max(label, key=label.__getitem__)  # type: ignore[arg-type]
        elif len(label) == 1:  # type: ignore[arg-type]  # a one-element list, as single-label JSONL files give
            (name,) = label  # type: ignore[misc]
        else:
            raise ValueError("multi-label gold labels need a multi-label model or mode")
        if name not in index:
            raise ValueError(f"gold label {name!r} is not one of the labels: {', '.join(labels)}")
        gold.append(index[name])
    return np.array(gold, dtype=int)


def _gold_matrix(labels: Sequence[str], corpus_labels: Sequence[object]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(corpus_labels), len(labels)), dtype=int)
    for row, label in enumerate(corpus_labels):
        for name in [label] if isinstance(label, str) else list(label):  # type: ignore[arg-type]
            if name not in index:
                raise ValueError(f"gold label {name!r} is not one of the labels: {', '.join(labels)}")
            matrix[row, index[name]] = 1
    return matrix


def score_probabilities(
    labels: Sequence[str],
    corpus_labels: Sequence[object],
    probabilities: np.ndarray,
    multilabel: bool,
    thresholds: Sequence[float] | None = None,
    restrict: bool = False,
    predicted: np.ndarray | None = None,
) -> Report:
    """Score (N, labels) probabilities against corpus labels. `restrict`: keep only the labels that
    occur in the gold data (e.g. a 3-class polarity model scored on binary SST-2), renormalized."""
    if multilabel:
        gold_matrix = _gold_matrix(labels, corpus_labels)
        return score_multilabel(labels, gold_matrix, probabilities, thresholds or [0.5] * len(labels), predicted)
    gold = _gold_positions(labels, corpus_labels)
    if restrict:
        present = sorted(set(gold.tolist()))
        kept = np.asarray(probabilities)[:, present]
        kept = kept / np.maximum(kept.sum(1, keepdims=True), 1e-12)
        remap = {old: new for new, old in enumerate(present)}
        return score_single_label([labels[i] for i in present], np.array([remap[g] for g in gold]), kept)
    return score_single_label(labels, gold, probabilities)


def analyzer_probabilities(analyzer: object, texts: Sequence[str], mode: str, labels: Sequence[str], batch_size: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-label probabilities (scores) from any Analyzer in `mode`; for emotion also the 0/1 matrix
    of the labels it chose."""
    rows, chosen = [], []
    for start in range(0, len(texts), batch_size):
        for analysis in analyzer.analyze_batch(list(texts[start : start + batch_size]), modes=[mode]):  # type: ignore[attr-defined]
            result = getattr(analysis, MODE_FIELDS[mode])
            scores = getattr(result, "probabilities", None) or getattr(result, "scores")
            rows.append([float(scores.get(label, 0.0)) for label in labels])
            if mode == "emotion":
                chosen.append([int(label in result.labels) for label in labels])
    return np.array(rows), (np.array(chosen) if chosen else None)
