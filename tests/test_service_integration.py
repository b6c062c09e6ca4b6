"""The service as it runs in production: a real uvicorn process (started through `sentiment serve`'s
function) on a free 127.0.0.1 port, real HTTP requests, and a clean shutdown on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from sentiment import get_analyzer

API_KEY = "integration-key-7f3a"
MAX_BODY_BYTES = 100_000
STARTUP_TIMEOUT_S = 90.0  # loading the lexicon on a busy 2-core machine
SHUTDOWN_TIMEOUT_S = 30.0
# uvicorn finishes its graceful shutdown, then re-raises SIGTERM so the exit status tells why it stopped.
CLEAN_EXIT = (0, -signal.SIGTERM)
# The "sleepy" analyzer holds a request this long, so shutdown happens while it is in flight.
IN_FLIGHT_SECONDS = 2.0

# Runs in the server process: registers a slow test analyzer, then starts the real service.
LAUNCHER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sentiment import Analysis, BaseAnalyzer, Mode, Polarity, register

    class Sleepy(BaseAnalyzer):
        name = "sleepy"
        modes = frozenset({Mode.POLARITY})

        def _analyze_batch(self, texts, modes):
            Path(sys.argv[2]).touch()  # tells the test the request is in flight
            time.sleep(float(texts[0]))
            return [Analysis(text=t, analyzer=self.name, polarity=Polarity("neutral", 0.0, {})) for t in texts]

    register("sleepy", Sleepy, modes=Sleepy.modes, description="sleeps for the number of seconds in the text")

    from sentiment.cli.serve import serve
    serve(host="127.0.0.1", port=int(sys.argv[1]), workers=1, log_level="warning")
    """
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.in_flight_marker = tmp / "in-flight"
        self.log_path = tmp / "server.log"
        launcher = tmp / "launch_service.py"
        launcher.write_text(LAUNCHER)
        env = {
            **os.environ,
            "SENTIMENT_PRELOAD": "lexicon,sleepy",
            "SENTIMENT_API_KEYS": API_KEY,
            "SENTIMENT_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            "SENTIMENT_GRACEFUL_SHUTDOWN_SECONDS": "20",
            "SENTIMENT_INLINE_MAX_CHARS": "0",  # the sleepy request must hold a worker thread, not the loop
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(launcher), str(self.port), str(self.in_flight_marker)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready after {STARTUP_TIMEOUT_S} s:\n{self.log_path.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def log_records(self) -> list[dict]:
        records = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _post(server: Server, payload: dict, **options) -> httpx.Response:
    headers = {"authorization": f"Bearer {API_KEY}", **options.pop("headers", {})}
    return httpx.post(server.url + "/analyze", json=payload, headers=headers, timeout=60, **options)


def test_real_server_answers_reports_and_shuts_down_cleanly(server):
    ready = httpx.get(server.url + "/ready").json()
    assert ready["status"] == "ready" and set(ready["loaded"]) == {"lexicon", "sleepy"}
    lexicon = get_analyzer("lexicon")

    single = _post(server, {"text": "The battery is great but the screen is awful.", "modes": ["polarity", "aspect"]})
    assert single.status_code == 200
    assert single.json() == lexicon.analyze(single.json()["text"], ["polarity", "aspect"]).to_dict()

    texts = [f"Review {i}: {'loved it' if i % 2 else 'hated it'}!" for i in range(100)]
    batch = _post(server, {"texts": texts, "modes": ["polarity", "fine_grained"]})
    assert batch.status_code == 200
    assert batch.json() == [a.to_dict() for a in lexicon.analyze_batch(texts, ["polarity", "fine_grained"])]

    unauthorized = httpx.post(server.url + "/analyze", json={"text": "hi"})
    assert unauthorized.status_code == 401 and unauthorized.json()["error"] == "unauthorized"
    assert httpx.get(server.url + "/health").status_code == 200

    oversize = _post(server, {"text": "x" * MAX_BODY_BYTES})
    assert oversize.status_code == 413 and oversize.json()["limit"] == "max_body_bytes"

    def chunked():
        yield b'{"texts": ['
        for _ in range(MAX_BODY_BYTES // 1000 + 1):
            yield b'"' + b"y" * 1000 + b'",'
        yield b'"end"]}'

    streamed = httpx.post(
        server.url + "/analyze",
        content=chunked(),
        headers={"authorization": f"Bearer {API_KEY}", "content-type": "application/json"},
        timeout=60,
    )
    assert streamed.status_code == 413
    assert _post(server, {"texts": ["x"] * 1001}).status_code == 413

    metrics = httpx.get(server.url + "/metrics", headers={"x-api-key": API_KEY}).text
    assert 'sentiment_texts_analyzed_total{analyzer="lexicon"} 101.0' in metrics

    assert server.stop() in CLEAN_EXIT
    access = [r for r in server.log_records() if "request_id" in r and r["path"] == "/analyze"]
    assert [r["status"] for r in access] == [200, 200, 401, 413, 413, 413]
    assert access[1]["texts"] == 100
    assert "battery" not in server.log_path.read_text()  # no request text in the log
    assert API_KEY not in server.log_path.read_text()


def test_sigterm_lets_the_request_in_flight_finish(server):
    outcome: dict[str, httpx.Response] = {}
    request = threading.Thread(
        target=lambda: outcome.update(response=_post(server, {"text": str(IN_FLIGHT_SECONDS), "analyzer": "sleepy"}))
    )
    request.start()
    deadline = time.monotonic() + 10
    while not server.in_flight_marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.in_flight_marker.exists(), "the slow request never started"
    probe_started = time.monotonic()
    assert httpx.get(server.url + "/health", timeout=5).status_code == 200  # the loop is free meanwhile
    assert time.monotonic() - probe_started < IN_FLIGHT_SECONDS / 2

    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with pytest.raises(httpx.TransportError):  # no new connections once shutdown began
        httpx.get(server.url + "/health", timeout=2)
    request.join(SHUTDOWN_TIMEOUT_S)

    assert outcome["response"].status_code == 200
    assert outcome["response"].json()["analyzer"] == "sleepy"
    assert server.process.wait(SHUTDOWN_TIMEOUT_S) in CLEAN_EXIT
    assert time.monotonic() - started < IN_FLIGHT_SECONDS + 5
