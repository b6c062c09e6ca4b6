"""Prometheus metrics of one app, kept in its own registry (two apps in one process never mix).

With several worker processes, set PROMETHEUS_MULTIPROC_DIR (`sentiment serve --workers N` does)
so that /metrics adds up every worker's values instead of reporting the one that answered.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Buckets (seconds) from a sub-millisecond lexicon call up to a long batch of a neural model.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Requests whose path matches no route share one label value, so scanners cannot blow up cardinality.
UNMATCHED_PATH = "(unmatched)"


class ServiceMetrics:
    """Requests, their latency, texts analyzed and errors, by a fixed set of label values."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "sentiment_http_requests_total",
            "HTTP requests answered, by method, route and status code.",
            ("method", "path", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "sentiment_http_request_duration_seconds",
            "Time from receiving a request to sending the last byte of its response.",
            ("method", "path"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.texts = Counter(
            "sentiment_texts_analyzed_total",
            "Texts analyzed, by analyzer.",
            ("analyzer",),
            registry=self.registry,
        )
        self.errors = Counter(
            "sentiment_http_errors_total",
            "Error responses, by error code (the `error` field of the JSON body).",
            ("error",),
            registry=self.registry,
        )

    def observe_request(self, method: str, path: str, status: int, seconds: float) -> None:
        self.requests.labels(method, path, str(status)).inc()
        self.latency.labels(method, path).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
