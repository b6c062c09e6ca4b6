"""Where the shipped lexicons/ and models/ are found.

Order: an explicit argument, then an environment variable, then the installed package data
(`sentiment/lexicons`, `sentiment/models` inside the wheel), then the source checkout's top-level
folders (an editable install or a plain clone).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from .errors import ResourceError

LEXICONS_ENV = "SENTIMENT_LEXICONS_DIR"
MODELS_ENV = "SENTIMENT_MODELS_DIR"
_CHECKOUT_ROOT = Path(__file__).resolve().parent.parent


def _package_data_dir(name: str) -> Path | None:
    for package, subfolder in ((f"sentiment.{name}", ""), ("sentiment", name)):
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError:
            continue
        # The package's folders (`__path__`), not importlib.resources.files(): a data folder
        # without __init__.py is a namespace package, and files() then gives a MultiplexedPath
        # whose str() is not a path.
        for folder in getattr(module, "__path__", ()):
            candidate = Path(folder) / subfolder
            if candidate.is_dir():
                return candidate
    return None


def _resolve(name: str, env_var: str, override: str | os.PathLike[str] | None) -> Path:
    if override is not None:
        path = Path(override)
    elif os.environ.get(env_var):
        path = Path(os.environ[env_var])
    else:
        path = _package_data_dir(name) or _CHECKOUT_ROOT / name
    if not path.is_dir():
        raise ResourceError(f"{name} folder not found at {path} (set {env_var} to point at it)")
    return path


def lexicons_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder of lexicon data files."""
    return _resolve("lexicons", LEXICONS_ENV, override)


def models_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder of shipped models: <analyzer>/<mode>/{config.json, vocab.json, model.safetensors}."""
    return _resolve("models", MODELS_ENV, override)


def lexicon_file(name: str, override: str | os.PathLike[str] | None = None) -> Path:
    """A file in the lexicons folder; a missing one names the files that exist."""
    folder = lexicons_dir(override)
    path = folder / name
    if not path.is_file():
        present = ", ".join(sorted(p.name for p in folder.iterdir() if p.is_file())) or "(none)"
        raise ResourceError(f"lexicon file {name!r} not found in {folder}; present: {present}")
    return path


def read_json_file(path: Path, what: str) -> Any:
    """The JSON value in `path`; a missing, unreadable or malformed file is a ResourceError that
    names `what` it should have been and where."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResourceError(f"{what} missing: {path}") from None
    except (OSError, ValueError) as error:  # ValueError: undecodable bytes, invalid JSON
        raise ResourceError(f"{what} {path} is corrupted or unreadable: {error}") from None
