"""VADER and TextBlob wrapped as analyzers, so the benchmark scores them exactly like ours.

Both give one signed score in [-1, 1] (VADER's `compound`, TextBlob's PatternAnalyzer `polarity`)
and no probabilities, so no calibration error is computed for them.

- Polarity: score >= 0.05 positive, <= -0.05 negative, else neutral (Hutto & Gilbert 2014, the
  thresholds VADER's README recommends; TextBlob has none of its own, so it gets the same).
- Fine-grained: the score is cut into five classes by four edges. The benchmark fits them on SST-5
  train exactly as the lexicon analyzer's edges are fitted (`fit_edges`: the accuracy-maximizing
  edges with the score 0 in the neutral bin), so the comparison is like for like; without SST-5
  train it falls back to the fixed edges in `FINE_GRAINED_EDGES`. `FineGrained.score` (which Pearson
  correlations use) is the score mapped linearly onto 1..5 stars, so it does not depend on the edges.
"""

from __future__ import annotations

import bisect
from typing import Callable, Sequence

from sentiment.base import BaseAnalyzer
from sentiment.types import FINE_GRAINED_LABELS, Analysis, FineGrained, Mode, Polarity

# VADER's documented thresholds on the compound score for a neutral band.
NEUTRAL_BAND = 0.05
# The fallback: five equal-width bins over [-1, 1], (-1, -0.6) very negative ... [0.6, 1] very positive.
FINE_GRAINED_EDGES: tuple[float, ...] = (-0.6, -0.2, 0.2, 0.6)
PEER_MODES = frozenset({Mode.POLARITY, Mode.FINE_GRAINED})
METHOD = (
    "VADER (vaderSentiment compound score) and TextBlob (PatternAnalyzer polarity) give one score in "
    f"[-1, 1] and no probabilities. Polarity: score >= {NEUTRAL_BAND} positive, <= -{NEUTRAL_BAND} "
    "negative, else neutral (VADER's recommended thresholds, used for both). Fine-grained: stars cut at "
    "four edges fitted on SST-5 train by the same procedure as the lexicon analyzer's (accuracy-"
    "maximizing, score 0 in the neutral bin; the edges are listed per peer), or at the fixed edges "
    f"{list(FINE_GRAINED_EDGES)} when SST-5 train is absent. The expected-stars score used for "
    "Pearson r is 3 + 2 * score, independent of the edges."
)


def polarity_label(score: float) -> str:
    """negative | neutral | positive by the VADER thresholds."""
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def stars_for(score: float, edges: Sequence[float] = FINE_GRAINED_EDGES) -> int:
    """1..5 stars for a score in [-1, 1], cut at `edges` (an edge belongs to the bin above)."""
    return bisect.bisect_right(edges, score) + 1


class ScorePeer(BaseAnalyzer):
    """An analyzer around a function text -> score in [-1, 1], with fine-grained `edges`."""

    modes = PEER_MODES

    def __init__(
        self, name: str, score: Callable[[str], float], edges: Sequence[float] = FINE_GRAINED_EDGES
    ) -> None:
        self.name = name
        self.score = score
        self.edges = tuple(float(edge) for edge in edges)

    def with_edges(self, edges: Sequence[float]) -> "ScorePeer":
        return ScorePeer(self.name, self.score, edges)

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        results = []
        for text in texts:
            score = max(-1.0, min(1.0, float(self.score(text))))
            fields: dict[str, object] = {}
            if Mode.POLARITY in modes:
                fields["polarity"] = Polarity(label=polarity_label(score), score=score)
            if Mode.FINE_GRAINED in modes:
                stars = stars_for(score, self.edges)
                fields["fine_grained"] = FineGrained(
                    label=FINE_GRAINED_LABELS[stars - 1], stars=stars, score=3.0 + 2.0 * score
                )
            results.append(Analysis(text=text, analyzer=self.name, **fields))
        return results


def fit_edges(peer: ScorePeer, texts: Sequence[str], stars: Sequence[int]) -> tuple[tuple[float, ...], float]:
    """Fine-grained edges for the peer's scores fitted on labelled texts (stars 1..5) with the lexicon
    analyzer's own procedure, and the accuracy they reach on those texts."""
    from sentiment.lexicon.fine_grained import best_edges

    # Rounded as the lexicon rounds its scores before fitting, so ties group the same way.
    scores = [round(max(-1.0, min(1.0, float(peer.score(text)))), 6) for text in texts]
    edges, accuracy = best_edges(scores, [int(s) - 1 for s in stars])
    return tuple(edges), accuracy


def vader_score_function() -> Callable[[str], float]:
    """VADER's compound score (vaderSentiment 3.3.2, its shipped lexicon)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    return lambda text: vader.polarity_scores(text)["compound"]


def textblob_score_function() -> Callable[[str], float]:
    """TextBlob's default sentiment: PatternAnalyzer polarity (its lexicon ships in the package)."""
    from textblob.en.sentiments import PatternAnalyzer

    analyzer = PatternAnalyzer()
    return lambda text: analyzer.analyze(text).polarity


def build_vader() -> ScorePeer:
    return ScorePeer("vader", vader_score_function())


def build_textblob() -> ScorePeer:
    return ScorePeer("textblob", textblob_score_function())


PEERS: dict[str, Callable[[], ScorePeer]] = {"vader": build_vader, "textblob": build_textblob}
PEER_DESCRIPTIONS: dict[str, str] = {
    "vader": "VADER (vaderSentiment) compound score, its shipped lexicon and rules",
    "textblob": "TextBlob's default sentiment: PatternAnalyzer polarity, its shipped lexicon",
}
