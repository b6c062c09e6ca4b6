"""Shared fixtures: a tiny deterministic analyzer registered as "fake", for mechanics tests that
must not depend on the lexicon analyzer's rules."""

from __future__ import annotations

import pytest

from sentiment import BaseAnalyzer, register
from sentiment.registry import unregister
from sentiment.types import INTENT_LABELS, Analysis, Intent, Mode, Polarity

FAKE_ANALYZER = "fake"
# A text containing this word makes the fake analyzer raise, as a real one might on a pathological text.
FAKE_FAILURE_WORD = "EXPLODE"


class FakeAnalyzer(BaseAnalyzer):
    """Polarity = (#"good" - #"bad") clipped to [-1, 1]; intent "question" when the text ends with "?"."""

    name = FAKE_ANALYZER
    modes = frozenset({Mode.POLARITY, Mode.INTENT})

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def _analyze_batch(self, texts, modes):
        self.batch_sizes.append(len(texts))
        return [self._one(text, modes) for text in texts]

    def _one(self, text: str, modes) -> Analysis:
        if FAKE_FAILURE_WORD in text:
            raise ValueError(f"cannot analyze a text containing {FAKE_FAILURE_WORD}")
        words = text.lower().split()
        score = max(-1.0, min(1.0, 0.5 * (words.count("good") - words.count("bad"))))
        label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
        probabilities = {"negative": float(score < 0), "neutral": float(score == 0), "positive": float(score > 0)}
        fields = {}
        if Mode.POLARITY in modes:
            fields["polarity"] = Polarity(label, score, probabilities)
        if Mode.INTENT in modes:
            intent = "question" if text.rstrip().endswith("?") else "none"
            fields["intent"] = Intent(intent, 1.0, {name: float(name == intent) for name in INTENT_LABELS})
        return Analysis(text=text, analyzer=self.name, **fields)


@pytest.fixture
def fake_analyzer():
    """Registers FakeAnalyzer as "fake" for one test and yields the class."""
    register(FAKE_ANALYZER, FakeAnalyzer, modes=FakeAnalyzer.modes, description="test double")
    yield FakeAnalyzer
    unregister(FAKE_ANALYZER)
