"""Flatten an `Analysis` into named columns for spreadsheets and CSV files.

The columns depend only on the modes asked for, so a file's header is known before the first
row is scored (batch scoring writes it up front and checks it again when resuming).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .types import EMOTION_LABELS, POLARITY_LABELS, Analysis, Mode

# Four decimals are enough to rank and threshold scores and keep files readable.
SCORE_DECIMALS = 4
# Separator of the emotion labels in one cell ("joy;surprise"): a comma would need CSV quoting.
LABEL_SEPARATOR = ";"

_COLUMNS_BY_MODE: dict[Mode, tuple[str, ...]] = {
    Mode.POLARITY: (
        "polarity_label",
        "polarity_score",
        *(f"polarity_p_{label}" for label in POLARITY_LABELS),
    ),
    Mode.FINE_GRAINED: ("fine_grained_label", "stars", "fine_grained_score"),
    Mode.EMOTION: ("emotion_labels", "emotion_top"),
    Mode.INTENT: ("intent_label", "intent_confidence"),
    Mode.ASPECT: ("aspects",),
}


def _in_mode_order(modes: Iterable[Mode | str]) -> list[Mode]:
    asked = {Mode(m) for m in modes}
    return [mode for mode in Mode if mode in asked]


def result_columns(modes: Iterable[Mode | str]) -> tuple[str, ...]:
    """The flattened result columns for `modes`, in a fixed order whatever the order asked."""
    return tuple(column for mode in _in_mode_order(modes) for column in _COLUMNS_BY_MODE[mode])


def _round(value: float) -> float:
    return round(float(value), SCORE_DECIMALS)


def flatten(analysis: Analysis, modes: Iterable[Mode | str]) -> dict[str, Any]:
    """The values of `result_columns(modes)` for one result (None where the analysis has no value)."""
    row: dict[str, Any] = {}
    for mode in _in_mode_order(modes):
        if mode is Mode.POLARITY:
            polarity = analysis.polarity
            row["polarity_label"] = polarity.label if polarity else None
            row["polarity_score"] = _round(polarity.score) if polarity else None
            for label in POLARITY_LABELS:
                value = polarity.probabilities.get(label) if polarity else None
                row[f"polarity_p_{label}"] = None if value is None else _round(value)
        elif mode is Mode.FINE_GRAINED:
            fine = analysis.fine_grained
            row["fine_grained_label"] = fine.label if fine else None
            row["stars"] = fine.stars if fine else None
            row["fine_grained_score"] = _round(fine.score) if fine else None
        elif mode is Mode.EMOTION:
            emotion = analysis.emotion
            ordered = [label for label in EMOTION_LABELS if emotion and label in emotion.labels]
            extra = [label for label in (emotion.labels if emotion else ()) if label not in ordered]
            row["emotion_labels"] = LABEL_SEPARATOR.join(ordered + extra) if emotion else None
            row["emotion_top"] = emotion.top if emotion and emotion.scores else None
        elif mode is Mode.INTENT:
            intent = analysis.intent
            row["intent_label"] = intent.label if intent else None
            row["intent_confidence"] = _round(intent.confidence) if intent else None
        elif mode is Mode.ASPECT:
            aspects = analysis.aspects
            row["aspects"] = (
                None
                if aspects is None
                else json.dumps(
                    [
                        {
                            "term": a.term,
                            "category": a.category,
                            "polarity": a.polarity,
                            "score": _round(a.score),
                            "start": a.start,
                            "end": a.end,
                        }
                        for a in aspects
                    ],
                    ensure_ascii=False,
                )
            )
    return row


def empty_row(modes: Iterable[Mode | str]) -> dict[str, Any]:
    """The result columns of a row that could not be scored: every value None."""
    return dict.fromkeys(result_columns(modes))
