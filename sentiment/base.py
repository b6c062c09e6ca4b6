"""The Analyzer protocol and the base class that gives every analyzer the same batch-first contract."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from itertools import repeat
from typing import ClassVar, Iterable, Protocol, Sequence, TypeVar, runtime_checkable

from .errors import InvalidInputError, UnsupportedModeError
from .types import Analysis, Mode

ModesArg = Mode | str | Iterable[Mode | str] | None
DEFAULT_MODES: tuple[Mode, ...] = (Mode.POLARITY,)


@runtime_checkable
class Analyzer(Protocol):
    """Anything that turns texts into `Analysis` results."""

    name: str
    modes: frozenset[Mode]

    def analyze(self, text: str, modes: ModesArg = None) -> Analysis: ...

    def analyze_batch(self, texts: Sequence[str], modes: ModesArg = None) -> list[Analysis]: ...


def parse_modes(modes: ModesArg, supported: Iterable[Mode] = tuple(Mode), analyzer: str | None = None) -> tuple[Mode, ...]:
    """Normalize a mode, a mode name or several into a tuple of distinct `Mode`s, in order.

    Raises `UnsupportedModeError` (listing the valid modes) for an unknown or unsupported mode.
    """
    supported = frozenset(supported)
    if modes is None:
        raw: list[Mode | str] = list(DEFAULT_MODES)
    elif isinstance(modes, (str, Mode)):
        raw = [modes]
    else:
        raw = list(modes)
    valid_names = [m.value for m in Mode if m in supported]
    parsed: list[Mode] = []
    for item in raw:
        try:
            mode = Mode(item.strip().lower().replace("-", "_") if isinstance(item, str) else item)
        except ValueError:
            raise UnsupportedModeError(str(item), valid_names, analyzer) from None
        if mode not in supported:
            raise UnsupportedModeError(mode.value, valid_names, analyzer)
        if mode not in parsed:
            parsed.append(mode)
    if not parsed:
        raise UnsupportedModeError("(none)", valid_names, analyzer)
    return tuple(parsed)


def check_texts(texts: Sequence[str]) -> list[str]:
    """Texts must be a sequence of `str` (a lone string is a common mistake and is refused)."""
    if isinstance(texts, (str, bytes)):
        raise InvalidInputError("analyze_batch takes a sequence of texts, not a single string")
    checked = list(texts)
    if not all(map(isinstance, checked, repeat(str))):  # checked in C; the loop only names the culprit
        for index, text in enumerate(checked):
            if not isinstance(text, str):
                raise InvalidInputError(f"text #{index} is {type(text).__name__}, expected str")
    return checked


_Self = TypeVar("_Self", bound="BaseAnalyzer")


class BaseAnalyzer(ABC):
    """Implements `analyze` via `analyze_batch`, checking modes and inputs once, in one place.

    Subclasses set `name` and `modes` and implement `_analyze_batch`.
    """

    name: ClassVar[str]
    modes: ClassVar[frozenset[Mode]]

    def analyze(self, text: str, modes: ModesArg = None) -> Analysis:
        if not isinstance(text, str):
            raise InvalidInputError(f"text is {type(text).__name__}, expected str")
        return self.analyze_batch([text], modes)[0]

    def analyze_batch(self, texts: Sequence[str], modes: ModesArg = None) -> list[Analysis]:
        parsed = parse_modes(modes, self.modes, self.name)
        checked = check_texts(texts)
        if not checked:
            return []
        return self._analyze_batch(checked, parsed)

    @abstractmethod
    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        """Analyze non-empty, checked `texts` in the parsed `modes`."""

    def _view(self: _Self, **settings: object) -> _Self:
        """A shallow copy with `settings` as its attributes: the same loaded models (shared, not
        copied), answering another way (`without_explanations`, `without_sentences`)."""
        view = copy.copy(self)
        view.__dict__.update(settings)
        return view

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, modes={sorted(m.value for m in self.modes)})"


def without_explanations(analyzer: Analyzer) -> Analyzer:
    """A view of `analyzer` that skips computing token explanations (the same loaded models), where
    it offers one (`analyzer.without_explanations()`); otherwise the analyzer itself. For callers
    that discard explanations: batch scoring, a service request that asks for none."""
    return _view_or_itself(analyzer, "without_explanations")


def without_sentences(analyzer: Analyzer) -> Analyzer:
    """A view of `analyzer` that skips scoring each sentence of a text on its own (the `sentences`
    field is then None), where it offers one (`analyzer.without_sentences()`: the neural and
    hybrid analyzers, for which that is a second pass over multi-sentence texts); otherwise the
    analyzer itself. For callers that discard the sentences: batch scoring, a service request that
    asks for none."""
    return _view_or_itself(analyzer, "without_sentences")


def _view_or_itself(analyzer: Analyzer, method: str) -> Analyzer:
    """`analyzer.<method>()` where the analyzer offers that view (an optional method, outside the
    `Analyzer` protocol), else the analyzer itself."""
    view = getattr(analyzer, method, None)
    return view() if callable(view) else analyzer
