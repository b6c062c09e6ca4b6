"""The analyzers one service shares between requests: each built once, on start-up or first use."""

from __future__ import annotations

import logging
import threading
import time

from sentiment import Analyzer, SentimentError
from sentiment.errors import UnknownAnalyzerError
from sentiment.registry import analyzer_spec

from .errors import AnalyzerUnavailable

logger = logging.getLogger("sentiment.service")


class AnalyzerPool:
    """Thread-safe lazy analyzers: concurrent first requests for one name build it exactly once."""

    def __init__(self) -> None:
        self._loaded: dict[str, Analyzer] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def get(self, name: str) -> Analyzer:
        """The analyzer registered as `name`, built on first call (blocking: call it off the event loop).

        Raises `UnknownAnalyzerError` (listing the valid names) or `AnalyzerUnavailable`.
        """
        analyzer = self._loaded.get(name)
        if analyzer is not None:
            return analyzer
        spec = analyzer_spec(name)
        with self._locks_guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._loaded:
                started = time.perf_counter()
                try:
                    self._loaded[name] = spec.build()
                except UnknownAnalyzerError:
                    raise
                except (SentimentError, ImportError, OSError, ValueError, RuntimeError) as error:
                    logger.exception("analyzer %r could not be loaded", name)
                    raise AnalyzerUnavailable(name, error) from error
                logger.info("analyzer %r loaded in %.2f s", name, time.perf_counter() - started)
        return self._loaded[name]

    def peek(self, name: str) -> Analyzer | None:
        """The analyzer if it is already built, else None (never builds)."""
        return self._loaded.get(name)

    def loaded(self) -> list[str]:
        return sorted(self._loaded)
