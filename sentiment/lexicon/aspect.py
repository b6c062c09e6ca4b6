"""Aspect mode of the lexicon analyzer: find aspect terms, then score the opinions around each.

Finding: the aspect lexicon (lexicons/aspect_terms.tsv, longest match over tokens) plus offline
noun-phrase heuristics ("the X is ...", "my X and Y were ...", "its X struggles ..."), since no
part-of-speech tagger can be downloaded here.

Scoring: each sentence is cut into clauses at contrast words and ";" (hard boundaries), and each
clause into segments at "," and "and" (soft boundaries). The opinions of a clause come from the
polarity scorer's rule-adjusted weights plus the domain cues of lexicons/aspect_opinions.tsv
("drains", "runs small", "cold" food). An aspect takes the opinions of its own segment and of the
following segments that name no aspect; an opinion shared by several aspects of one segment goes
to the nearest. An aspect left without opinion borrows from the next segment of its clause
when it is a bare list item ("the food and the service were great"), else takes the clause's
opinions that are nearer to it than to any other aspect; failing that it is neutral.

`python -m sentiment.lexicon.aspect "text"` prints the aspects found in a text.
"""

from __future__ import annotations

import json
import sys
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence, TypeVar

from ..errors import ResourceError
from ..text import Token, split_sentences, tokenize
from ..types import AspectSentiment, TokenWeight
from . import rules

if TYPE_CHECKING:  # only for the annotation: the polarity module is loaded by the caller
    from .polarity import PolarityScorer

V = TypeVar("V")

ASPECT_TERMS_FILE = "aspect_terms.tsv"
ASPECT_OPINIONS_FILE = "aspect_opinions.tsv"
OTHER_CATEGORY = "other"
ANY_CATEGORY = "*"

# Each token of distance between an opinion and its aspect beyond the first keeps this share of
# the opinion's weight, so that the nearest opinion decides when several disagree.
DISTANCE_DECAY = 0.9
# "too" before a word that is not positive ("too small", "too salty") is an excess complaint.
EXCESS_VALENCE = -1.5
# The noun-phrase heuristic takes at most this many words before the verb as the aspect term.
MAX_HEURISTIC_TERM_WORDS = 2

NEGATION_SUFFIXES = ("n't", "n’t")
# Contrast words (the polarity lexicon's contrast and concession words, one-word ones) open a new
# clause, except these, which are also sentence adverbs ("the dim sum however was good", "good
# though"): they open one only after a comma and when no comma follows ("good, however the...").
CONTRAST_ADVERBS = frozenset("however though yet".split())
HARD_PUNCTUATION = frozenset({";", ":", "!", "?", "."})
SOFT_BOUNDARIES = frozenset({",", "and", "&", "plus", "-", "—", "–", "(", ")", "/"})
DETERMINERS = frozenset(
    "the a an my our your his her its their this that these those every each some any no "
    "whose which what".split()
)
# Verbs after which the preceding noun phrase is what the sentence is about ("the X is great").
COPULAS = frozenset(
    "is was are were be been being am 's seems seemed seem looks looked look feels felt feel "
    "tastes tasted taste smells smelled sounds sounded works worked work runs ran run lasts "
    "lasted last remains remained became becomes gets got isn't wasn't aren't weren't "
    "doesn't didn't don't won't can't couldn't".split()
)
PRONOUNS = frozenset(
    "i me my mine we us our ours you your yours he him his she her hers it its they them their "
    "theirs this that these those there here who whom what which everything something anything "
    "nothing everyone someone anyone one ones".split()
)
# Words that head a noun phrase without naming an aspect of the product or service.
GENERIC_NOUNS = frozenset(
    "thing things lot lots bit way rest fact reason problem problems issue issues point part "
    "kind sort type idea end result question answer truth best worst day days night nights year "
    "years time times moment minute minutes hour hours week weeks month months first second "
    "last next other others same only whole reviews review stars star guy guys girl girls "
    "people person friend friends husband wife family daughter son kids mom dad usual regular "
    "picture photo model weather piece".split()
)
# The reviewed thing as a whole is not one of its aspects ("the place is great", "this laptop
# is fast"): its overall polarity is the polarity mode's job.
WHOLE_ENTITY_NOUNS = frozenset(
    "place places restaurant restaurants spot joint establishment cafe café bistro diner shop store "
    "laptop laptops computer computers notebook netbook machine pc mac macbook device phone "
    "product products item items purchase brand company".split()
)
PREPOSITIONS = frozenset(
    "of in on at for with to from by about into onto over under after before during than like "
    "per via without within".split()
)
# Adjectives and quantifiers that often stand between a determiner and the noun; dropped from
# the front of a heuristic term ("the new update is buggy" -> "update").
MODIFIERS = frozenset(
    "new old first last other whole entire only same next little big small own main overall "
    "original extra real actual second third previous current few many several all both "
    "such very really pretty quite so too more most less least much tad super".split()
)
# Words before a single-word lexicon term that show it is used as a verb ("I had to wait",
# "they look great", "it fits").
VERB_CONTEXT = frozenset(
    "to i we you they he she it will would can could should must might may did do does "
    "don't didn't doesn't won't can't please 'll let just".split()
)
EXCESS_WORD = "too"
# Words that may stand beside an aspect in a list item without saying anything about it.
LIST_FILLERS = DETERMINERS | SOFT_BOUNDARIES | MODIFIERS | frozenset({"also", "as", "well", "even"})


@dataclass(frozen=True)
class _Mention:
    """An aspect term found in a sentence: token indices [first, last] and its character span."""

    first: int
    last: int
    start: int
    end: int
    category: str


@dataclass(frozen=True)
class _Opinion:
    """A weighted opinion at token index `index` (its first token for a multi-word cue)."""

    index: int
    text: str
    weight: float


def _word_key(token: Token) -> tuple[str, int]:
    """The lower-cased matching key of a token and the end offset of that key in the text.

    A possessive "'s" is not part of the key ("café's coffee" matches "café").
    """
    lower = token.text.lower()
    for suffix in ("'s", "’s"):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return lower[: -len(suffix)], token.end - len(suffix)
    return lower.replace("’", "'"), token.end


def _plural(word: str) -> str:
    """The regular English plural of a noun (irregular ones are listed in the lexicon)."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _read_tsv(path: Path) -> Iterable[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of every line that is not blank or a `#` comment."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ResourceError(f"aspect lexicon file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ResourceError(f"{path}: cannot read as UTF-8 text ({error})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, [field.strip() for field in line.split("\t")]


def _term_key(term: str) -> tuple[str, ...]:
    return tuple(_word_key(token)[0] for token in tokenize(term))


def _longest_matches(table: Mapping[tuple[str, ...], V], longest: int, keys: Sequence[str]) -> list[tuple[int, int, V]]:
    """Non-overlapping (first, last, value) matches of `table`'s token tuples, leftmost then longest."""
    found = []
    i = 0
    while i < len(keys):
        for length in range(min(longest, len(keys) - i), 0, -1):
            value = table.get(tuple(keys[i : i + length]))
            if value is not None:
                found.append((i, i + length - 1, value))
                i += length
                break
        else:
            i += 1
    return found


@dataclass(frozen=True)
class AspectLexicon:
    """Aspect terms as token tuples -> category, with regular plurals of the last word added."""

    categories: Mapping[tuple[str, ...], str]
    longest: int

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[str, str]]) -> "AspectLexicon":
        listed: dict[tuple[str, ...], str] = {}
        for term, category in entries:
            key = _term_key(term)
            if key:
                listed.setdefault(key, category)
        terms = dict(listed)
        for key, category in listed.items():
            terms.setdefault(key[:-1] + (_plural(key[-1]),), category)
        return cls(MappingProxyType(terms), max((len(k) for k in terms), default=0))

    @classmethod
    def load(cls, path: Path) -> "AspectLexicon":
        entries = []
        for number, fields in _read_tsv(path):
            if len(fields) < 2 or not fields[0] or not fields[1]:
                raise ResourceError(f"{path}:{number}: expected 'term<TAB>category', got {fields!r}")
            entries.append((fields[0], fields[1]))
        return cls.from_entries(entries)

    def category_of(self, words: Sequence[str]) -> str:
        """The category of a phrase: the whole, else its last (head) word, else `OTHER_CATEGORY`."""
        key = tuple(word.lower() for word in words)
        return self.categories.get(key) or self.categories.get(key[-1:]) or OTHER_CATEGORY

    def find(self, keys: Sequence[str]) -> list[tuple[int, int, str]]:
        """Non-overlapping (first, last, category) matches, leftmost then longest."""
        return _longest_matches(self.categories, self.longest, keys)


@dataclass(frozen=True)
class DomainOpinions:
    """Aspect-context opinion cues: token tuple -> {category or ANY_CATEGORY: valence}."""

    valences: Mapping[tuple[str, ...], Mapping[str, float]]
    longest: int

    @classmethod
    def load(cls, path: Path) -> "DomainOpinions":
        table: dict[tuple[str, ...], dict[str, float]] = {}
        for number, fields in _read_tsv(path):
            try:
                term, valence = fields[0], float(fields[1])
            except (IndexError, ValueError):
                raise ResourceError(
                    f"{path}:{number}: expected 'term<TAB>valence[<TAB>categories]', got {fields!r}"
                ) from None
            categories = [c.strip() for c in fields[2].split(",")] if len(fields) > 2 and fields[2] else []
            row = table.setdefault(_term_key(term), {})
            for category in categories or [ANY_CATEGORY]:
                row[category] = valence
        frozen = {key: MappingProxyType(row) for key, row in table.items() if key}
        return cls(MappingProxyType(frozen), max((len(k) for k in frozen), default=0))

    def find(self, keys: Sequence[str]) -> list[tuple[int, int, Mapping[str, float]]]:
        """Non-overlapping (first, last, valence by category) cue matches, leftmost then longest."""
        return _longest_matches(self.valences, self.longest, keys)


def _valence_for(row: Mapping[str, float], category: str) -> float | None:
    return row.get(category, row.get(ANY_CATEGORY))


@dataclass(frozen=True)
class _Clause:
    """Token indices [first, last] of a sentence between hard boundaries, and its segments."""

    first: int
    last: int
    segments: tuple[tuple[int, int], ...]


class AspectScorer:
    """Finds aspect mentions and scores each with the opinions of its clause."""

    def __init__(self, terms: AspectLexicon, opinions: DomainOpinions, polarity: "PolarityScorer") -> None:
        self.terms = terms
        self.opinions = opinions
        self.polarity = polarity
        self.negators = frozenset(polarity.lexicon.negators)
        contrast = polarity.lexicon.contrast | polarity.lexicon.concession
        self.contrast_words = frozenset(w for w in contrast if " " not in w) - CONTRAST_ADVERBS

    @classmethod
    def load(cls, lexicons_dir: Path, polarity: "PolarityScorer") -> "AspectScorer":
        folder = Path(lexicons_dir)
        return cls(
            AspectLexicon.load(folder / ASPECT_TERMS_FILE),
            DomainOpinions.load(folder / ASPECT_OPINIONS_FILE),
            polarity,
        )

    def score(self, text: str, tokens: list[Token]) -> tuple[AspectSentiment, ...]:
        """Every aspect mention of `text`, in text order, with its polarity and evidence."""
        return self._score(text, tokens, spans=None)

    def score_terms(
        self, text: str, tokens: list[Token], spans: Sequence[tuple[int, int]]
    ) -> tuple[AspectSentiment, ...]:
        """Score given aspect spans (for example gold terms) instead of finding them, in span order."""
        return self._score(text, tokens, spans=list(spans))

    def _score(
        self, text: str, tokens: list[Token], spans: list[tuple[int, int]] | None
    ) -> tuple[AspectSentiment, ...]:
        results: list[AspectSentiment] = []
        starts = [t.start for t in tokens]
        for sentence in split_sentences(text):
            first = bisect_left(starts, sentence.start)
            sentence_tokens = [t for t in tokens[first : bisect_left(starts, sentence.end)] if t.end <= sentence.end]
            if not sentence_tokens:
                continue
            keys = [_word_key(t)[0] for t in sentence_tokens]
            clauses = _clauses(keys, self.contrast_words)
            weights = self._general_weights(text, sentence_tokens, clauses)
            cue_tokens = {i for first, last, _ in self.opinions.find(keys) for i in range(first, last + 1)}
            opinion_tokens = set(weights) | cue_tokens
            if spans is None:
                mentions = self._find_mentions(sentence_tokens, keys, clauses, opinion_tokens)
            else:
                inside = [s for s in spans if sentence.start <= s[0] < sentence.end]
                mentions = self._given_mentions(sentence_tokens, inside)
            for clause in clauses:
                in_clause = [m for m in mentions if clause.first <= m.first <= clause.last]
                if in_clause:
                    results.extend(self._score_clause(text, sentence_tokens, keys, clause, in_clause, weights))
        if spans is not None:
            order = {span: n for n, span in enumerate(spans)}
            results.sort(key=lambda r: order.get((r.start, r.end), len(order)))
        return tuple(results)

    # finding aspects ---------------------------------------------------------------------

    def _find_mentions(
        self,
        tokens: Sequence[Token],
        keys: Sequence[str],
        clauses: Sequence[_Clause],
        opinion_tokens: set[int],
    ) -> list[_Mention]:
        negators = {i for i, key in enumerate(keys) if self._is_negator(key)}
        opinion_tokens = opinion_tokens | negators
        matches = [m for m in self.terms.find(keys) if not (m[0] == m[1] and _used_as_verb(keys, m[0]))]
        covered = {i for first, last, _ in matches for i in range(first, last + 1)}
        mentions = []
        for first, last, category in matches:
            first, last = _compound(tokens, keys, first, last, opinion_tokens, covered)
            covered.update(range(first, last + 1))
            mentions.append(self._mention(tokens, first, last, category))
        for clause in clauses:
            for first, last in _heuristic_phrases(keys, clause, opinion_tokens, covered):
                words = keys[first : last + 1]
                mentions.append(self._mention(tokens, first, last, self.terms.category_of(words)))
                covered.update(range(first, last + 1))
        return sorted(mentions, key=lambda m: m.first)

    def _given_mentions(self, tokens: Sequence[Token], spans: Sequence[tuple[int, int]]) -> list[_Mention]:
        mentions = []
        for start, end in spans:
            indices = [i for i, t in enumerate(tokens) if t.start < end and t.end > start]
            if not indices:
                continue
            words = [_word_key(tokens[i])[0] for i in indices]
            category = self.terms.category_of(words)
            mentions.append(_Mention(indices[0], indices[-1], start, end, category))
        return mentions

    @staticmethod
    def _mention(tokens: Sequence[Token], first: int, last: int, category: str) -> _Mention:
        return _Mention(first, last, tokens[first].start, _word_key(tokens[last])[1], category)

    # scoring -----------------------------------------------------------------------------

    def _general_weights(
        self, text: str, tokens: Sequence[Token], clauses: Sequence[_Clause]
    ) -> dict[int, TokenWeight]:
        """The polarity scorer's weights of each clause, by sentence token index."""
        index_by_start = {t.start: i for i, t in enumerate(tokens)}
        weights: dict[int, TokenWeight] = {}
        for clause in clauses:
            clause_tokens = list(tokens[clause.first : clause.last + 1])
            for weight in self.polarity.clause_weights(text, clause_tokens):
                index = index_by_start.get(weight.start)
                if index is not None and weight.weight != 0:
                    weights[index] = weight
        return weights

    def _score_clause(
        self,
        text: str,
        tokens: Sequence[Token],
        keys: Sequence[str],
        clause: _Clause,
        mentions: Sequence[_Mention],
        weights: Mapping[int, TokenWeight],
    ) -> list[AspectSentiment]:
        in_terms = {i for m in mentions for i in range(m.first, m.last + 1)}
        segment_of = {i: n for n, (a, b) in enumerate(clause.segments) for i in range(a, b + 1)}
        groups = _segment_groups(clause.segments, {segment_of[m.first] for m in mentions})
        cues = self.opinions.find(keys[clause.first : clause.last + 1])
        results = []
        for mention in mentions:
            opinions = self._opinions_for(text, tokens, keys, clause, mention, weights, cues, in_terms)
            group = groups[segment_of[mention.first]]
            own = [o for o in opinions if segment_of.get(o.index) in group]
            rivals = [m for m in mentions if m is not mention and segment_of[m.first] in group]
            chosen = [o for o in own if _nearest(o.index, mention, rivals)]
            if not chosen:
                chosen = _borrowed(opinions, mention, keys, clause.segments, groups, segment_of)
            if not chosen:
                chosen = [o for o in opinions if _nearest(o.index, mention, mentions)]
            total = sum(o.weight * DISTANCE_DECAY ** max(0, _distance(o.index, mention) - 1) for o in chosen)
            score = rules.normalize(total)
            results.append(
                AspectSentiment(
                    term=text[mention.start : mention.end],
                    start=mention.start,
                    end=mention.end,
                    category=mention.category,
                    polarity=rules.label_for(score),
                    score=round(score, 4),
                    evidence=tuple(o.text for o in sorted(chosen, key=lambda o: o.index)),
                )
            )
        return results

    def _opinions_for(
        self,
        text: str,
        tokens: Sequence[Token],
        keys: Sequence[str],
        clause: _Clause,
        mention: _Mention,
        weights: Mapping[int, TokenWeight],
        cues: Sequence[tuple[int, int, Mapping[str, float]]],
        in_terms: set[int],
    ) -> list[_Opinion]:
        """The clause's opinions as seen from one aspect: general weights, domain cues for its
        category replacing them, and "too X" excess complaints."""
        by_index: dict[int, _Opinion] = {
            i: _Opinion(i, w.token, w.weight)
            for i, w in weights.items()
            if clause.first <= i <= clause.last and i not in in_terms
        }
        for offset_first, offset_last, row in cues:
            first, last = clause.first + offset_first, clause.first + offset_last
            valence = _valence_for(row, mention.category)
            outside = [i for i in range(first, last + 1) if i not in in_terms]
            if valence is None or not outside:
                continue
            # A cue that contains an aspect term ("reasonably priced", "long wait") sits on its
            # first word outside the term.
            negator = self._negator_before(keys, first, clause.first)
            if negator is not None:
                valence = rules.negate(valence)
                by_index.pop(negator, None)  # its own weight, if any, is used up by this cue
            for i in outside:
                by_index.pop(i, None)
            cue_text = text[tokens[outside[0]].start : tokens[outside[-1]].end]
            by_index[outside[0]] = _Opinion(outside[0], cue_text, valence)
        for i in range(clause.first, clause.last):
            target = i + 1
            if keys[i] != EXCESS_WORD or target in in_terms or not tokens[target].is_word:
                continue
            current = by_index.get(target)
            if current is None or current.weight < 0:
                valence = min(EXCESS_VALENCE, current.weight if current else 0.0)
                negator = self._negator_before(keys, i, clause.first)
                if negator is not None:
                    valence = rules.negate(valence)
                    by_index.pop(negator, None)
                by_index[target] = _Opinion(target, text[tokens[i].start : tokens[target].end], valence)
        return sorted((o for o in by_index.values() if o.weight != 0), key=lambda o: o.index)

    def _is_negator(self, key: str) -> bool:
        return key in self.negators or key.endswith(NEGATION_SUFFIXES)

    def _negator_before(self, keys: Sequence[str], index: int, floor: int) -> int | None:
        """The index of a negator within the polarity rules' negation window before `index`."""
        for i in range(index - 1, max(floor, index - rules.NEGATION_WINDOW) - 1, -1):
            if self._is_negator(keys[i]):
                return i
        return None


def _distance(index: int, mention: _Mention) -> int:
    if index < mention.first:
        return mention.first - index
    if index > mention.last:
        return index - mention.last
    return 0


def _nearest(index: int, mention: _Mention, rivals: Sequence[_Mention]) -> bool:
    """Whether the opinion at `index` belongs to `mention` rather than to a rival aspect of the
    same segment: the nearest aspect wins; on a tie, the aspect right after the opinion
    ("terrible service"), else the aspect before it ("the pizza was great")."""

    def rank(candidate: _Mention) -> tuple[int, int, int]:
        attributive = 0 if candidate.first == index + 1 else 1
        predicative = 0 if candidate.last < index else 1
        return (_distance(index, candidate), attributive, predicative)

    own = rank(mention)
    return all(own <= rank(rival) for rival in rivals)


def _borrowed(
    opinions: Sequence[_Opinion],
    mention: _Mention,
    keys: Sequence[str],
    segments: Sequence[tuple[int, int]],
    groups: Mapping[int, frozenset[int]],
    segment_of: Mapping[int, int],
) -> list[_Opinion]:
    """For an aspect that is a bare list item ("the food and the service were great", "we love
    the food, drinks, and atmosphere"): the opinions of the nearest group of the clause that has
    any, the following groups first. Any other aspect borrows nothing."""
    segment = segments[segment_of[mention.first]]
    others = [keys[i] for i in range(segment[0], segment[1] + 1) if not mention.first <= i <= mention.last]
    if any(word not in LIST_FILLERS for word in others):
        return []
    own_group = groups[segment_of[mention.first]]
    ordered = sorted(set(groups.values()), key=min)
    position = ordered.index(own_group)
    for group in ordered[position + 1 :] + ordered[:position][::-1]:
        found = [o for o in opinions if segment_of.get(o.index) in group]
        if found:
            return found
    return []


def _segment_groups(
    segments: Sequence[tuple[int, int]], aspect_segments: set[int]
) -> dict[int, frozenset[int]]:
    """Segment index -> its group: an aspect segment with the following segments that name no
    aspect ("the food was cold, bland"); segments before the first aspect form their own group."""
    bounds = sorted({0, *aspect_segments, len(segments)})
    groups: dict[int, frozenset[int]] = {}
    for lower, upper in zip(bounds, bounds[1:]):
        group = frozenset(range(lower, upper))
        for n in group:
            groups[n] = group
    return groups


def _clauses(keys: Sequence[str], contrast_words: frozenset[str]) -> list[_Clause]:
    """Cut a sentence's tokens at hard boundaries into clauses, and clauses at soft ones into
    segments; boundary tokens belong to no clause."""
    clauses: list[_Clause] = []
    start = 0
    for i in range(len(keys) + 1):
        if i == len(keys) or keys[i] in contrast_words or keys[i] in HARD_PUNCTUATION or _opens_contrast(keys, i):
            if i > start:
                clauses.append(_Clause(start, i - 1, _segments(keys, start, i - 1)))
            start = i + 1
    return clauses


def _opens_contrast(keys: Sequence[str], index: int) -> bool:
    if keys[index] not in CONTRAST_ADVERBS:
        return False
    after = keys[index + 1] if index + 1 < len(keys) else ""
    return (index == 0 or keys[index - 1] == ",") and after not in {",", ""}


def _segments(keys: Sequence[str], first: int, last: int) -> tuple[tuple[int, int], ...]:
    """Cut a clause at its soft boundaries ("," "and" ...)."""
    segments = []
    start = first
    for i in range(first, last + 1):
        if keys[i] in SOFT_BOUNDARIES:
            if i > start:
                segments.append((start, i - 1))
            start = i + 1
    if start <= last:
        segments.append((start, last))
    if not segments:
        segments.append((first, last))
    # A boundary token belongs to the segment before it, so that every clause token has one.
    filled = []
    for n, (a, b) in enumerate(segments):
        end = segments[n + 1][0] - 1 if n + 1 < len(segments) else last
        filled.append((first if n == 0 else a, end))
    return tuple(filled)


def _heuristic_phrases(
    keys: Sequence[str], clause: _Clause, opinion_tokens: set[int], covered: set[int]
) -> list[tuple[int, int]]:
    """Noun phrases a determiner opens and a copula or opinion verb closes: "the X is ...",
    "its X struggles", "the X and (the) Y were ..."; (first, last) token indices."""
    phrases: list[tuple[int, int]] = []
    for verb in range(clause.first + 1, clause.last + 1):
        if keys[verb] not in COPULAS and verb not in opinion_tokens:
            continue
        found: list[tuple[int, int, int]] = []
        end = verb - 1
        while end >= clause.first:
            phrase = _phrase_before(keys, end, clause.first, opinion_tokens, covered)
            if phrase is None:
                break
            found.append(phrase)
            opener = phrase[2]
            if keys[opener] in DETERMINERS and opener - 1 >= clause.first and keys[opener - 1] in {"and", ","}:
                end = opener - 2
            elif keys[opener] in {"and", ","}:
                end = opener - 1
            else:
                break
        # A phrase opened by "and" only counts when a determiner opens the phrase before it.
        while found and keys[found[-1][2]] not in DETERMINERS:
            found.pop()
        phrases.extend((first, last) for first, last, _ in found)
    return phrases


def _phrase_before(
    keys: Sequence[str], last: int, floor: int, opinion_tokens: set[int], covered: set[int]
) -> tuple[int, int, int] | None:
    """The words between an opener (a determiner, or "and" / "," of a coordination) and index
    `last` (inclusive) as (first, last, opener index), if they look like a noun phrase that the
    lexicon did not already cover."""
    if last in covered:
        return None
    words = []
    i = last
    while i >= floor and keys[i] not in DETERMINERS and keys[i] not in {"and", ","}:
        if not _content_word(keys[i]) or i in opinion_tokens or i in covered:
            return None
        words.append(i)
        i -= 1
        if len(words) > MAX_HEURISTIC_TERM_WORDS + 1:
            return None
    if i < floor or not words:
        return None
    words.reverse()
    while words and keys[words[0]] in MODIFIERS:
        words.pop(0)
    head = keys[words[-1]] if words else ""
    if not words or len(words) > MAX_HEURISTIC_TERM_WORDS or head in GENERIC_NOUNS or head in WHOLE_ENTITY_NOUNS:
        return None
    return words[0], words[-1], i


def _compound(
    tokens: Sequence[Token],
    keys: Sequence[str],
    first: int,
    last: int,
    opinion_tokens: set[int],
    covered: set[int],
) -> tuple[int, int]:
    """Widen a lexicon match to the noun compound around it: "the lemon salad" (a determiner,
    then unlisted nouns before the term) and "the tiramisu crumble was" (one noun after the term,
    then a copula). Opinion words, modifiers and possessives ("the café's coffee") stay out."""

    def joinable(i: int) -> bool:
        return (
            _content_word(keys[i])
            and i not in opinion_tokens
            and i not in covered
            and keys[i] not in MODIFIERS
            and _word_key(tokens[i])[1] == tokens[i].end
        )

    before = first
    while before - 1 >= 0 and first - before < MAX_HEURISTIC_TERM_WORDS and joinable(before - 1):
        before -= 1
    if before < first and before - 1 >= 0 and keys[before - 1] in DETERMINERS:
        first = before
    if last + 2 < len(keys) and joinable(last + 1) and keys[last + 2] in COPULAS:
        last += 1
    return first, last


def _used_as_verb(keys: Sequence[str], index: int) -> bool:
    """Whether a one-word term is a verb here: after "to", a pronoun or an auxiliary ("I had to
    wait", "it fits"), or a verb form such as "looks" / "feels" without a determiner before it."""
    before = keys[index - 1] if index > 0 else ""
    return before in VERB_CONTEXT or (keys[index] in COPULAS and before not in DETERMINERS)


def _content_word(key: str) -> bool:
    return (
        key.isalpha()
        and len(key) > 1
        and key not in PRONOUNS
        and key not in DETERMINERS
        and key not in COPULAS
        and not key.endswith(NEGATION_SUFFIXES)
        and key not in CONTRAST_ADVERBS
        and key not in SOFT_BOUNDARIES
        and key not in VERB_CONTEXT
        and key not in PREPOSITIONS
        and not key.endswith("est")
        and not key.endswith("ly")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the aspects of each text argument as JSON lines."""
    from ..resources import lexicons_dir
    from .data import load_lexicon
    from .polarity import PolarityScorer

    folder = lexicons_dir()
    scorer = AspectScorer.load(folder, PolarityScorer(load_lexicon(folder)))
    for text in sys.argv[1:] if argv is None else argv:
        aspects = scorer.score(text, tokenize(text))
        print(json.dumps([a.__dict__ for a in aspects], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
