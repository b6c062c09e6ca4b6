"""Modes, label sets and the frozen result types shared by every analyzer.

This module imports nothing heavy (no torch): results are plain data that serialize to
JSON in one call and come back equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from enum import Enum
from types import MappingProxyType
from typing import Any, Iterable, Mapping


class Mode(str, Enum):
    """What an analyzer is asked to find in a text."""

    POLARITY = "polarity"
    FINE_GRAINED = "fine_grained"
    ASPECT = "aspect"
    EMOTION = "emotion"
    INTENT = "intent"

    def __str__(self) -> str:
        return self.value


POLARITY_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
FINE_GRAINED_LABELS: tuple[str, ...] = (
    "very_negative",
    "negative",
    "neutral",
    "positive",
    "very_positive",
)
EMOTION_LABELS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
INTENT_LABELS: tuple[str, ...] = (
    "purchase",
    "browsing",
    "complaint",
    "question",
    "cancel_return_refund",
    "praise",
    "none",
)

# GoEmotions' 27 emotions + neutral grouped into Ekman's six + neutral, as in the GoEmotions paper
# (Demszky et al. 2020, section 6.1). Used to train and evaluate on GoEmotions in EMOTION_LABELS.
GOEMOTIONS_BY_EKMAN: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "anger": ("anger", "annoyance", "disapproval"),
        "disgust": ("disgust",),
        "fear": ("fear", "nervousness"),
        "joy": (
            "joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism",
            "relief", "pride", "admiration", "desire", "caring",
        ),
        "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
        "surprise": ("surprise", "realization", "confusion", "curiosity"),
        "neutral": ("neutral",),
    }
)
EKMAN_OF_GOEMOTION: Mapping[str, str] = MappingProxyType(
    {fine: ekman for ekman, fines in GOEMOTIONS_BY_EKMAN.items() for fine in fines}
)

STARS_BY_FINE_GRAINED_LABEL: Mapping[str, int] = MappingProxyType(
    {label: stars for stars, label in enumerate(FINE_GRAINED_LABELS, start=1)}
)


def _frozen_mapping(values: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({str(key): float(value) for key, value in dict(values).items()})


def _freeze(instance: Any, **converted: Any) -> None:
    for name, value in converted.items():
        object.__setattr__(instance, name, value)


# Result types are built per text on the hot path of every analyzer: each has a hand-written
# __init__ that writes its fields straight into the new instance's dict and skips a conversion
# where the value already has the stored type (the common case), which gives the same result; the
# generated frozen __init__ calls object.__setattr__ once per field and costs twice as much. The
# mode results also have `owning`, for the analyzers' own hot paths: it takes a fresh dict of
# str -> float as its distribution without copying it (3.2 against 0.6 microseconds per result).
# Each `owning` is written out in full: one helper shared by the four (setting the fields through
# `__dict__.update` with keyword arguments) took 0.64-1.2 microseconds per result.
_TUPLE_OR_NONE = (tuple, type(None))


def _float(value: Any) -> float:
    return value if type(value) is float else float(value)


@dataclass(frozen=True, init=False)
class Polarity:
    """negative|neutral|positive with a signed score in [-1, 1]."""

    label: str
    score: float
    probabilities: Mapping[str, float] = field(default_factory=dict)

    def __init__(self, label: str, score: float, probabilities: Mapping[str, float] | None = None) -> None:
        values = self.__dict__
        values["label"] = label
        values["score"] = _float(score)
        values["probabilities"] = _frozen_mapping(probabilities or {})

    @classmethod
    def owning(cls, label: str, score: float, probabilities: dict[str, float]) -> "Polarity":
        """`Polarity(label, score, probabilities)` for a float score and a dict of str -> float
        that nothing else holds (it is kept, not copied)."""
        instance = object.__new__(cls)
        values = instance.__dict__
        values["label"] = label
        values["score"] = score
        values["probabilities"] = MappingProxyType(probabilities)
        return instance


@dataclass(frozen=True, init=False)
class FineGrained:
    """very_negative..very_positive; `stars` is the label as 1..5, `score` the expected stars."""

    label: str
    stars: int
    score: float
    probabilities: Mapping[str, float] = field(default_factory=dict)

    def __init__(self, label: str, stars: int, score: float, probabilities: Mapping[str, float] | None = None) -> None:
        values = self.__dict__
        values["label"] = label
        values["stars"] = stars if type(stars) is int else int(stars)
        values["score"] = _float(score)
        values["probabilities"] = _frozen_mapping(probabilities or {})

    @classmethod
    def owning(cls, label: str, stars: int, score: float, probabilities: dict[str, float]) -> "FineGrained":
        """As `Polarity.owning`: int stars, float score, a dict nothing else holds."""
        instance = object.__new__(cls)
        values = instance.__dict__
        values["label"] = label
        values["stars"] = stars
        values["score"] = score
        values["probabilities"] = MappingProxyType(probabilities)
        return instance


@dataclass(frozen=True)
class AspectSentiment:
    """One aspect mention: `text[start:end] == term`, its category and the polarity of its opinion."""

    term: str
    start: int
    end: int
    category: str
    polarity: str
    score: float
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, score=float(self.score), evidence=tuple(self.evidence))


@dataclass(frozen=True, init=False)
class Emotion:
    """Multi-label emotions: `labels` are those above the threshold, `scores` has every emotion."""

    labels: tuple[str, ...]
    scores: Mapping[str, float]

    def __init__(self, labels: Iterable[str], scores: Mapping[str, float]) -> None:
        values = self.__dict__
        values["labels"] = labels if type(labels) is tuple else tuple(labels)
        values["scores"] = _frozen_mapping(scores)

    @classmethod
    def owning(cls, labels: tuple[str, ...], scores: dict[str, float]) -> "Emotion":
        """As `Polarity.owning`: a tuple of labels, a dict nothing else holds."""
        instance = object.__new__(cls)
        values = instance.__dict__
        values["labels"] = labels
        values["scores"] = MappingProxyType(scores)
        return instance

    @property
    def top(self) -> str:
        """The highest-scoring emotion."""
        return max(self.scores, key=self.scores.__getitem__)


@dataclass(frozen=True, init=False)
class Intent:
    """The most likely intent, its confidence and a score per intent."""

    label: str
    confidence: float
    scores: Mapping[str, float]

    def __init__(self, label: str, confidence: float, scores: Mapping[str, float]) -> None:
        values = self.__dict__
        values["label"] = label
        values["confidence"] = _float(confidence)
        values["scores"] = _frozen_mapping(scores)

    @classmethod
    def owning(cls, label: str, confidence: float, scores: dict[str, float]) -> "Intent":
        """As `Polarity.owning`: a float confidence, a dict nothing else holds."""
        instance = object.__new__(cls)
        values = instance.__dict__
        values["label"] = label
        values["confidence"] = confidence
        values["scores"] = MappingProxyType(scores)
        return instance


@dataclass(frozen=True, init=False)
class TokenWeight:
    """A token that moved the result: `text[start:end] == token`, signed final weight."""

    token: str
    start: int
    end: int
    weight: float

    def __init__(self, token: str, start: int, end: int, weight: float) -> None:
        values = self.__dict__  # each field set once (see the note above Polarity)
        values["token"] = token
        values["start"] = start
        values["end"] = end
        values["weight"] = weight if type(weight) is float else float(weight)


@dataclass(frozen=True, init=False)
class SentenceSentiment:
    """The polarity of one sentence, with its span in the analyzed text."""

    text: str
    start: int
    end: int
    polarity: Polarity

    def __init__(self, text: str, start: int, end: int, polarity: Polarity) -> None:
        values = self.__dict__  # each field set once (see the note above Polarity)
        values["text"] = text
        values["start"] = start
        values["end"] = end
        values["polarity"] = polarity


@dataclass(frozen=True, init=False)
class Analysis:
    """The one result type for every analyzer and mode; fields of modes not asked for are None."""

    text: str
    analyzer: str
    polarity: Polarity | None = None
    fine_grained: FineGrained | None = None
    aspects: tuple[AspectSentiment, ...] | None = None
    emotion: Emotion | None = None
    intent: Intent | None = None
    sentences: tuple[SentenceSentiment, ...] | None = None
    explanation: tuple[TokenWeight, ...] | None = None

    def __init__(
        self,
        text: str,
        analyzer: str,
        polarity: Polarity | None = None,
        fine_grained: FineGrained | None = None,
        aspects: Iterable[AspectSentiment] | None = None,
        emotion: Emotion | None = None,
        intent: Intent | None = None,
        sentences: Iterable[SentenceSentiment] | None = None,
        explanation: Iterable[TokenWeight] | None = None,
    ) -> None:
        values = self.__dict__  # each field set once, sequences as tuples (see the note above Polarity)
        values["text"] = text
        values["analyzer"] = analyzer
        values["polarity"] = polarity
        values["fine_grained"] = fine_grained
        values["aspects"] = aspects if type(aspects) in _TUPLE_OR_NONE else tuple(aspects)
        values["emotion"] = emotion
        values["intent"] = intent
        values["sentences"] = sentences if type(sentences) in _TUPLE_OR_NONE else tuple(sentences)
        values["explanation"] = explanation if type(explanation) in _TUPLE_OR_NONE else tuple(explanation)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data (dicts, lists, str, float, int, None)."""
        return _to_plain(self)

    def to_json(self, **dumps_options: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **dumps_options)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Analysis":
        """Inverse of `to_dict`: `Analysis.from_dict(a.to_dict()) == a`."""

        def optional(key: str, build: Any) -> Any:
            value = data.get(key)
            return None if value is None else build(value)

        return cls(
            text=data["text"],
            analyzer=data["analyzer"],
            polarity=optional("polarity", lambda v: Polarity(**v)),
            fine_grained=optional("fine_grained", lambda v: FineGrained(**v)),
            aspects=optional("aspects", lambda v: tuple(AspectSentiment(**a) for a in v)),
            emotion=optional("emotion", lambda v: Emotion(**v)),
            intent=optional("intent", lambda v: Intent(**v)),
            sentences=optional(
                "sentences",
                lambda v: tuple(
                    SentenceSentiment(**{**s, "polarity": Polarity(**s["polarity"])}) for s in v
                ),
            ),
            explanation=optional("explanation", lambda v: tuple(TokenWeight(**t) for t in v)),
        )

    @classmethod
    def from_json(cls, text: str) -> "Analysis":
        return cls.from_dict(json.loads(text))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def _to_plain(value: Any) -> Any:
    """Dataclasses to dicts, mappings to dicts, sequences to lists; field names cached per type
    (serialization is on the service's hot path)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and hasattr(value, "__dataclass_fields__"):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: _to_plain(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {str(key): _to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(item) for item in value]
    return value


def probabilities_for(labels: Iterable[str], values: Iterable[float]) -> dict[str, float]:
    """Pair labels with values, in label order."""
    return dict(zip(labels, (float(v) for v in values), strict=True))
