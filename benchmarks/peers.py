"""VADER and TextBlob wrapped as analyzers, so the benchmark scores them exactly like ours.

Both give one signed score in [-1, 1] (VADER's `compound`, TextBlob's PatternAnalyzer `polarity`)
and no probabilities, so no calibration error is computed for them.

- Polarity: score >= 0.05 positive, <= -0.05 negative, else neutral (Hutto & Gilbert 2014, the
  thresholds VADER's README recommends; TextBlob has none of its own, so it gets the same).
- Fine-grained: the score is cut into five classes by the fixed edges in `FINE_GRAINED_EDGES`,
  and `FineGrained.score` (which Pearson correlations use) is the score mapped linearly onto
  1..5 stars, so the correlation does not depend on the edges.
"""

from __future__ import annotations

import bisect
from typing import Callable

from sentiment.base import BaseAnalyzer
from sentiment.types import FINE_GRAINED_LABELS, Analysis, FineGrained, Mode, Polarity

# VADER's documented thresholds on the compound score for a neutral band.
NEUTRAL_BAND = 0.05
# Five equal-width bins over [-1, 1]: (-1, -0.6) very negative ... [0.6, 1] very positive.
# Fixed rather than fitted, so the peers get no tuning on our data; documented in the results.
FINE_GRAINED_EDGES: tuple[float, ...] = (-0.6, -0.2, 0.2, 0.6)
PEER_MODES = frozenset({Mode.POLARITY, Mode.FINE_GRAINED})


def polarity_label(score: float) -> str:
    """negative | neutral | positive by the VADER thresholds."""
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def stars_for(score: float) -> int:
    """1..5 stars for a score in [-1, 1], cut at `FINE_GRAINED_EDGES` (an edge belongs to the bin above)."""
    return bisect.bisect_right(FINE_GRAINED_EDGES, score) + 1


class ScorePeer(BaseAnalyzer):
    """An analyzer around a function text -> score in [-1, 1]."""

    modes = PEER_MODES

    def __init__(self, name: str, score: Callable[[str], float]) -> None:
        self.name = name
        self._score = score

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        results = []
        for text in texts:
            score = max(-1.0, min(1.0, float(self._score(text))))
            fields: dict[str, object] = {}
            if Mode.POLARITY in modes:
                fields["polarity"] = Polarity(label=polarity_label(score), score=score)
            if Mode.FINE_GRAINED in modes:
                stars = stars_for(score)
                fields["fine_grained"] = FineGrained(
                    label=FINE_GRAINED_LABELS[stars - 1], stars=stars, score=3.0 + 2.0 * score
                )
            results.append(Analysis(text=text, analyzer=self.name, **fields))
        return results


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
