"""The knowledge-based analyzer: a human-rated valence lexicon plus rules, in every mode.

Each mode lives in its own module (polarity, fine_grained, emotion, intent, aspect) with a scorer
that is loaded once here and then called purely, text by text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from ..base import BaseAnalyzer, check_texts
from ..resources import lexicons_dir as find_lexicons_dir
from ..text import tokenize
from ..types import Analysis, Mode, Polarity
from .aspect import AspectScorer
from .data import load_lexicon
from .emotion import EmotionScorer
from .fine_grained import FineGrainedScorer
from .intent import IntentScorer
from .polarity import PolarityScorer

PathLike = str | os.PathLike[str]
_POLARITY_ONLY = (Mode.POLARITY,)
# The modes whose scorers read `Token`s (polarity and fine-grained tokenize on their own).
_TOKEN_MODES = frozenset({Mode.EMOTION, Mode.INTENT, Mode.ASPECT})


class LexiconAnalyzer(BaseAnalyzer):
    """Rules over lexicons; no training and no torch.

    `lexicon_files`: the user's own word files (`word<TAB>valence`, valence on VADER's -4..+4 scale)
    that add to or override the shipped lexicon; `extra_words`: the same as a mapping.
    `lexicons_dir`: another folder of lexicon data than the shipped one.
    `emotion_threshold`: override the shipped per-emotion thresholds with one value.
    """

    name = "lexicon"
    modes = frozenset(Mode)

    def __init__(
        self,
        lexicon_files: Sequence[PathLike] = (),
        extra_words: Mapping[str, float] | None = None,
        lexicons_dir: PathLike | None = None,
        emotion_threshold: float | None = None,
    ) -> None:
        folder = find_lexicons_dir(lexicons_dir)
        self.lexicons_dir: Path = folder
        self.lexicon = load_lexicon(folder, [Path(p) for p in lexicon_files], extra_words)
        self._polarity = PolarityScorer(self.lexicon)
        self._fine_grained = FineGrainedScorer.load(folder)
        self._emotion = EmotionScorer.load(folder, threshold=emotion_threshold)
        self._intent = IntentScorer.load(folder)
        self._aspect = AspectScorer.load(folder, self._polarity)

    @property
    def aspect_scorer(self) -> AspectScorer:
        """The clause-level aspect scorer, with this analyzer's (user-extended) lexicon; the hybrid
        aspect analyzer reuses it."""
        return self._aspect

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        if modes == _POLARITY_ONLY:
            return self._polarity_batch(texts)
        return [self._analyze_one(text, modes) for text in texts]

    def _polarity_batch(self, texts: list[str]) -> list[Analysis]:
        """The common call, polarity alone: no per-text mode dispatch."""
        name = self.name
        return [
            Analysis(text, name, polarity=polarity, sentences=sentences, explanation=explanation)
            for text, (polarity, sentences, explanation) in zip(texts, map(self._polarity.score_text, texts))
        ]

    def polarities(self, texts: Sequence[str]) -> list[Polarity]:
        """The `polarity` field of `analyze_batch(texts, "polarity")`, without building the rest of
        the results (the sentences and the explanation): for callers that only need the numbers,
        such as the hybrid analyzer's stacker."""
        return list(map(self._polarity.document_polarity, check_texts(texts)))

    def _analyze_one(self, text: str, modes: tuple[Mode, ...]) -> Analysis:
        fields: dict[str, object] = {}
        if Mode.POLARITY in modes or Mode.FINE_GRAINED in modes:
            scored = self._polarity.score_text(text)  # tokenizes on its own, faster than from tokens
            if Mode.POLARITY in modes:
                fields.update(
                    polarity=scored.polarity, sentences=scored.sentences, explanation=scored.explanation
                )
            if Mode.FINE_GRAINED in modes:
                fields["fine_grained"] = self._fine_grained.score(scored.polarity)
        if not _TOKEN_MODES.isdisjoint(modes):
            tokens = tokenize(text)
            if Mode.EMOTION in modes:
                fields["emotion"] = self._emotion.score(text, tokens)
            if Mode.INTENT in modes:
                fields["intent"] = self._intent.score(text, tokens)
            if Mode.ASPECT in modes:
                fields["aspects"] = self._aspect.score(text, tokens)
        return Analysis(text=text, analyzer=self.name, **fields)
