"""The polarity rules: small pure functions over valences, with every constant named.

The scorer (polarity.py) classifies each token as one of the `KIND_*` values, then applies these
rules. Valences are on VADER's -4..+4 scale until `normalize` maps a sentence's sum into [-1, 1].
Constants marked "VADER" are the empirically derived values of Hutto & Gilbert (2014).
"""

from __future__ import annotations

import math
from typing import Sequence

# What a token is to the rules.
KIND_OTHER = 0  # no role (or a shield phrase such as "special effects")
KIND_VALENCE = 1  # carries sentiment
KIND_INTENSIFIER = 2  # intensifier (+increment) or diminisher (-increment)
KIND_NEGATOR = 3
KIND_CONTRAST = 4  # "but": the clause after it matters most
KIND_CONCESSION = 5  # "although": the clause it opens matters less
KIND_BOUNDARY = 6  # clause punctuation: ends the reach of negators and intensifiers
KIND_EXCESS = 7  # "too": "too long" is a complaint even though "long" carries no sentiment

# Punctuation that ends a clause, so "not ..., good" does not negate "good".
CLAUSE_BOUNDARIES = frozenset({",", ";", ":", "—", "–", "--", "(", ")", "[", "]", ".", "…", "...", "!", "?"})

# --- intensifiers and diminishers ---
# How far back (in tokens) an intensifier reaches: "very good", "very very good", "really not that good".
INTENSIFIER_WINDOW = 3
# VADER: an intensifier 1, 2, 3 tokens away adds 100%, 95%, 90% of its increment.
INTENSIFIER_DECAY = (1.0, 0.95, 0.9)

# --- negation ---
# How far back a negator reaches: "not bad", "not the worst", "don't think it's good", "no real problems".
NEGATION_WINDOW = 3
# VADER: a negated word keeps 74% of its strength with the opposite sign ("not good" ~ -0.74 * good).
NEGATION_SCALAR = -0.74
# Negated negatives are weaker than their positive counterparts ("not bad" is faint praise,
# "not the worst" is not praise at all): they keep less of their strength (-0.3..-0.74 score alike
# on SST train; half is the middle).
NEGATED_NEGATIVE_SCALAR = -0.5
# A negator directly before one of these is not a negation: "not only good but great".
NEGATION_CANCELLERS = frozenset({"only", "just", "merely", "simply"})

# A negator that negates no sentiment word is itself a (mild) complaint: "it doesn't work",
# "there is no plot", "the parcel never arrived" (+1.5 points of SST-2 train accuracy over 0).
UNATTACHED_NEGATOR_VALENCE = -1.0

# --- excess ---
# "too" / "overly" before a word without sentiment or a positive one is a complaint: "too long",
# "too eager to please" (valence checked on SST-2/SST-5 train; -1.0 and -1.5 score alike, this is
# the stronger). Before a negative word it intensifies instead ("too boring").
EXCESS_VALENCE = -1.5
# "too boring": "too" intensifies a negative word like any intensifier (VADER's increment).
EXCESS_INCREMENT = 0.293

# --- emphasis ---
# VADER: an ALL-CAPS word (in a text that is not all caps) gains 0.733.
CAPS_INCREMENT = 0.733
# Shorter all-caps words ("OK", "NO", "TV") are routinely written that way without emphasis.
CAPS_MIN_LENGTH = 3
# VADER: each "!" adds 0.292 to a sentence's sum, up to 4 of them.
EXCLAMATION_INCREMENT = 0.292
MAX_EXCLAMATIONS = 4
# A question asks rather than asserts ("Is it any good?"): its sentiment counts for less.
QUESTION_FACTOR = 0.6

# --- contrast ---
# VADER's "but" weights: the clause before counts half, the clause after one and a half.
CONTRAST_BEFORE_WEIGHT = 0.5
CONTRAST_AFTER_WEIGHT = 1.5
# "Although the food was good, the service was slow": the conceded clause counts half, the main
# clause one and a half (the same split as "but", seen from the other side).
CONCESSION_CLAUSE_WEIGHT = 0.5
CONCESSION_MAIN_WEIGHT = 1.5

# --- scores and probabilities ---
# VADER: sum / sqrt(sum^2 + 15) maps a sentence's valence sum into (-1, 1).
NORMALIZATION_ALPHA = 15.0
# VADER's neutral band on the normalized score: |score| <= 0.05 is neutral.
NEUTRAL_BAND = 0.05
# Slope of the softmax over (negative, neutral, positive): a score of 0.5 gives ~0.94 positive.
PROBABILITY_SHARPNESS = 6.0


def intensifier_increment(increment: float, distance: int, valence: float, capitalized: bool) -> float:
    """What an intensifier `distance` tokens before a word adds to that word's valence (signed).

    "very good" -> +0.293, "very bad" -> -0.293, "slightly good" -> -0.293; "VERY good" also gains
    the caps increment.
    """
    if capitalized:
        increment += CAPS_INCREMENT if increment > 0 else -CAPS_INCREMENT
    scaled = increment * INTENSIFIER_DECAY[distance - 1]
    return scaled if valence > 0 else -scaled


def caps_emphasis(valence: float) -> float:
    """An ALL-CAPS sentiment word: "GREAT" is stronger than "great"."""
    return valence + (CAPS_INCREMENT if valence > 0 else -CAPS_INCREMENT)


def negate(valence: float) -> float:
    """"not good" -> weakly negative; "not bad" -> faintly positive."""
    return valence * (NEGATION_SCALAR if valence > 0 else NEGATED_NEGATIVE_SCALAR)


def negator_stands_alone(start: int, end: int, words: Sequence[str]) -> bool:
    """A negator that negated no sentiment word still complains, unless it is cancelled ("not only")
    or ends its clause ("I said no.", "why not")."""
    if end >= len(words):
        return False
    following = words[end]
    return following not in NEGATION_CANCELLERS and following[0].isalnum()


def is_caps_emphasis(token: str) -> bool:
    """An all-caps word long enough to be shouting rather than an acronym."""
    return len(token) >= CAPS_MIN_LENGTH and token.isupper()


def contrast_weights(kinds: Sequence[int]) -> list[float] | None:
    """A weight per item (the kinds of a sentence's tokens with a role, in order) from contrast and
    concession words; None when there are none.

    "good but slow": before "but" x0.5, after x1.5 (the last "but" decides).
    "although good, slow" / "slow, although good": the conceded clause (from the word to the next
    clause boundary) x0.5, the rest x1.5.
    """
    if KIND_CONTRAST not in kinds and KIND_CONCESSION not in kinds:
        return None
    count = len(kinds)
    weights = [1.0] * count
    contrast_at = max((i for i, kind in enumerate(kinds) if kind == KIND_CONTRAST), default=None)
    if contrast_at is not None:
        for i in range(count):
            if i != contrast_at:
                weights[i] = CONTRAST_BEFORE_WEIGHT if i < contrast_at else CONTRAST_AFTER_WEIGHT
    for start, kind in enumerate(kinds):
        if kind != KIND_CONCESSION:
            continue
        end = start + 1
        while end < count and kinds[end] not in (KIND_BOUNDARY, KIND_CONTRAST, KIND_CONCESSION):
            end += 1
        for i in range(count):
            if start < i < end:
                weights[i] *= CONCESSION_CLAUSE_WEIGHT
            elif not start <= i < end:
                weights[i] *= CONCESSION_MAIN_WEIGHT
    return weights


def punctuation_emphasis(total: float, exclamations: int, is_question: bool) -> float:
    """"!" strengthens a sentence (VADER), a question weakens it."""
    if total == 0.0:
        return total
    if exclamations:
        boost = EXCLAMATION_INCREMENT * min(exclamations, MAX_EXCLAMATIONS)
        total += boost if total > 0 else -boost
    if is_question:
        total *= QUESTION_FACTOR
    return total


def normalize(total: float) -> float:
    """A valence sum mapped into (-1, 1) (VADER's normalization)."""
    return total / math.sqrt(total * total + NORMALIZATION_ALPHA)


def aggregate(sentence_scores: Sequence[float]) -> float:
    """A text's score: the mean of its sentence scores weighted by their strength |score|.

    Strong sentences count more than lukewarm ones and sentences without sentiment do not dilute;
    unlike VADER's sum over the whole text, 30 mixed sentences do not saturate at +-1: the result
    stays within the range of the sentence scores.
    """
    if len(sentence_scores) == 1:
        return sentence_scores[0]
    strength = sum(abs(score) for score in sentence_scores)
    if strength == 0.0:
        return 0.0
    return sum(abs(score) * score for score in sentence_scores) / strength


def probabilities(score: float) -> tuple[float, float, float]:
    """(negative, neutral, positive) summing to 1; the most probable is the label that
    VADER's thresholds give (positive above NEUTRAL_BAND, negative below -NEUTRAL_BAND)."""
    positive = math.exp(PROBABILITY_SHARPNESS * (score - NEUTRAL_BAND))
    negative = math.exp(PROBABILITY_SHARPNESS * (-score - NEUTRAL_BAND))
    total = positive + negative + 1.0
    return negative / total, 1.0 / total, positive / total


def label_for(score: float) -> str:
    """negative | neutral | positive by VADER's neutral band (the argmax of `probabilities`)."""
    if score > NEUTRAL_BAND:
        return "positive"
    if score < -NEUTRAL_BAND:
        return "negative"
    return "neutral"
