"""Lexicon prior features for the aspect polarity network: what the project's lexicons say about
each token, as a few numbers beside its learned vectors.

On the small SemEval sets many opinion words of the test data never occur in training; the
lexicon still knows them ("flimsy", "sluggish"). Per token, `PRIOR_CHANNELS` values:

    valence    the word's valence / 4 (VADER's -4..+4 scale, the shipped overrides applied, and
               the one-word, every-category domain cues of lexicons/aspect_opinions.tsv on top:
               "drains", "crashes"), 0 for a word the lexicons do not rate
    negator    1 for a negation word ("not", "never", "n't" forms)
    intensity  the intensifier's increment (positive: "very"; negative: "slightly"), else 0
    contrast   1 for a contrast or concession word ("but", "although")

The table is read from the lexicon files at model creation and load time (the shipped lexicons/
folder by default), so a model and the lexicon it was trained with travel together in the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

import torch

from ..lexicon.aspect import ANY_CATEGORY, ASPECT_OPINIONS_FILE, DomainOpinions
from ..lexicon.data import MAX_VALENCE, load_lexicon
from ..resources import lexicons_dir as find_lexicons_dir
from .features import normalize_word

PRIOR_CHANNELS = 4
VALENCE, NEGATOR, INTENSITY, CONTRAST = range(PRIOR_CHANNELS)


@dataclass(frozen=True)
class LexiconPrior:
    """Word (normalized as by `features.normalize_word`) -> its PRIOR_CHANNELS values; words
    absent from the table get zeros."""

    table: Mapping[str, tuple[float, ...]]

    def __post_init__(self) -> None:
        for word, values in self.table.items():
            if len(values) != PRIOR_CHANNELS:
                raise ValueError(f"prior of {word!r} has {len(values)} values; expected {PRIOR_CHANNELS}")
        object.__setattr__(self, "table", MappingProxyType(dict(self.table)))

    @classmethod
    def load(cls, lexicons_dir: str | Path | None = None) -> "LexiconPrior":
        """The prior of the lexicon files in `lexicons_dir` (default: the shipped ones)."""
        folder = find_lexicons_dir(lexicons_dir)
        lexicon = load_lexicon(folder)
        valence = {word: value for word, value in lexicon.valence.items() if " " not in word}
        opinions = DomainOpinions.load(folder / ASPECT_OPINIONS_FILE)
        for key, row in opinions.valences.items():
            if len(key) == 1 and ANY_CATEGORY in row:
                valence[key[0]] = row[ANY_CATEGORY]
        table: dict[str, list[float]] = {}

        def entry(word: str) -> list[float]:
            return table.setdefault(normalize_word(word), [0.0] * PRIOR_CHANNELS)

        for word, value in valence.items():
            entry(word)[VALENCE] = value / MAX_VALENCE
        for word in lexicon.negators:
            entry(word)[NEGATOR] = 1.0
        for word, increment in lexicon.intensifiers.items():
            if " " not in word:
                entry(word)[INTENSITY] = increment
        for word in lexicon.contrast | lexicon.concession:
            if " " not in word:
                entry(word)[CONTRAST] = 1.0
        return cls({word: tuple(values) for word, values in table.items()})

    def values(self, word: str) -> tuple[float, ...]:
        return self.table.get(normalize_word(word), (0.0,) * PRIOR_CHANNELS)

    def batch(self, token_lists: Sequence[Sequence[str]], width: int) -> torch.Tensor:
        """(B, width, PRIOR_CHANNELS) float tensor, zeros past each list's end."""
        prior = torch.zeros(len(token_lists), width, PRIOR_CHANNELS)
        for row, tokens in enumerate(token_lists):
            if tokens:
                prior[row, : len(tokens)] = torch.tensor([self.values(t) for t in tokens[:width]])
        return prior
