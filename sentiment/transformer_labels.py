"""Which mode a classification checkpoint serves, read from its output labels (`id2label`).

Pure: no torch, no transformers. A `LabelPlan` says, for each output of the checkpoint, which
label of the mode it counts towards; several outputs may count towards one label (their
probabilities add up, or the largest wins for multi-label outputs).

- Labels that already are a mode's label names (after lower-casing, with spaces and hyphens as
  "_", and common spellings such as "POS" or "4 stars") select that mode by themselves.
- A binary negative/positive checkpoint serves polarity (neutral gets probability 0).
- A five-star checkpoint serves fine_grained, and polarity too (1-2 stars negative, 3 neutral,
  4-5 positive, as `corpora.LABEL_MAPS["stars_to_polarity"]`).
- transformers' default names (LABEL_0, LABEL_1, ...) say nothing: pass `mode=` and the outputs
  are read in that mode's label order, or pass `label_map=` {checkpoint label: mode label}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

from .base import parse_modes
from .errors import ResourceError
from .types import EMOTION_LABELS, FINE_GRAINED_LABELS, INTENT_LABELS, POLARITY_LABELS, Mode

ANALYZER_NAME = "transformer"
MODE_LABELS: Mapping[Mode, tuple[str, ...]] = MappingProxyType(
    {
        Mode.POLARITY: POLARITY_LABELS,
        Mode.FINE_GRAINED: FINE_GRAINED_LABELS,
        Mode.EMOTION: EMOTION_LABELS,
        Mode.INTENT: INTENT_LABELS,
    }
)
SERVABLE_MODES = frozenset(MODE_LABELS)
BINARY_POLARITY = frozenset({"negative", "positive"})
# How a fine-grained distribution folds into polarity (the stars_to_polarity mapping).
POLARITY_OF_FINE_GRAINED: Mapping[str, str] = MappingProxyType(
    {"very_negative": "negative", "negative": "negative", "neutral": "neutral", "positive": "positive", "very_positive": "positive"}
)
# Spellings seen in published checkpoints, after normalization, -> this library's label names.
LABEL_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "neg": "negative",
        "neu": "neutral",
        "pos": "positive",
        "1_star": "very_negative",
        "2_stars": "negative",
        "3_stars": "neutral",
        "4_stars": "positive",
        "5_stars": "very_positive",
        "1": "very_negative",
        "2": "negative",
        "3": "neutral",
        "4": "positive",
        "5": "very_positive",
    }
)
GENERIC_LABEL = re.compile(r"label_(\d+)")  # transformers' default label names


class LabelMappingError(ResourceError, ValueError):
    """A checkpoint's labels cannot be read as the labels of a mode."""


@dataclass(frozen=True)
class LabelPlan:
    """`targets[i]`: the `mode` label that checkpoint output i counts towards."""

    mode: Mode
    targets: tuple[str, ...]

    @property
    def modes(self) -> frozenset[Mode]:
        """The modes served: `mode`, plus polarity folded out of a fine-grained distribution."""
        return frozenset({self.mode, Mode.POLARITY} if self.mode is Mode.FINE_GRAINED else {self.mode})

    def scores(self, probabilities: np.ndarray, multi_label: bool) -> np.ndarray:
        """(N, outputs) checkpoint probabilities -> (N, labels of `mode`) in MODE_LABELS order: a
        label's outputs add up (softmax) or the largest counts (independent sigmoids); a label
        no output maps to scores 0."""
        labels = MODE_LABELS[self.mode]
        scores = np.zeros((len(probabilities), len(labels)), dtype=probabilities.dtype)
        for output, target in enumerate(self.targets):
            column = labels.index(target)
            if multi_label:
                scores[:, column] = np.maximum(scores[:, column], probabilities[:, output])
            else:
                scores[:, column] += probabilities[:, output]
        return scores


def normalize_label(label: str) -> str:
    """"Very Negative" -> "very_negative", "4 stars" -> "positive", "POS" -> "positive"."""
    name = re.sub(r"[\s\-]+", "_", str(label).strip().lower())
    return LABEL_ALIASES.get(name, name)


def _valid_labels_text() -> str:
    return "; ".join(f"{mode.value}: {', '.join(labels)}" for mode, labels in MODE_LABELS.items())


def _fits(targets: Sequence[str], mode: Mode, explicit: bool) -> bool:
    """Auto-detection needs the mode's exact label set (or binary polarity); an explicit mode
    accepts any two or more of its labels."""
    names = set(targets)
    if len(names) < 2 or not names <= set(MODE_LABELS[mode]):
        return False
    return explicit or names == set(MODE_LABELS[mode]) or (mode is Mode.POLARITY and names == BINARY_POLARITY)


def _generic_targets(labels: Sequence[str], mode: Mode) -> tuple[str, ...] | None:
    """LABEL_0..LABEL_k read in the mode's label order (binary: negative, positive), if they fit."""
    matches = [GENERIC_LABEL.fullmatch(label.strip().lower()) for label in labels]
    if not all(matches) or sorted(int(m.group(1)) for m in matches) != list(range(len(labels))):  # type: ignore[union-attr]
        return None
    order = ("negative", "positive") if mode is Mode.POLARITY and len(labels) == 2 else MODE_LABELS[mode]
    if len(labels) != len(order):
        return None
    return tuple(order[int(m.group(1))] for m in matches)  # type: ignore[union-attr]


def plan_labels(
    checkpoint_labels: Sequence[str],
    mode: Mode | str | None = None,
    label_map: Mapping[str, str] | None = None,
) -> LabelPlan:
    """The mode `checkpoint_labels` (in output order) serve and how each maps onto it.
    Errors name the checkpoint's labels and the valid labels of each mode."""
    explicit = parse_modes(mode, SERVABLE_MODES, ANALYZER_NAME)[0] if mode is not None else None
    shown = ", ".join(checkpoint_labels)
    if label_map is not None:
        missing = [label for label in checkpoint_labels if label not in label_map]
        if missing:
            raise LabelMappingError(
                f"label_map has no entry for the checkpoint labels {missing}; the checkpoint's labels: {shown}"
            )
        targets = tuple(normalize_label(label_map[label]) for label in checkpoint_labels)
    else:
        generic = _generic_targets(checkpoint_labels, explicit) if explicit is not None else None
        targets = generic or tuple(normalize_label(label) for label in checkpoint_labels)
    candidates = [m for m in ([explicit] if explicit is not None else MODE_LABELS) if _fits(targets, m, explicit is not None)]
    if len(candidates) == 1:
        return LabelPlan(candidates[0], targets)
    if explicit is not None:
        unknown = sorted(set(targets) - set(MODE_LABELS[explicit]))
        problem = f"labels {unknown} are not {explicit.value} labels" if unknown else "fewer than two distinct labels"
        raise LabelMappingError(
            f"cannot read the checkpoint labels ({shown}) as {explicit.value}: {problem}; "
            f"valid {explicit.value} labels: {', '.join(MODE_LABELS[explicit])}; pass label_map={{checkpoint label: {explicit.value} label}}"
        )
    raise LabelMappingError(
        f"the checkpoint labels ({shown}) do not name one mode's labels; pass mode= (one of: "
        f"{', '.join(m.value for m in MODE_LABELS)}) and, unless they are LABEL_0.. in that mode's order, "
        f"label_map={{checkpoint label: mode label}}. Valid labels per mode: {_valid_labels_text()}"
    )
