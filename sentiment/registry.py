"""Analyzers registered by name; each is built lazily so heavy imports happen only when asked for."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from .base import Analyzer
from .errors import UnknownAnalyzerError
from .types import Mode


@dataclass(frozen=True)
class AnalyzerSpec:
    """What `available_analyzers()` tells about an analyzer without building it."""

    name: str
    modes: frozenset[Mode]
    description: str
    factory: str | Callable[..., Analyzer]

    def build(self, **options: Any) -> Analyzer:
        factory = self.factory
        if isinstance(factory, str):
            module_name, _, attribute = factory.partition(":")
            factory = getattr(importlib.import_module(module_name), attribute)
        return factory(**options)


_REGISTRY: dict[str, AnalyzerSpec] = {}


def register(
    name: str,
    factory: str | Callable[..., Analyzer],
    modes: frozenset[Mode] | set[Mode],
    description: str = "",
) -> AnalyzerSpec:
    """Register an analyzer factory ("module:attribute" or a callable) under `name`."""
    spec = AnalyzerSpec(name=name, modes=frozenset(modes), description=description, factory=factory)
    _REGISTRY[name] = spec
    return spec


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def available_analyzers() -> dict[str, AnalyzerSpec]:
    """Registered analyzers by name, sorted."""
    return {name: _REGISTRY[name] for name in sorted(_REGISTRY)}


def analyzer_spec(name: str) -> AnalyzerSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownAnalyzerError(name, _REGISTRY) from None


def get_analyzer(name: str = "lexicon", **options: Any) -> Analyzer:
    """Build the analyzer registered as `name`; an unknown name lists the valid ones."""
    return analyzer_spec(name).build(**options)
