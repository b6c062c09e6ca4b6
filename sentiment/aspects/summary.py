"""What a whole file of reviews says per aspect: mentions, shares of positive / negative /
neutral, mean score and the most frequent evidence phrases, per category and per term.

`summarize` works on any analyzer's aspect results; `summarize_file` streams a CSV / TSV / JSONL
file through an analyzer in Mode.ASPECT; `plot_summary` draws the bar chart (matplotlib, Agg).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..batch import chunked
from ..types import AspectSentiment, Mode

DEFAULT_TOP_TERMS = 20
DEFAULT_TOP_EVIDENCE = 3
DEFAULT_CHUNK_SIZE = 64
PLOT_COLORS = {"positive": "#3a9e58", "neutral": "#b5b5b5", "negative": "#d0473c"}


@dataclass(frozen=True)
class AspectStats:
    """One aspect (a category or a normalized term) over all its mentions."""

    aspect: str
    kind: str  # "category" | "term"
    mentions: int
    positive: int
    negative: int
    neutral: int
    mean_score: float
    evidence: tuple[tuple[str, int], ...]

    @property
    def positive_share(self) -> float:
        return self.positive / self.mentions if self.mentions else 0.0

    @property
    def negative_share(self) -> float:
        return self.negative / self.mentions if self.mentions else 0.0

    @property
    def neutral_share(self) -> float:
        return self.neutral / self.mentions if self.mentions else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "aspect": self.aspect,
            "kind": self.kind,
            "mentions": self.mentions,
            "positive": self.positive,
            "negative": self.negative,
            "neutral": self.neutral,
            "positive_share": round(self.positive_share, 4),
            "negative_share": round(self.negative_share, 4),
            "neutral_share": round(self.neutral_share, 4),
            "mean_score": round(self.mean_score, 4),
            "evidence": [{"phrase": phrase, "count": count} for phrase, count in self.evidence],
        }


@dataclass(frozen=True)
class AspectSummary:
    """Per-category and per-term statistics of a collection of texts."""

    analyzer: str
    texts: int
    texts_with_aspects: int
    mentions: int
    categories: tuple[AspectStats, ...]
    terms: tuple[AspectStats, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "texts": self.texts,
            "texts_with_aspects": self.texts_with_aspects,
            "mentions": self.mentions,
            "categories": [s.to_dict() for s in self.categories],
            "terms": [s.to_dict() for s in self.terms],
        }


def term_key(term: str) -> str:
    """How mentions of the same term are grouped: lower-cased, spaces collapsed, possessive dropped."""
    key = " ".join(term.lower().replace("’", "'").split())
    return key[:-2] if key.endswith("'s") and len(key) > 2 else key


class _Tally:
    def __init__(self) -> None:
        self.labels: Counter[str] = Counter()
        self.score = 0.0
        self.evidence: Counter[str] = Counter()

    def add(self, aspect: AspectSentiment) -> None:
        self.labels[aspect.polarity] += 1
        self.score += aspect.score
        self.evidence.update({" ".join(e.lower().split()) for e in aspect.evidence if e.strip()})

    def stats(self, name: str, kind: str, top_evidence: int) -> AspectStats:
        mentions = sum(self.labels.values())
        evidence = sorted(self.evidence.items(), key=lambda item: (-item[1], item[0]))[:top_evidence]
        return AspectStats(
            name, kind, mentions, self.labels["positive"], self.labels["negative"], self.labels["neutral"],
            self.score / mentions if mentions else 0.0, tuple(evidence),
        )


def summarize(
    results: Iterable[Sequence[AspectSentiment] | None],
    analyzer: str = "",
    top_terms: int | None = DEFAULT_TOP_TERMS,
    top_evidence: int = DEFAULT_TOP_EVIDENCE,
) -> AspectSummary:
    """Aggregate the aspects of many texts (one sequence per text; None for a text that could
    not be analyzed). Categories and terms are ordered by mentions, then name; `top_terms` keeps
    the most mentioned terms (None: all)."""
    categories: dict[str, _Tally] = {}
    terms: dict[str, _Tally] = {}
    texts = with_aspects = mentions = 0
    for aspects in results:
        texts += 1
        if not aspects:
            continue
        with_aspects += 1
        for aspect in aspects:
            mentions += 1
            categories.setdefault(aspect.category, _Tally()).add(aspect)
            terms.setdefault(term_key(aspect.term), _Tally()).add(aspect)

    def ordered(tallies: Mapping[str, _Tally], kind: str, limit: int | None) -> tuple[AspectStats, ...]:
        stats = sorted((t.stats(name, kind, top_evidence) for name, t in tallies.items()), key=lambda s: (-s.mentions, s.aspect))
        return tuple(stats if limit is None else stats[:limit])

    return AspectSummary(analyzer, texts, with_aspects, mentions, ordered(categories, "category", None), ordered(terms, "term", top_terms))


def summarize_file(
    path: str | os.PathLike[str],
    analyzer: str | Any = "hybrid",
    text_column: str = "text",
    input_format: str | None = None,
    encoding: str = "utf-8",
    analyzer_options: Mapping[str, Any] | None = None,
    top_terms: int | None = DEFAULT_TOP_TERMS,
    top_evidence: int = DEFAULT_TOP_EVIDENCE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> AspectSummary:
    """Stream a CSV / TSV / JSONL file through an analyzer (a registered name or an Analyzer) in
    aspect mode and summarize it. Rows without a usable text count as texts without aspects."""
    from ..batch import open_source
    from ..registry import get_analyzer

    engine = get_analyzer(analyzer, **dict(analyzer_options or {})) if isinstance(analyzer, str) else analyzer
    source = open_source(path, text_column, input_format, encoding)

    def results() -> Iterator[Sequence[AspectSentiment] | None]:
        try:
            for chunk in chunked(source.records(), chunk_size):
                texts = [r.text for r in chunk if r.text is not None]
                analyses = iter(engine.analyze_batch(texts, [Mode.ASPECT]))
                for record in chunk:
                    yield next(analyses).aspects if record.text is not None else None
        finally:
            source.close()

    return summarize(results(), engine.name, top_terms, top_evidence)


def plot_summary(summary: AspectSummary, path: str | os.PathLike[str], top: int = 15) -> Path:
    """A PNG with two panels of stacked horizontal bars (share positive / neutral / negative,
    mentions in the labels): the categories, and the most mentioned terms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("categories", summary.categories[:top]), ("terms", summary.terms[:top])]
    height = max(3.0, 0.35 * max(len(rows) for _, rows in panels) + 1.5)
    figure, axes = plt.subplots(1, 2, figsize=(13, height))
    for axis, (title, rows) in zip(axes, panels):
        rows = list(reversed(rows))
        names = [f"{r.aspect} ({r.mentions})" for r in rows]
        left = [0.0] * len(rows)
        for label, share in (("positive", "positive_share"), ("neutral", "neutral_share"), ("negative", "negative_share")):
            values = [getattr(r, share) for r in rows]
            axis.barh(names, values, left=left, color=PLOT_COLORS[label], label=label)
            left = [a + b for a, b in zip(left, values)]
        axis.set_xlim(0, 1)
        axis.set_xlabel("share of mentions")
        axis.set_title(f"{title} (mentions)" if rows else f"{title}: none found")
    axes[0].legend(loc="lower right", fontsize="small")
    figure.suptitle(f"Aspect sentiment over {summary.texts} texts ({summary.analyzer})")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
