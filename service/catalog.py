"""What GET /analyzers tells about each registered analyzer, gathered defensively.

Model versions and metrics come from each shipped model's config.json
(models/<analyzer>/<mode>/config.json) and from whatever a built analyzer exposes as `metadata`
(an attribute or a method); anything missing or not JSON-serializable is simply left out.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sentiment import Analyzer, AnalyzerSpec, Mode, SentimentError
from sentiment.resources import models_dir

logger = logging.getLogger("sentiment.service")

# The parts of a model's config.json that describe its version and quality, not its internals.
MODEL_CARD_KEYS = (
    "format_version",
    "version",
    "architecture",
    "arch",
    "labels",
    "metrics",
    "training_data",
    "trained_on",
    "created",
)
ANALYZER_METADATA_ATTRIBUTES = ("metadata", "model_info", "info")


def _json_safe(value: Any) -> Any | None:
    try:
        return json.loads(json.dumps(value, allow_nan=False, default=_plain))
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str)
    if hasattr(value, "value"):  # enums such as Mode
        return value.value
    raise TypeError(type(value).__name__)


def model_cards(analyzer_name: str, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Per mode, the version and metrics fields of the shipped model configs; {} if there are none."""
    try:
        root = (folder or models_dir()) / analyzer_name
    except SentimentError:
        return {}
    cards: dict[str, dict[str, Any]] = {}
    if not root.is_dir():
        return cards
    for config_path in sorted(root.glob("*/config.json")):
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            logger.warning("unreadable model config %s: %s", config_path, error)
            continue
        if isinstance(config, dict):
            card = {key: config[key] for key in MODEL_CARD_KEYS if key in config}
            cards[config_path.parent.name] = _json_safe(card) or {}
    return cards


def analyzer_metadata(analyzer: Analyzer) -> Any | None:
    """The first of `metadata`, `model_info`, `info` the analyzer has (called if callable), JSON-safe."""
    for attribute in ANALYZER_METADATA_ATTRIBUTES:
        try:
            value = getattr(analyzer, attribute, None)
            if callable(value):
                value = value()
        except Exception:  # a describing hook must never break the listing
            logger.warning("analyzer %r: %s() failed", getattr(analyzer, "name", "?"), attribute, exc_info=True)
            continue
        if value is not None:
            return _json_safe(value)
    return None


def analyzer_info(spec: AnalyzerSpec, analyzer: Analyzer | None) -> dict[str, Any]:
    modes = analyzer.modes if analyzer is not None else spec.modes
    return {
        "name": spec.name,
        "description": spec.description,
        "modes": [mode.value for mode in Mode if mode in modes],
        "loaded": analyzer is not None,
        "models": model_cards(spec.name),
        "metadata": analyzer_metadata(analyzer) if analyzer is not None else None,
    }
