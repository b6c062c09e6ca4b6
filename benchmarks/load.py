"""Load benchmark of the HTTP service on loopback (a benchmark, not a test).

Starts the real service (`sentiment serve`'s function, uvicorn) on a free 127.0.0.1 port, then for
each analyzer runs two scenarios with N concurrent asyncio clients, each for a fixed time:
  single  one short text per request
  batch   100 short texts per request
and reports requests/s, texts/s, p50/p95/p99 latency, the error count and the server's CPU time
per request (JSON with --output).

The client shares the machine with the server, so it must cost less than what it measures. The
default client (`--client raw`) keeps one HTTP/1.1 keep-alive connection per simulated user over
asyncio streams, with pre-encoded bodies (about 0.2 ms of CPU per request); `--client httpx` uses
httpx.AsyncClient, which on the 2-core dev machine costs 2.5-4.5 ms of CPU per request, three times
the server's own cost, and so measures mostly itself.

    python -m benchmarks.load                         # 60 s per scenario, 50 clients, lexicon + others
    python -m benchmarks.load --duration 10 --analyzers lexicon
    python -m benchmarks.load --url http://127.0.0.1:8000 --analyzers lexicon   # a server you started
    python -m benchmarks.load --client httpx --duration 10                       # cross-check with httpx

Only loopback addresses are accepted: this must never load someone else's server.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import httpx

DEFAULT_DURATION_S = 60.0
DEFAULT_CONCURRENCY = 50
DEFAULT_BATCH_SIZE = 100
# Excluded from the figures: the first requests pay for connection set-up and cold caches.
WARMUP_S = 2.0
STARTUP_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 60.0

# Short product and service reviews, typical of single-text traffic (3-20 words).
SHORT_TEXTS = (
    "I love this phone!",
    "The battery dies way too fast.",
    "Great camera, terrible battery life.",
    "Shipping was slow but the product is fine.",
    "Absolutely awful customer service.",
    "Where can I buy the blue one?",
    "Not bad at all, would buy again.",
    "The screen is bright and sharp :)",
    "I want a refund, this is broken.",
    "Meh. It works, I guess.",
    "Best purchase I've made this year!!!",
    "The food was cold and the waiter was rude.",
    "Delivery arrived on Tuesday.",
    "Super comfortable and the price is right.",
    "Why does the app keep crashing?",
    "The hotel room was clean but noisy.",
    "Honestly not worth the money.",
    "Five stars, the staff were lovely 😍",
    "It's okay, nothing special.",
    "The keyboard feels cheap and flimsy.",
)


@dataclass(frozen=True)
class Result:
    analyzer: str
    scenario: str
    concurrency: int
    duration_s: float
    requests: int
    texts: int
    errors: int
    requests_per_s: float
    texts_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    # CPU seconds the server processes used per request while measuring (None for --url): a figure
    # that holds on a machine shared with other work, where requests/s depends on the neighbours.
    server_cpu_ms_per_request: float | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def _require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise SystemExit(f"refusing to load {url}: only 127.0.0.1 / ::1 / localhost are allowed")


def _process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields_after_name = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields_after_name[11]) + int(fields_after_name[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


class RawConnection:
    """One keep-alive HTTP/1.1 connection: POST a pre-encoded body, read the status and the body.

    The service always answers with a Content-Length, which is all this client understands; any
    other answer, or a dropped connection, is an error (and the next request reconnects)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request_bytes(self, body: bytes) -> bytes:
        head = (
            f"POST /analyze HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("ascii") + body

    async def post(self, request: bytes) -> str | None:
        """None on a 200 answer, else what went wrong."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = None
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length is None:
                await self.close()
                return "no Content-Length"
            await self.reader.readexactly(length)
            return None if status == 200 else f"HTTP {status}"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            await self.close()
            return type(error).__name__

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


def _bodies(analyzer: str, batch_size: int, explanations: bool = True) -> list[bytes]:
    """One request body per rotation of the text list, encoded once (the client must stay cheap)."""
    bodies = []
    for offset in range(len(SHORT_TEXTS)):
        if batch_size == 1:
            payload: dict = {"text": SHORT_TEXTS[offset]}
        else:
            payload = {"texts": [SHORT_TEXTS[(offset + i) % len(SHORT_TEXTS)] for i in range(batch_size)]}
        payload["analyzer"] = analyzer
        if not explanations:
            payload["explanations"] = False
        bodies.append(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return bodies


async def _run_scenario(
    url: str,
    analyzer: str,
    batch_size: int,
    concurrency: int,
    duration_s: float,
    server_cpu: Callable[[], float] | None = None,
    client_kind: str = "raw",
    explanations: bool = True,
) -> Result:
    bodies = _bodies(analyzer, batch_size, explanations)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    requests = 0
    texts_done = 0
    # The clients run without a break from warm-up into the measured window (a pause would leave
    # idle keep-alive connections for the server to close); a request counts if it ends in the window.
    measure_from = time.perf_counter() + WARMUP_S
    stop_at = measure_from + duration_s
    cpu_samples: list[float] = []
    parsed = urlparse(url)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT_S) as shared_httpx:

        async def httpx_post(body: bytes) -> str | None:
            try:
                response = await shared_httpx.post(
                    "/analyze", content=body, headers={"content-type": "application/json"}
                )
            except httpx.HTTPError as error:
                return type(error).__name__
            return None if response.status_code == 200 else f"HTTP {response.status_code}"

        async def one_client(worker: int) -> None:
            nonlocal requests, texts_done
            connection = RawConnection(parsed.hostname or "127.0.0.1", parsed.port or 80)
            requests_to_send = [connection.request_bytes(body) for body in bodies]
            position = worker
            try:
                while time.perf_counter() < stop_at:
                    index = position % len(bodies)
                    position += 1
                    started = time.perf_counter()
                    if client_kind == "raw":
                        failure = await asyncio.wait_for(connection.post(requests_to_send[index]), REQUEST_TIMEOUT_S)
                    else:
                        failure = await httpx_post(bodies[index])
                    finished = time.perf_counter()
                    if not measure_from <= finished <= stop_at:
                        continue
                    requests += 1
                    if failure is None:
                        latencies.append(finished - started)
                        texts_done += batch_size
                    else:
                        errors[failure] += 1
            finally:
                await connection.close()

        async def sample_server_cpu() -> None:
            for moment in (measure_from, stop_at):
                await asyncio.sleep(max(0.0, moment - time.perf_counter()))
                cpu_samples.append(server_cpu() if server_cpu else 0.0)

        await asyncio.gather(sample_server_cpu(), *(one_client(i) for i in range(concurrency)))
    elapsed = duration_s
    cpu_used = cpu_samples[1] - cpu_samples[0] if server_cpu else None

    latencies.sort()
    return Result(
        analyzer=analyzer,
        scenario="single" if batch_size == 1 else f"batch{batch_size}",
        concurrency=concurrency,
        duration_s=round(elapsed, 2),
        requests=requests,
        texts=texts_done,
        errors=sum(errors.values()),
        requests_per_s=round(requests / elapsed, 1),
        texts_per_s=round(texts_done / elapsed, 1),
        p50_ms=round(_percentile(latencies, 0.50) * 1000, 2),
        p95_ms=round(_percentile(latencies, 0.95) * 1000, 2),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 2),
        server_cpu_ms_per_request=round(cpu_used / requests * 1000, 3) if cpu_used is not None and requests else None,
        error_kinds=dict(errors),
    )


def _run_event_loop(coroutine):
    """uvloop when installed (as the server uses): the client then takes less of the shared CPUs."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(analyzers: list[str], workers: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # Only the first is preloaded: one that cannot load (a model not trained yet) must not stop the
    # server; the others load on their first request, before measuring, and are skipped if they fail.
    env = {**os.environ, "SENTIMENT_PRELOAD": analyzers[0], "SENTIMENT_DEFAULT_ANALYZER": analyzers[0]}
    command = [
        sys.executable,
        "-c",
        "import sys; from sentiment.cli.serve import serve; "
        "serve(host='127.0.0.1', port=int(sys.argv[1]), workers=int(sys.argv[2]), log_level='warning')",
        str(port),
        str(workers),
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see {log_path}")
        try:
            if httpx.get(url + "/ready", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    process.kill()
    raise SystemExit(f"server not ready after {STARTUP_TIMEOUT_S} s; see {log_path}")


def _available_analyzers() -> list[str]:
    from sentiment import available_analyzers

    names = list(available_analyzers())
    return ["lexicon"] + [name for name in names if name != "lexicon"]


def _usable(url: str, analyzer: str) -> bool:
    response = httpx.post(url + "/analyze", json={"text": "ok", "analyzer": analyzer}, timeout=REQUEST_TIMEOUT_S)
    if response.status_code != 200:
        print(f"skipping {analyzer}: {response.status_code} {response.text[:200]}", file=sys.stderr)
    return response.status_code == 200


def _table(results: list[Result]) -> str:
    header = "| analyzer | scenario | clients | requests/s | texts/s | p50 ms | p95 ms | p99 ms | errors | server CPU ms/request |"
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    rows = [
        f"| {r.analyzer} | {r.scenario} | {r.concurrency} | {r.requests_per_s:,.0f} | {r.texts_per_s:,.0f} "
        f"| {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {r.server_cpu_ms_per_request or '-'} |"
        for r in results
    ]
    return "\n".join([header, rule, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S, help="seconds per scenario (default 60)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="concurrent clients (default 50)")
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="texts per batch request (default 100)"
    )
    parser.add_argument("--analyzers", help="comma-separated (default: lexicon and every other registered analyzer)")
    parser.add_argument("--scenarios", default="single,batch", help="which of single,batch to run (default both)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator (default raw)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--url", help="load this already running server instead of starting one (loopback only)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument(
        "--no-explanations", action="store_true", help='send "explanations": false (the service then skips computing them)'
    )
    args = parser.parse_args(argv)

    analyzers = args.analyzers.split(",") if args.analyzers else _available_analyzers()
    process = None
    with tempfile.TemporaryDirectory(prefix="sentiment-load-") as folder:
        if args.url:
            _require_loopback(args.url)
            url = args.url.rstrip("/")
        else:
            print(f"starting the service ({args.workers} worker(s)) for {', '.join(analyzers)} ...", file=sys.stderr)
            process, url = _start_server(analyzers, args.workers, Path(folder) / "server.log")
        try:
            results = []
            for analyzer in analyzers:
                if not _usable(url, analyzer):
                    continue
                sizes = {"single": 1, "batch": args.batch_size}
                for batch_size in (sizes[name] for name in args.scenarios.split(",")):
                    probe = (lambda: _process_tree_cpu_seconds(process.pid)) if process is not None else None
                    scenario = _run_scenario(
                        url, analyzer, batch_size, args.concurrency, args.duration, probe, args.client,
                        not args.no_explanations,
                    )
                    result = _run_event_loop(scenario)
                    print(json.dumps(asdict(result)), file=sys.stderr)
                    results.append(result)
        finally:
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(60)
    print(_table(results))
    load_average = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs; load average at the end {load_average[0]:.1f} (1 min), "
        f"{load_average[2]:.1f} (15 min)"
    )
    if args.output:
        meta = {
            "cpu_count": os.cpu_count(),
            "load_average_1_5_15_min": [round(x, 2) for x in load_average],
            "workers": args.workers,
            "concurrency": args.concurrency,
            "client": args.client,
            "explanations": not args.no_explanations,
            "url": args.url or "started on 127.0.0.1",
        }
        args.output.write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=2) + "\n")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
