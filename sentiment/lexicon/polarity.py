"""Polarity from the valence lexicon plus the rules in rules.py, sentence by sentence.

Each token is looked up once (multi-word entries first, longest match). The tokens that have a role
(sentiment, intensifier, negator, contrast, clause punctuation...) become "items"; every sentiment
item is adjusted by the intensifiers, negators and caps before it, then weighted by the contrast
structure of its sentence. A sentence's sum (plus "!"/"?" emphasis) is normalized into [-1, 1]; a
text's score aggregates its sentence scores (`rules.aggregate`), so long texts do not saturate.

Speed (benchmarks/lexicon_benchmark.py measures it against VADER): `score_text` tokenizes into
lower-cased words and offsets without building `Token`s (`text.tokenize_lowered`); words are looked
up through `map` and only those found are visited in Python; a sentence in which no word modifies
another skips the rules (`_unmodified`); the per-text results are built once, without copies.
"""

from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import NamedTuple, Sequence

from ..text import Token, is_one_sentence, split_sentences, tokenize_lowered
from ..types import POLARITY_LABELS, Polarity, SentenceSentiment, TokenWeight
from . import rules
from .data import Lexicon, strip_emoji_decorations
from .rules import (
    KIND_BOUNDARY,
    KIND_CONCESSION,
    KIND_CONTRAST,
    KIND_EXCESS,
    KIND_INTENSIFIER,
    KIND_NEGATOR,
    KIND_OTHER,
    KIND_VALENCE,
    INTENSIFIER_WINDOW,
    NEGATION_CANCELLERS,
    NEGATION_WINDOW,
)

# Emoji and other pictographs start at U+2300 (see text._EMOJI_BASE); only such tokens may carry
# decorations (skin tones, presentation selectors) that must be stripped before lookup.
_FIRST_PICTOGRAPH = "\u2300"
_SENTIMENT_OR_MODIFIER = (KIND_VALENCE, KIND_INTENSIFIER, KIND_EXCESS)
_CLAUSE_LIMITS = (KIND_BOUNDARY, KIND_CONTRAST, KIND_CONCESSION)
# Kinds that change other words' weights; a sentence without them is scored by `_unmodified`.
_MODIFIER_KINDS = frozenset({KIND_INTENSIFIER, KIND_NEGATOR, KIND_CONTRAST, KIND_CONCESSION, KIND_EXCESS})
_LOOKBACK = max(INTENSIFIER_WINDOW, NEGATION_WINDOW)  # tokens before a sentiment word that can modify it
_token_text, _token_start, _token_end = itemgetter(0), itemgetter(1), itemgetter(2)
_item_kind = itemgetter(2)
# Scores are reported to 4 decimals (more is noise for a lexicon method); equal scores then share
# one immutable Polarity, built once: about half of short texts hit this cache.
SCORE_DECIMALS = 4
_POLARITY_CACHE_LIMIT = 8192  # entries; the cache is emptied when full, so memory stays flat

# Phrases that start with one word: length (longest first) -> {words: (kind, value)}.
_Phrases = dict[int, dict[tuple[str, ...], tuple[int, float]]]
# What a word is: (kind, value, phrases starting with it or None, their second words or None).
_Entry = tuple[int, float, "_Phrases | None", "frozenset[str] | None"]
# An item: a token (or a multi-token phrase) with a role: [first token, end token, kind, value];
# a list because resolving dual roles ("pretty", "too") rewrites it in place.
_Item = list
# (first token index, end token index, weight) of one contributing word or phrase.
_Contribution = tuple[int, int, float]


class PolarityResult(NamedTuple):
    """A text's polarity, its per-sentence breakdown and the tokens that drove it (immutable; a
    named tuple because one is built per text)."""

    polarity: Polarity
    sentences: tuple[SentenceSentiment, ...]
    explanation: tuple[TokenWeight, ...]


_new_result = partial(tuple.__new__, PolarityResult)  # PolarityResult((...)) built in C, one per text


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
        index: dict[str, _Entry] = {word: (kind, value, None, None) for word, (kind, value) in entries.items()}
        for first, options in phrases.items():
            kind, value, _, _ = index.get(first, (KIND_OTHER, 0.0, None, None))
            by_length: _Phrases = {}
            for words, option_kind, option_value in sorted(options, key=lambda option: -len(option[0])):
                by_length.setdefault(len(words), {})[words] = (option_kind, option_value)
            index[first] = (kind, value, by_length, frozenset(words[1] for words, _, _ in options))
        self._index = index
        self._polarities: dict[float, Polarity] = {}
        self._neutral = self._polarity(0.0)  # the polarity of a sentence without sentiment

    # ------------------------------------------------------------------ public API

    def score(self, text: str, tokens: Sequence[Token]) -> PolarityResult:
        """The polarity of `text` (tokenized as `tokens`, spans into `text`)."""
        words = list(map(str.lower, map(_token_text, tokens)))
        return self._score(text, words, list(map(_token_start, tokens)), list(map(_token_end, tokens)))

    def score_text(self, text: str) -> PolarityResult:
        """`score(text, tokenize(text))`, faster: the scorer tokenizes without building tokens."""
        return self._score(text, *tokenize_lowered(text))

    def document_polarity(self, text: str) -> Polarity:
        """`score_text(text).polarity`, without the sentences and token weights (the same object)."""
        words, starts, ends = tokenize_lowered(text)
        caps_allowed = not text.isupper()
        polarities = [
            self._sentence_polarity(text, sentence, sentence_words, sentence_starts, sentence_ends, caps_allowed)
            for sentence, _, _, sentence_words, sentence_starts, sentence_ends in _sentences(text, words, starts, ends)
        ]
        return polarities[0] if len(polarities) == 1 else self._polarity(rules.aggregate([p.score for p in polarities]))

    def clause_weights(self, text: str, tokens: Sequence[Token]) -> list[TokenWeight]:
        """Rule-adjusted weights (VADER scale) of the sentiment-bearing tokens in `tokens`, a clause
        of `text`: negation, intensifiers, caps and contrast applied within the clause."""
        words = list(map(str.lower, map(_token_text, tokens)))
        starts, ends = list(map(_token_start, tokens)), list(map(_token_end, tokens))
        contributions, _ = self._weigh(text, words, starts, ends, not text.isupper(), not text.isascii())
        return list(_token_weights(text, starts, ends, contributions))

    # ------------------------------------------------------------------ internals

    def _score(self, text: str, words: list[str], starts: list[int], ends: list[int]) -> PolarityResult:
        """The polarity of `text` from its tokens as parallel lists (lower-cased words, offsets)."""
        caps_allowed = not text.isupper()
        parts = _sentences(text, words, starts, ends)
        if len(parts) == 1:  # the common case
            sentence, start, end, sentence_words, sentence_starts, sentence_ends = parts[0]
            polarity, weights = self._sentence(text, sentence, sentence_words, sentence_starts, sentence_ends, caps_allowed)
            return _new_result((polarity, (SentenceSentiment(sentence, start, end, polarity),), weights))
        sentences: list[SentenceSentiment] = []
        explanation: list[TokenWeight] = []
        scores: list[float] = []
        for sentence, start, end, sentence_words, sentence_starts, sentence_ends in parts:
            polarity, weights = self._sentence(text, sentence, sentence_words, sentence_starts, sentence_ends, caps_allowed)
            scores.append(polarity.score)
            sentences.append(SentenceSentiment(sentence, start, end, polarity))
            explanation.extend(weights)
        return _new_result((self._polarity(rules.aggregate(scores)), tuple(sentences), tuple(explanation)))

    def _sentence(
        self, text: str, sentence: str, words: list[str], starts: list[int], ends: list[int], caps_allowed: bool
    ) -> tuple[Polarity, tuple[TokenWeight, ...]]:
        contributions, total = self._weigh(text, words, starts, ends, caps_allowed, not sentence.isascii())
        if not contributions:  # no sentiment: "!" and "?" have nothing to emphasize
            return self._neutral, ()
        return self._emphasized(sentence, total), _token_weights(text, starts, ends, contributions)

    def _sentence_polarity(
        self, text: str, sentence: str, words: list[str], starts: list[int], ends: list[int], caps_allowed: bool
    ) -> Polarity:
        """`_sentence`'s polarity alone."""
        contributions, total = self._weigh(text, words, starts, ends, caps_allowed, not sentence.isascii())
        return self._emphasized(sentence, total) if contributions else self._neutral

    def _emphasized(self, sentence: str, total: float) -> Polarity:
        """The polarity of a sentence whose contributions sum to `total`, with its "!" and "?"."""
        if "!" in sentence or "?" in sentence:  # (most sentences have neither)
            total = rules.punctuation_emphasis(total, sentence.count("!"), "?" in sentence)
        return self._polarity(rules.normalize(total))

    def _polarity(self, score: float) -> Polarity:
        score = round(max(-1.0, min(1.0, score)), SCORE_DECIMALS) or 0.0  # -0.0 reads as 0.0
        polarity = self._polarities.get(score)
        if polarity is None:
            if len(self._polarities) >= _POLARITY_CACHE_LIMIT:
                self._polarities.clear()
            probabilities = dict(zip(POLARITY_LABELS, rules.probabilities(score)))
            polarity = self._polarities[score] = Polarity(rules.label_for(score), score, probabilities)
        return polarity

    def _items(self, words: list[str], may_have_emoji: bool) -> list[_Item]:
        """The tokens with a role, in order, as [first, end, kind, value]; phrases span tokens.

        Emoji with a skin tone or presentation selector ("👍🏽", "❤️") are looked up without it.
        """
        lookup = self._index.get
        count = len(words)
        items: list[_Item] = []
        resume = 0
        for i, entry in enumerate(map(lookup, words)):
            if entry is None and may_have_emoji and words[i][0] >= _FIRST_PICTOGRAPH:
                entry = lookup(strip_emoji_decorations(words[i]))
            if entry is None or i < resume:
                continue
            kind, value, phrases, second_words = entry
            end = i + 1
            if phrases is not None and end < count and words[end] in second_words:
                match = _match_phrase(words, i, phrases)
                if match is not None:
                    end, (kind, value) = match
                    resume = end
            if kind != KIND_OTHER:  # a phrase's first word that started no phrase, or a shield
                items.append([i, end, kind, value])
        return items

    def _weigh(
        self,
        text: str,
        words: list[str],
        starts: list[int],
        ends: list[int],
        caps_allowed: bool,
        may_have_emoji: bool,
    ) -> tuple[list[_Contribution], float]:
        """The contributions of one sentence (or clause) of `text` and their sum; token i is
        `words[i]` lower-cased, `text[starts[i]:ends[i]]` as written."""
        items = self._items(words, may_have_emoji)
        kinds = list(map(_item_kind, items))
        if KIND_INTENSIFIER in kinds or KIND_EXCESS in kinds:
            items = self._resolve_dual_roles(words, items)
            kinds = list(map(_item_kind, items))
        has_negator = KIND_NEGATOR in kinds
        if KIND_VALENCE not in kinds and not has_negator:
            return [], 0.0
        if _MODIFIER_KINDS.isdisjoint(kinds):  # the common case: no word modifies another
            return self._unmodified(text, items, starts, ends, caps_allowed)
        has_contrast = KIND_CONTRAST in kinds or KIND_CONCESSION in kinds
        contrast = rules.contrast_weights(kinds) if has_contrast else None
        intensifier_window, negation_window = INTENSIFIER_WINDOW, NEGATION_WINDOW
        contributions: list[_Contribution] = []
        used_negators: set[int] = set()
        for k, (i, end, kind, valence) in enumerate(items):
            if kind != KIND_VALENCE:
                continue
            if caps_allowed and rules.is_caps_emphasis(text[starts[i] : ends[i]]):
                valence = rules.caps_emphasis(valence)
            negators = []
            inside = 0  # tokens inside multi-token items passed so far: they do not count as distance
            for m in range(k - 1, -1, -1):
                first, stop, before, value = items[m]
                distance = i - stop + 1 - inside
                if distance > _LOOKBACK or before in _CLAUSE_LIMITS:
                    break
                if distance <= intensifier_window and (
                    before == KIND_INTENSIFIER or (before == KIND_EXCESS and valence < 0)
                ):
                    increment = value if before == KIND_INTENSIFIER else rules.EXCESS_INCREMENT
                    capitalized = caps_allowed and rules.is_caps_emphasis(text[starts[first] : ends[first]])
                    valence += rules.intensifier_increment(increment, distance, valence, capitalized)
                elif before == KIND_NEGATOR and distance <= negation_window and words[stop] not in NEGATION_CANCELLERS:
                    negators.append(m)
                inside += stop - first - 1
            if negators:
                used_negators.update(negators)
                if len(negators) % 2:  # "not without merit": two negations affirm
                    valence = rules.negate(valence)
            if contrast is not None:
                valence *= contrast[k]
            contributions.append((i, end, valence))
        if has_negator:
            unattached = _unattached_negations(items, words, used_negators, contrast)
            if unattached:
                contributions = sorted(contributions + unattached)
        total = 0.0
        for _, _, weight in contributions:
            total += weight
        return contributions, total

    @staticmethod
    def _unmodified(
        text: str, items: list[_Item], starts: list[int], ends: list[int], caps_allowed: bool
    ) -> tuple[list[_Contribution], float]:
        """`_weigh` for a sentence whose items are sentiment words and clause punctuation only: each
        sentiment word counts as it is, caps emphasis aside."""
        contributions: list[_Contribution] = []
        total = 0.0
        for i, end, kind, valence in items:
            if kind != KIND_VALENCE:
                continue
            if caps_allowed and rules.is_caps_emphasis(text[starts[i] : ends[i]]):
                valence = rules.caps_emphasis(valence)
            contributions.append((i, end, valence))
            total += valence
        return contributions, total

    def _resolve_dual_roles(self, words: list[str], items: list[_Item]) -> list[_Item]:
        """Intensifiers with a valence of their own ("pretty") keep it when no sentiment word follows;
        "too" before a word it complains about becomes one sentiment item ("too long")."""
        at = {item[0]: item for item in items}
        absorbed: set[int] = set()
        for item in items:
            first, end, kind, _ = item
            if first in absorbed:
                continue
            following = at.get(end)
            if kind == KIND_INTENSIFIER and words[first] in self._intensifier_valence:
                if following is None or following[2] not in _SENTIMENT_OR_MODIFIER:
                    item[2], item[3] = KIND_VALENCE, self._intensifier_valence[words[first]]
            elif kind == KIND_EXCESS and end < len(words):
                if following is None and words[end].isalpha():
                    item[1:] = [end + 1, KIND_VALENCE, rules.EXCESS_VALENCE]
                elif following is not None and following[2] == KIND_VALENCE and following[3] > 0:
                    item[1:] = [following[1], KIND_VALENCE, rules.EXCESS_VALENCE]
                    absorbed.add(end)
        return [item for item in items if item[0] not in absorbed] if absorbed else items


def _match_phrase(words: list[str], start: int, phrases: _Phrases) -> tuple[int, tuple[int, float]] | None:
    """(end, (kind, value)) of the longest phrase starting at `start`, or None."""
    for length, options in phrases.items():
        end = start + length
        if end <= len(words):
            found = options.get(tuple(words[start:end]))
            if found is not None:
                return end, found
    return None


def _unattached_negations(
    items: list[_Item], words: list[str], used: set[int], contrast: list[float] | None
) -> list[_Contribution]:
    """Negators that negated no sentiment word: "it doesn't work" complains; a pair such as
    "never lacks" affirms."""
    found: list[_Contribution] = []
    skip = -1
    for k, (first, end, kind, _) in enumerate(items):
        if kind != KIND_NEGATOR or k in used or k <= skip:
            continue
        weight = 1.0 if contrast is None else contrast[k]
        following = items[k + 1] if k + 1 < len(items) else None
        if following is not None and following[0] == end and following[2] == KIND_NEGATOR and k + 1 not in used:
            found.append((first, following[1], -rules.UNATTACHED_NEGATOR_VALENCE * weight))
            skip = k + 1
        elif rules.negator_stands_alone(first, end, words):
            found.append((first, end, rules.UNATTACHED_NEGATOR_VALENCE * weight))
    return found


def _sentences(
    text: str, words: list[str], starts: list[int], ends: list[int]
) -> list[tuple[str, int, int, list[str], list[int], list[int]]]:
    """The sentences of `text` (`split_sentences`' spans, as plain tuples: built once per text) with
    their tokens, slices of the parallel lists: (sentence, start, end, words, starts, ends)."""
    body = text.rstrip()
    if body and is_one_sentence(body):  # the common case: every token is in the one sentence
        sentence = body.lstrip()  # the span `split_sentences` gives, without searching for it
        return [(sentence, len(body) - len(sentence), len(body), words, starts, ends)]
    spans = split_sentences(text)
    if len(spans) == 1:  # one sentence after all ("Mr. Smith is great")
        return [(*spans[0], words, starts, ends)]
    found = []
    position, token_count = 0, len(words)
    for span in spans:
        first = position
        while position < token_count and starts[position] < span.end:
            position += 1
        found.append((*span, words[first:position], starts[first:position], ends[first:position]))
    return found


def _token_weights(
    text: str, starts: list[int], ends: list[int], contributions: list[_Contribution]
) -> tuple[TokenWeight, ...]:
    """The contributions as `TokenWeight`s, from the first token's start to the last token's end."""
    weights = []
    for first, end, weight in contributions:
        start, stop = starts[first], ends[end - 1]
        weights.append(TokenWeight(text[start:stop], start, stop, round(weight, SCORE_DECIMALS)))
    return tuple(weights)
