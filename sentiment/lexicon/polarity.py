"""Polarity from the valence lexicon plus the rules in rules.py, sentence by sentence.

Each token is looked up once (multi-word entries first, longest match); each sentiment word is then
adjusted by the intensifiers, negators and caps before it and weighted by the contrast structure of
its sentence. A sentence's sum (plus "!"/"?" emphasis) is normalized into [-1, 1]; a text's score
aggregates its sentence scores (see `rules.aggregate`), so long texts do not saturate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..text import Span, Token, split_sentences
from ..types import POLARITY_LABELS, Polarity, SentenceSentiment, TokenWeight
from . import rules
from .data import Lexicon, strip_emoji_decorations
from .rules import (
    KIND_BOUNDARY,
    KIND_CONCESSION,
    KIND_CONTRAST,
    KIND_EXCESS,
    KIND_INSIDE,
    KIND_INTENSIFIER,
    KIND_NEGATOR,
    KIND_OTHER,
    KIND_VALENCE,
)

# Emoji and other pictographs start at U+2300 (see text._EMOJI_BASE); only such tokens may carry
# decorations (skin tones, presentation selectors) that must be stripped before lookup.
_FIRST_PICTOGRAPH = "\u2300"

_SENTIMENT_OR_MODIFIER = (KIND_VALENCE, KIND_INTENSIFIER, KIND_EXCESS)

# Phrases that start with one word: length (longest first) -> {words: (kind, value)}.
_Phrases = dict[int, dict[tuple[str, ...], tuple[int, float]]]
_Entry = tuple[int, float, _Phrases | None, frozenset[str] | None]

# (first token index, end token index, weight) of one contributing word or phrase.
_Contribution = tuple[int, int, float]


@dataclass(frozen=True)
class PolarityResult:
    """A text's polarity, its per-sentence breakdown and the tokens that drove it."""

    polarity: Polarity
    sentences: tuple[SentenceSentiment, ...]
    explanation: tuple[TokenWeight, ...]


class PolarityScorer:
    """Scores texts with a `Lexicon`; build once, then call `score` per text (pure, thread-safe)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        entries: dict[str, tuple[int, float]] = {}
        phrases: dict[str, list[tuple[tuple[str, ...], int, float]]] = {}

        def add(key: str, kind: int, value: float) -> None:
            words = tuple(key.split())
            if len(words) == 1:
                entries[words[0]] = (kind, value)
            elif words:
                phrases.setdefault(words[0], []).append((words, kind, value))

        # Later roles override earlier ones: a modifier word is never also scored as sentiment.
        for word, valence in lexicon.valence.items():
            add(word, KIND_VALENCE if valence else KIND_OTHER, valence)  # 0: a shield phrase
        for word, increment in lexicon.intensifiers.items():
            add(word, KIND_INTENSIFIER, increment)
        for kind, words in (
            (KIND_NEGATOR, lexicon.negators),
            (KIND_CONTRAST, lexicon.contrast),
            (KIND_CONCESSION, lexicon.concession),
            (KIND_EXCESS, lexicon.excess),
        ):
            for word in words:
                add(word, kind, 0.0)
        for mark in rules.CLAUSE_BOUNDARIES:
            entries[mark] = (KIND_BOUNDARY, 0.0)
        # Intensifiers with a valence of their own use it when no sentiment word follows.
        self._intensifier_valence = {
            word: lexicon.valence[word] for word in lexicon.intensifiers if lexicon.valence.get(word)
        }
        # One lookup per token: word -> (kind, value, phrases starting with it, their second words),
        # where phrases maps a length (longest first) to {words: (kind, value)}; the second words
        # reject most non-matches without building a tuple.
        index: dict[str, _Entry] = {word: (kind, value, None, None) for word, (kind, value) in entries.items()}
        for first, options in phrases.items():
            kind, value, _, _ = index.get(first, (KIND_OTHER, 0.0, None, None))
            by_length: _Phrases = {}
            for words, option_kind, option_value in sorted(options, key=lambda option: -len(option[0])):
                by_length.setdefault(len(words), {})[words] = (option_kind, option_value)
            index[first] = (kind, value, by_length, frozenset(words[1] for words, _, _ in options))
        self._index = index

    # ------------------------------------------------------------------ public API

    def score(self, text: str, tokens: list[Token]) -> PolarityResult:
        """The polarity of `text` (tokenized as `tokens`, spans into `text`)."""
        caps_allowed = not text.isupper()
        spans = split_sentences(text)
        if len(spans) == 1:  # the common case: every token is in the one sentence
            span = spans[0]
            polarity, weights = self._sentence(text, span, tokens, caps_allowed)
            return PolarityResult(polarity, (SentenceSentiment(*span, polarity),), tuple(weights))
        sentences: list[SentenceSentiment] = []
        explanation: list[TokenWeight] = []
        scores: list[float] = []
        position, token_count = 0, len(tokens)
        for span in spans:
            first = position
            while position < token_count and tokens[position][1] < span.end:
                position += 1
            polarity, weights = self._sentence(text, span, tokens[first:position], caps_allowed)
            scores.append(polarity.score)
            sentences.append(SentenceSentiment(*span, polarity))
            explanation.extend(weights)
        return PolarityResult(_polarity(rules.aggregate(scores)), tuple(sentences), tuple(explanation))

    def clause_weights(self, text: str, tokens: Sequence[Token]) -> list[TokenWeight]:
        """Rule-adjusted weights (VADER scale) of the sentiment-bearing tokens in `tokens`, a clause
        of `text`: negation, intensifiers, caps and contrast applied within the clause."""
        contributions, _ = self._weigh(tokens, not text.isupper())
        return _token_weights(text, tokens, contributions)

    # ------------------------------------------------------------------ internals

    def _sentence(
        self, text: str, span: Span, tokens: Sequence[Token], caps_allowed: bool
    ) -> tuple[Polarity, list[TokenWeight]]:
        contributions, total = self._weigh(tokens, caps_allowed)
        sentence = span.text
        total = rules.punctuation_emphasis(total, sentence.count("!"), "?" in sentence)
        return _polarity(rules.normalize(total)), _token_weights(text, tokens, contributions)

    def _classify(self, words: list[str]) -> tuple[list[int], list[float], list[int]]:
        """Kind and value per token, and where each entry ends (multi-word entries span tokens)."""
        count = len(words)
        lookup = self._index.get
        found = [lookup(word) for word in words]
        kinds = [KIND_OTHER] * count
        values = [0.0] * count
        ends = list(range(1, count + 1))
        resume = 0
        for i, entry in enumerate(found):
            if entry is None:
                word = words[i]
                if word[0] < _FIRST_PICTOGRAPH or i < resume:
                    continue
                entry = lookup(strip_emoji_decorations(word))
                if entry is None:
                    continue
            elif i < resume:
                continue
            kind, value, phrases, second_words = entry
            if phrases is not None and i + 1 < count and words[i + 1] in second_words:
                match = _match_phrase(words, i, phrases)
                if match is not None:
                    end, (kind, value) = match
                    ends[i] = resume = end
                    for inner in range(i + 1, end):
                        kinds[inner] = KIND_INSIDE
            kinds[i], values[i] = kind, value
        return kinds, values, ends

    def _weigh(self, tokens: Sequence[Token], caps_allowed: bool) -> tuple[list[_Contribution], float]:
        """The contributions of one sentence (or clause) and their sum."""
        words = [token[0].lower() for token in tokens]
        kinds, values, ends = self._classify(words)
        if KIND_INTENSIFIER in kinds or KIND_EXCESS in kinds:
            self._resolve_dual_roles(words, kinds, values, ends)
        has_negator = KIND_NEGATOR in kinds
        if KIND_VALENCE not in kinds and not has_negator:
            return [], 0.0
        contrast = rules.clause_weights_for_contrast(kinds)
        contributions: list[_Contribution] = []
        used_negators: set[int] = set()
        lookback = max(rules.INTENSIFIER_WINDOW, rules.NEGATION_WINDOW)
        for i in [i for i, kind in enumerate(kinds) if kind == KIND_VALENCE]:
            valence = values[i]
            if caps_allowed and rules.is_caps_emphasis(tokens[i][0]):
                valence = rules.caps_emphasis(valence)
            negators: list[int] = []
            distance = 0
            j = i - 1
            while j >= 0 and distance < lookback:
                before = kinds[j]
                if before == KIND_INSIDE:
                    j -= 1
                    continue
                if before == KIND_BOUNDARY or before == KIND_CONTRAST or before == KIND_CONCESSION:
                    break
                distance += 1
                if distance <= rules.INTENSIFIER_WINDOW and (
                    before == KIND_INTENSIFIER or (before == KIND_EXCESS and valence < 0)
                ):
                    increment = values[j] if before == KIND_INTENSIFIER else rules.EXCESS_INCREMENT
                    capitalized = caps_allowed and rules.is_caps_emphasis(tokens[j][0])
                    valence += rules.intensifier_increment(increment, distance, valence, capitalized)
                elif (
                    before == KIND_NEGATOR
                    and distance <= rules.NEGATION_WINDOW
                    and words[ends[j]] not in rules.NEGATION_CANCELLERS
                ):
                    negators.append(j)
                j -= 1
            if negators:
                used_negators.update(negators)
                if len(negators) % 2:  # "not without merit": two negations affirm
                    valence = rules.negate(valence)
            contributions.append((i, ends[i], valence))
        if has_negator:
            contributions.extend(_unattached_negations(kinds, ends, words, used_negators))
            contributions.sort()
        if contrast is not None:
            contributions = [(i, end, valence * contrast[i]) for i, end, valence in contributions]
        return contributions, sum(valence for _, _, valence in contributions)

    def _resolve_dual_roles(
        self, words: list[str], kinds: list[int], values: list[float], ends: list[int]
    ) -> None:
        """Intensifiers with a valence of their own ("pretty") keep it when no sentiment word follows;
        "too" before a word it complains about becomes one sentiment entry ("too long")."""
        count = len(kinds)
        for i, kind in enumerate(kinds):
            if kind == KIND_INTENSIFIER and words[i] in self._intensifier_valence:
                following = ends[i]
                if following >= count or kinds[following] not in _SENTIMENT_OR_MODIFIER:
                    kinds[i], values[i] = KIND_VALENCE, self._intensifier_valence[words[i]]
            elif kind == KIND_EXCESS:
                following = ends[i]
                if following < count and _is_excessive(kinds[following], values[following], words[following]):
                    kinds[i], values[i], ends[i] = KIND_VALENCE, rules.EXCESS_VALENCE, ends[following]
                    for inner in range(following, ends[following]):
                        kinds[inner] = KIND_INSIDE


def _match_phrase(words: list[str], start: int, phrases: _Phrases) -> tuple[int, tuple[int, float]] | None:
    """(end, (kind, value)) of the longest phrase starting at `start`, or None."""
    for length, options in phrases.items():
        end = start + length
        if end <= len(words):
            found = options.get(tuple(words[start:end]))
            if found is not None:
                return end, found
    return None


def _is_excessive(kind: int, value: float, word: str) -> bool:
    """What "too" complains about: a word without sentiment ("too long") or a positive one
    ("too sweet", "too eager to please"); before a negative word "too" only intensifies."""
    return (kind == KIND_OTHER and word.isalpha()) or (kind == KIND_VALENCE and value > 0)


def _unattached_negations(
    kinds: list[int], ends: list[int], words: list[str], used: set[int]
) -> list[_Contribution]:
    """Negators that negated no sentiment word: "it doesn't work" complains; a pair such as
    "never lacks" affirms."""
    found: list[_Contribution] = []
    count = len(kinds)
    i = 0
    while i < count:
        if kinds[i] == KIND_NEGATOR and i not in used:
            following = ends[i]
            if following < count and kinds[following] == KIND_NEGATOR and following not in used:
                found.append((i, ends[following], -rules.UNATTACHED_NEGATOR_VALENCE))
                i = ends[following]
                continue
            if rules.negator_stands_alone(i, following, words):
                found.append((i, following, rules.UNATTACHED_NEGATOR_VALENCE))
        i += 1
    return found


def _polarity(score: float) -> Polarity:
    score = max(-1.0, min(1.0, score))
    return Polarity(rules.label_for(score), score, dict(zip(POLARITY_LABELS, rules.probabilities(score))))


def _token_weights(text: str, tokens: Sequence[Token], contributions: list[_Contribution]) -> list[TokenWeight]:
    weights = []
    for first, end, weight in contributions:
        start, stop = tokens[first].start, tokens[end - 1].end
        weights.append(TokenWeight(text[start:stop], start, stop, round(weight, 4)))
    return weights
