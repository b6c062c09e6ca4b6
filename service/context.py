"""What one app instance shares between its requests: settings, analyzers, metrics, the thread limiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import Request

from .metrics import ServiceMetrics
from .pool import AnalyzerPool
from .settings import Settings

T = TypeVar("T")


@dataclass
class ServiceContext:
    settings: Settings
    pool: AnalyzerPool = field(default_factory=AnalyzerPool)
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    started: bool = False
    _limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """At most `settings.concurrency` analyses at once per process (created inside the event loop)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.concurrency)
        return self._limiter

    async def run(self, work: Callable[[], T]) -> T:
        """Run CPU-bound `work` in a worker thread so the event loop keeps answering."""
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)


def service_of(request: Request) -> ServiceContext:
    return request.app.state.service
