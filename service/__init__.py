"""The HTTP service: `create_app(settings)` in `sentiment.service.app`; run it with `sentiment serve`.

Importing this package stays light (no FastAPI) so the CLI starts fast; `create_app` is loaded on
first access.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
