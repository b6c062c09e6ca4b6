"""Errors that say what went wrong and, where there is a choice, list the valid choices."""

from __future__ import annotations

from typing import Iterable


class SentimentError(Exception):
    """Base class of every error this library raises on purpose."""


def _choices(valid: Iterable[str]) -> str:
    return ", ".join(sorted(str(v) for v in valid))


class UnknownAnalyzerError(SentimentError, LookupError):
    def __init__(self, name: str, valid: Iterable[str]) -> None:
        self.name, self.valid = name, tuple(sorted(valid))
        super().__init__(f"unknown analyzer {name!r}; valid analyzers: {_choices(self.valid)}")

    def __str__(self) -> str:  # LookupError would otherwise quote the message
        return self.args[0]


class UnsupportedModeError(SentimentError, ValueError):
    def __init__(self, mode: str, valid: Iterable[str], analyzer: str | None = None) -> None:
        self.mode, self.valid = str(mode), tuple(sorted(str(v) for v in valid))
        where = f" for analyzer {analyzer!r}" if analyzer else ""
        super().__init__(f"unsupported mode {str(mode)!r}{where}; valid modes: {_choices(self.valid)}")


class InvalidInputError(SentimentError, ValueError):
    """A text that cannot be analyzed (not a string, undecodable, ...)."""


class ResourceError(SentimentError, OSError):
    """A lexicon or model file that is missing, unreadable or corrupted."""
