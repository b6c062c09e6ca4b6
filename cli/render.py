"""The rich table `sentiment analyze --format table` prints: presentation only, no scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rich.table import Table
from rich.text import Text

from sentiment.types import Analysis, Mode

_LABEL_STYLES = {
    "negative": "red",
    "very_negative": "bold red",
    "neutral": "yellow",
    "positive": "green",
    "very_positive": "bold green",
}
_STARS_MAX = 5
# Below this the text column is unreadable; the other columns wrap or shrink first.
_TEXT_MIN_WIDTH = 16


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _label(label: str) -> Text:
    return Text(label, style=_LABEL_STYLES.get(label, ""))


def _top_words(analysis: Analysis, count: int) -> str:
    weights = sorted(analysis.explanation or (), key=lambda t: abs(t.weight), reverse=True)[:count]
    return " ".join(f"{t.token}{t.weight:+.1f}" for t in weights)


_POLARITY_SIGNS = {"negative": "-", "neutral": "=", "positive": "+"}


def _aspects(analysis: Analysis) -> Text:
    """"battery+ camera-": each aspect term with the sign of its opinion, colored."""
    text = Text()
    for index, aspect in enumerate(analysis.aspects or ()):
        if index:
            text.append(" ")
        text.append(aspect.term + _POLARITY_SIGNS.get(aspect.polarity, "?"), style=_LABEL_STYLES.get(aspect.polarity, ""))
    return text


def results_table(rows: Sequence[tuple[object, Analysis]], modes: Sequence[Mode], text_chars: int, top_words: int) -> Table:
    """One row per result: where it came from, the text, then the columns of the modes asked for."""
    table = Table(show_lines=False)
    table.add_column("source")
    table.add_column("text", overflow="fold", min_width=_TEXT_MIN_WIDTH, ratio=2)
    if Mode.POLARITY in modes:
        table.add_column("label")
        table.add_column("score", justify="right", no_wrap=True)
    if Mode.FINE_GRAINED in modes:
        table.add_column("stars", no_wrap=True)
    if Mode.EMOTION in modes:
        table.add_column("emotions")
    if Mode.INTENT in modes:
        table.add_column("intent")
    if Mode.ASPECT in modes:
        table.add_column("aspects", ratio=1)
    if Mode.POLARITY in modes:
        table.add_column("top words", ratio=1)
    for item, analysis in rows:
        name = Path(item.source).name if item.source not in ("--text", "<stdin>") else item.source
        where = name if item.line is None else f"{name}:{item.line}"
        cells: list[object] = [where, _short(analysis.text, text_chars)]
        if Mode.POLARITY in modes:
            polarity = analysis.polarity
            cells += [_label(polarity.label), f"{polarity.score:+.2f}"] if polarity else ["", ""]
        if Mode.FINE_GRAINED in modes:
            fine = analysis.fine_grained
            cells.append(f"{'★' * fine.stars}{'☆' * (_STARS_MAX - fine.stars)}" if fine else "")
        if Mode.EMOTION in modes:
            emotion = analysis.emotion
            cells.append(", ".join(emotion.labels) or f"({emotion.top})" if emotion else "")
        if Mode.INTENT in modes:
            intent = analysis.intent
            cells.append(intent.label if intent else "")
        if Mode.ASPECT in modes:
            cells.append(_aspects(analysis))
        if Mode.POLARITY in modes:
            cells.append(_top_words(analysis, top_words))
        table.add_row(*cells)
    return table
