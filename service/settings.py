"""Service settings: defaults, overridden by `SENTIMENT_*` environment variables.

Every setting is one field of the frozen `Settings`; `Settings.from_env()` reads the variable named
`SENTIMENT_` + the field name in upper case (`max_texts` -> `SENTIMENT_MAX_TEXTS`). Lists are
comma-separated. A malformed value fails at start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "SENTIMENT_"

# One request may carry a batch this large; bigger jobs belong to the CLI or the library.
DEFAULT_MAX_TEXTS = 1_000
# A long review or a short article; longer documents should be split by the caller.
DEFAULT_MAX_TEXT_CHARS = 100_000
# 10 MiB holds 1,000 texts of ~10,000 characters, far above typical review traffic.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
# Analysis threads per worker process. The lexicon analyzer is pure Python (it holds the GIL),
# so more threads do not add throughput; a few keep a long batch from blocking short requests.
DEFAULT_CONCURRENCY = 4
# Requests whose texts total at most this many characters (for an analyzer already loaded) are
# analyzed on the event loop itself: for a short review the hop to a worker thread costs more CPU
# than the analysis (lexicon, one 36-character review: 0.43 ms per request inline, 0.7-1.0 ms with
# the hop), and 1,000 characters of lexicon analysis hold the loop for about a millisecond.
DEFAULT_INLINE_MAX_CHARS = 1_000
# Seconds in-flight requests get to finish after SIGTERM before the server closes them.
DEFAULT_GRACEFUL_SHUTDOWN_SECONDS = 30.0
# Idle keep-alive connections stay open this long: longer than the usual load-balancer idle
# timeout (60 s), so the balancer closes idle connections first; if the server closed them first,
# a request the balancer sends at that moment would fail (a 502). uvicorn's own default is 5 s.
DEFAULT_KEEP_ALIVE_SECONDS = 75.0
DEFAULT_PORT = 8000


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names the environment variable."""


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


@dataclass(frozen=True)
class Settings:
    """Everything the service can be told; see the README's settings table."""

    preload: tuple[str, ...] = ("lexicon",)
    default_analyzer: str = "lexicon"
    max_texts: int = DEFAULT_MAX_TEXTS
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    concurrency: int = DEFAULT_CONCURRENCY
    inline_max_chars: int = DEFAULT_INLINE_MAX_CHARS
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    api_keys_file: Path | None = None
    cors_origins: tuple[str, ...] = ()
    access_log: bool = True
    log_texts: bool = False
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    graceful_shutdown_seconds: float = DEFAULT_GRACEFUL_SHUTDOWN_SECONDS
    keep_alive_seconds: float = DEFAULT_KEEP_ALIVE_SECONDS

    def __post_init__(self) -> None:
        for name in ("max_texts", "max_text_chars", "max_body_bytes", "concurrency", "workers"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{env_name(name)} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.port < 65536:
            raise SettingsError(f"{env_name('port')} must be a TCP port (1-65535), got {self.port}")
        if self.inline_max_chars < 0:
            raise SettingsError(f"{env_name('inline_max_chars')} must not be negative")
        for name in ("graceful_shutdown_seconds", "keep_alive_seconds"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{env_name(name)} must not be negative")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then `SENTIMENT_*` variables from `environ` (default `os.environ`), then `overrides`."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = environ.get(env_name(spec.name))
            if raw is not None:
                values[spec.name] = _parse(spec.name, raw, type(getattr(cls(), spec.name)))
        return replace(cls(**values), **overrides)

    def all_api_keys(self) -> frozenset[str]:
        """Keys from `api_keys` plus those in `api_keys_file` (one per line; blank lines and # comments skipped)."""
        keys = set(self.api_keys)
        if self.api_keys_file is not None:
            try:
                lines = Path(self.api_keys_file).read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise SettingsError(
                    f"{env_name('api_keys_file')}: cannot read {self.api_keys_file}: {error.strerror}"
                ) from None
            keys.update(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
        return frozenset(keys)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _parse(name: str, raw: str, kind: type) -> Any:
    variable = env_name(name)
    if name == "api_keys_file":
        return Path(raw) if raw.strip() else None
    if kind is tuple:
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{variable} must be true or false, got {raw!r}")
    if kind in (int, float):
        try:
            return kind(raw.strip())
        except ValueError:
            raise SettingsError(f"{variable} must be a number ({kind.__name__}), got {raw!r}") from None
    return raw.strip()
