"""The HTTP service through FastAPI's TestClient: every endpoint and every error path.

Mechanics are tested with small deterministic analyzers registered here (never at import time, so
the contract test does not pick them up); a few tests at the end check the real lexicon analyzer
gives the same JSON over HTTP as from the library.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import shutil
import json
import logging
import re
import threading

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sentiment import (
    Analysis,
    AspectSentiment,
    BaseAnalyzer,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    ResourceError,
    SentenceSentiment,
    TokenWeight,
    get_analyzer,
    register,
)
from sentiment.registry import unregister
from sentiment.service import schemas
from sentiment.service.access_log import SERVICE_LOGGER, JsonLinesFormatter
from sentiment.service.app import create_app
from sentiment.service.auth import KeyChecker
from sentiment.service.pool import AnalyzerPool
from sentiment.service.settings import Settings, SettingsError

FAKE = "svc-fake"
POLARITY_ONLY = "svc-polarity-only"
BUGGY = "svc-buggy"
BROKEN = "svc-broken"
API_KEY = "k3y-for-tests-0123456789"
MAX_TEXTS = 5
MAX_TEXT_CHARS = 60
MAX_BODY_BYTES = 4_000
REVIEW = "good battery but bad screen"


class AllModesFake(BaseAnalyzer):
    """Deterministic, every mode: "good"/"bad" drive polarity (with spans), "battery"/"screen" are aspects."""

    name = FAKE
    modes = frozenset(Mode)
    metadata = {"version": "fake.v1", "metrics": {"accuracy": 0.5}}

    def _analyze_batch(self, texts, modes):
        return [self._one(text, modes) for text in texts]

    def _one(self, text: str, modes) -> Analysis:
        weights = [
            TokenWeight(m.group(), m.start(), m.end(), 1.0 if m.group() == "good" else -1.0)
            for m in re.finditer(r"\b(good|bad)\b", text)
        ]
        score = max(-1.0, min(1.0, sum(w.weight for w in weights) / 2))
        label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
        polarity = Polarity(label, score, {"negative": float(score < 0), "neutral": float(score == 0), "positive": float(score > 0)})
        fields: dict[str, object] = {}
        if Mode.POLARITY in modes:
            sentence = SentenceSentiment(text, 0, len(text), polarity)
            fields.update(polarity=polarity, explanation=weights, sentences=[sentence])
        if Mode.FINE_GRAINED in modes:
            stars = 3 + round(2 * score)
            fields["fine_grained"] = FineGrained(
                ("very_negative", "negative", "neutral", "positive", "very_positive")[stars - 1], stars, float(stars), {}
            )
        if Mode.ASPECT in modes:
            fields["aspects"] = [
                AspectSentiment(m.group(), m.start(), m.end(), "product", label, score, ("good",))
                for m in re.finditer(r"\b(battery|screen)\b", text)
            ]
        if Mode.EMOTION in modes:
            fields["emotion"] = Emotion(("joy",) if score > 0 else (), {"joy": max(score, 0.0), "anger": max(-score, 0.0)})
        if Mode.INTENT in modes:
            intent = "question" if text.endswith("?") else "none"
            fields["intent"] = Intent(intent, 0.9, {"question": 0.9 if intent == "question" else 0.1})
        return Analysis(text=text, analyzer=self.name, **fields)


class PolarityOnly(AllModesFake):
    name = POLARITY_ONLY
    modes = frozenset({Mode.POLARITY})


class Buggy(AllModesFake):
    """An analyzer with a bug: every text raises an exception the service does not expect."""

    name = BUGGY

    def _analyze_batch(self, texts, modes):
        raise ZeroDivisionError("a bug")


def _broken_factory():
    raise ResourceError("model file models/svc-broken/polarity/model.safetensors is missing")


@pytest.fixture
def analyzers():
    """Registers the test analyzers for one test."""
    register(FAKE, AllModesFake, modes=AllModesFake.modes, description="all modes, deterministic")
    register(POLARITY_ONLY, PolarityOnly, modes=PolarityOnly.modes, description="polarity only")
    register(BUGGY, Buggy, modes=Buggy.modes, description="raises a bug")
    register(BROKEN, _broken_factory, modes=frozenset(Mode), description="cannot load")
    yield
    for name in (FAKE, POLARITY_ONLY, BUGGY, BROKEN):
        unregister(name)


def _settings(**overrides) -> Settings:
    base = dict(
        preload=(FAKE,),
        default_analyzer=FAKE,
        max_texts=MAX_TEXTS,
        max_text_chars=MAX_TEXT_CHARS,
        max_body_bytes=MAX_BODY_BYTES,
    )
    return Settings(**{**base, **overrides})


@pytest.fixture
def client(analyzers):
    with TestClient(create_app(_settings())) as test_client:
        yield test_client


@pytest.fixture
def log_lines():
    """Every line the service logs during the test, parsed from JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger(SERVICE_LOGGER)
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def _expected(text: str, modes) -> dict:
    return AllModesFake().analyze(text, modes).to_dict()


# --- POST /analyze: results -------------------------------------------------------------------


def test_one_text_returns_exactly_the_library_dict(client):
    response = client.post("/analyze", json={"text": REVIEW, "modes": [m.value for m in Mode]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == _expected(REVIEW, tuple(Mode))


def test_batch_returns_a_list_in_input_order(client):
    texts = ["good", "bad", "", "good good?", "ünïcödé 😍 good"]
    response = client.post("/analyze", json={"texts": texts, "modes": ["polarity", "intent"]})
    assert response.status_code == 200
    assert response.json() == [_expected(t, ("polarity", "intent")) for t in texts]


def test_default_mode_is_polarity_and_modes_may_be_one_string(client):
    default = client.post("/analyze", json={"text": REVIEW}).json()
    assert default == _expected(REVIEW, ("polarity",))
    assert default["aspects"] is None
    one = client.post("/analyze", json={"text": REVIEW, "modes": "aspect"}).json()
    assert one == _expected(REVIEW, ("aspect",))


def test_explanations_and_sentences_can_be_left_out(client):
    body = client.post("/analyze", json={"text": REVIEW, "explanations": False, "sentences": False}).json()
    full = _expected(REVIEW, ("polarity",))
    assert full["explanation"] and full["sentences"]
    assert body == {**full, "explanation": None, "sentences": None}


def test_empty_batch_gives_an_empty_list(client):
    assert client.post("/analyze", json={"texts": []}).json() == []


def test_analyzer_named_in_the_request_is_used(client):
    body = client.post("/analyze", json={"text": "good", "analyzer": POLARITY_ONLY}).json()
    assert body["analyzer"] == POLARITY_ONLY


def test_non_preloaded_analyzer_loads_on_first_use(client):
    assert client.get("/ready").json()["loaded"] == [FAKE]
    assert client.post("/analyze", json={"text": "good", "analyzer": POLARITY_ONLY}).status_code == 200
    assert client.get("/ready").json()["loaded"] == sorted([FAKE, POLARITY_ONLY])


class LoopProbe(PolarityOnly):
    """Records, per call, whether it ran on the event loop's thread."""

    name = "svc-loop-probe"
    on_loop: list[bool] = []

    def _analyze_batch(self, texts, modes):
        try:
            asyncio.get_running_loop()
            LoopProbe.on_loop.append(True)
        except RuntimeError:
            LoopProbe.on_loop.append(False)
        return super()._analyze_batch(texts, modes)


@pytest.mark.parametrize(
    "inline_max_chars, text, on_loop",
    [(0, "good", False), (10, "good", True), (10, "good and long", False)],
)
def test_only_small_requests_run_on_the_event_loop(analyzers, inline_max_chars, text, on_loop):
    register(LoopProbe.name, LoopProbe, modes=LoopProbe.modes)
    LoopProbe.on_loop = []
    try:
        settings = _settings(preload=(LoopProbe.name,), inline_max_chars=inline_max_chars)
        with TestClient(create_app(settings)) as client:
            assert client.post("/analyze", json={"text": text, "analyzer": LoopProbe.name}).status_code == 200
        assert LoopProbe.on_loop == [on_loop]
    finally:
        unregister(LoopProbe.name)


# --- POST /analyze: errors ---------------------------------------------------------------------


def test_unknown_analyzer_is_404_listing_the_valid_ones(client):
    response = client.post("/analyze", json={"text": "x", "analyzer": "nope"})
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "unknown_analyzer"
    assert {FAKE, POLARITY_ONLY}.issubset(body["valid"])
    assert FAKE in body["message"] and "nope" in body["message"]


@pytest.mark.parametrize(
    "modes, bad",
    [(["aspect"], "aspect"), (["polarity", "sarcasm"], "sarcasm"), ([], "(none)")],
)
def test_unsupported_mode_is_422_listing_the_valid_ones(client, modes, bad):
    response = client.post("/analyze", json={"text": "x", "analyzer": POLARITY_ONLY, "modes": modes})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unsupported_mode"
    assert body["valid"] == ["polarity"]
    assert bad in body["message"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"texts": ["ok", 3]}, "texts[1]"),
        ({"text": ["a list"]}, "text"),
        ({"text": "x", "modes": 7}, "modes"),
        ({"text": "x", "explanations": "maybe"}, "explanations"),
        ({"text": "x", "analyzer": 5}, "analyzer"),
        ({"text": "x", "colour": "blue"}, "colour"),
        ({}, "exactly one of 'text'"),
        ({"text": "x", "texts": ["y"]}, "exactly one of 'text'"),
        ({"text": None}, "exactly one of 'text'"),
    ],
)
def test_schema_errors_are_422_naming_the_field(client, payload, field):
    response = client.post("/analyze", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert field in body["message"]


@pytest.mark.parametrize("raw", [b'{"text": "unterminated', b"{bad json}", b"[" * 50_000 + b"]" * 50_000])
def test_malformed_json_is_422(analyzers, raw):
    settings = _settings(max_body_bytes=200_000)
    with TestClient(create_app(settings)) as client:
        response = client.post("/analyze", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "body" in response.json()["message"]


def test_non_json_body_is_422(client):
    response = client.post("/analyze", content=b"text=hello", headers={"content-type": "text/plain"})
    assert response.status_code == 422


def test_unpaired_surrogate_is_422_naming_the_text(client):
    raw = b'{"texts": ["fine", "bad \\ud800 half"]}'
    response = client.post("/analyze", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "texts[1]" in response.json()["message"]


def test_too_many_texts_is_413(client):
    response = client.post("/analyze", json={"texts": ["x"] * (MAX_TEXTS + 1)})
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "too_large" and body["limit"] == "max_texts"
    assert str(MAX_TEXTS) in body["message"]


def test_too_long_text_is_413_naming_the_text(client):
    response = client.post("/analyze", json={"texts": ["short", "y" * (MAX_TEXT_CHARS + 1)]})
    assert response.status_code == 413
    assert response.json()["limit"] == "max_text_chars"
    assert "texts[1]" in response.json()["message"]
    assert client.post("/analyze", json={"text": "y" * MAX_TEXT_CHARS}).status_code == 200


def test_body_over_the_limit_is_413_by_content_length(client):
    response = client.post("/analyze", json={"text": "z" * MAX_BODY_BYTES})
    assert response.status_code == 413
    assert response.json()["limit"] == "max_body_bytes"


def test_streamed_body_over_the_limit_is_413(client):
    def chunks():  # no Content-Length: the limit must hold on the bytes as they arrive
        yield b'{"texts": ['
        for _ in range(MAX_BODY_BYTES // 4):
            yield b'"abcdef",'
        yield b'"end"]}'

    response = client.post("/analyze", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["limit"] == "max_body_bytes"


def test_analyzer_that_cannot_load_is_503(client):
    response = client.post("/analyze", json={"text": "x", "analyzer": BROKEN})
    assert response.status_code == 503
    assert response.json()["error"] == "analyzer_unavailable"
    assert "model.safetensors is missing" in response.json()["message"]


def test_a_bug_is_a_json_500_with_the_request_id_and_is_logged(client, log_lines):
    response = client.post("/analyze", json={"text": "x", "analyzer": BUGGY}, headers={"x-request-id": "req-42"})
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "internal server error; the log has the details",
        "request_id": "req-42",
    }
    errors = [line for line in log_lines() if line.get("level") == "error"]
    assert errors and "ZeroDivisionError" in errors[0]["traceback"] and "req-42" in errors[0]["message"]


@pytest.mark.parametrize(
    "raw",
    [b"null", b"[]", b'"text"', b"123", b'{"texts": null}', b'{"texts": [null]}', b'{"text": {}}',
     b'{"modes": {}}', b'{"text": "x", "modes": [null]}', b"\xff\xfe", b'{"text": "\\u0000"}', b""],
)
def test_no_input_gives_a_500(client, raw):
    response = client.post("/analyze", content=raw, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    assert "error" in response.json() or response.status_code == 200


def test_wrong_method_and_unknown_path_are_json_errors(client):
    assert client.get("/analyze").status_code == 405
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


# --- GET /analyzers, /health, /ready, /metrics, / ----------------------------------------------


def test_analyzers_lists_names_modes_descriptions_and_model_cards(analyzers, tmp_path, monkeypatch):
    config = {"format_version": 1, "architecture": "rnn.v1", "metrics": {"dev_accuracy": 0.87}, "vocab_size": 9}
    (tmp_path / FAKE / "polarity").mkdir(parents=True)
    (tmp_path / FAKE / "polarity" / "config.json").write_text(json.dumps(config))
    (tmp_path / FAKE / "emotion").mkdir()
    (tmp_path / FAKE / "emotion" / "config.json").write_text("{not json")
    monkeypatch.setenv("SENTIMENT_MODELS_DIR", str(tmp_path))
    with TestClient(create_app(_settings())) as client:
        body = client.get("/analyzers").json()
    assert body["default"] == FAKE
    by_name = {entry["name"]: entry for entry in body["analyzers"]}
    fake = by_name[FAKE]
    assert fake["modes"] == [m.value for m in Mode]
    assert fake["description"] == "all modes, deterministic"
    assert fake["loaded"] is True
    assert fake["models"] == {"polarity": {"format_version": 1, "architecture": "rnn.v1", "metrics": {"dev_accuracy": 0.87}}}
    assert fake["metadata"] == AllModesFake.metadata
    assert by_name[POLARITY_ONLY]["modes"] == ["polarity"]
    assert by_name[POLARITY_ONLY]["loaded"] is False and by_name[POLARITY_ONLY]["metadata"] is None
    assert by_name[BROKEN]["models"] == {}


def test_health_is_always_ok(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_only_after_startup_loaded_the_preloaded_analyzers(analyzers):
    app = create_app(_settings(preload=(FAKE, POLARITY_ONLY)))
    not_started = TestClient(app)  # without `with`, the lifespan (start-up) does not run
    response = not_started.get("/ready")
    assert response.status_code == 503
    assert response.json()["missing"] == [FAKE, POLARITY_ONLY]
    with TestClient(app) as started:
        response = started.get("/ready")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "loaded": sorted([FAKE, POLARITY_ONLY]), "missing": []}


def test_startup_fails_on_an_unknown_preload_or_default(analyzers):
    with pytest.raises(Exception, match="valid analyzers"):
        with TestClient(create_app(_settings(preload=("nope",)))):
            pass
    with pytest.raises(Exception, match="valid analyzers"):
        with TestClient(create_app(_settings(default_analyzer="nope"))):
            pass


def _samples(client) -> dict:
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_requests_latency_texts_and_errors(client):
    client.post("/analyze", json={"texts": ["good", "bad", "x"]})
    client.post("/analyze", json={"text": "x", "analyzer": "nope"})
    client.get("/nowhere/123")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(client)
    ok = ("sentiment_http_requests_total", (("method", "POST"), ("path", "/analyze"), ("status", "200")))
    assert samples[ok] == 1
    assert samples[("sentiment_texts_analyzed_total", (("analyzer", FAKE),))] == 3
    assert samples[("sentiment_http_errors_total", (("error", "unknown_analyzer"),))] == 1
    assert samples[("sentiment_http_errors_total", (("error", "not_found"),))] == 1
    unmatched = ("sentiment_http_requests_total", (("method", "GET"), ("path", "(unmatched)"), ("status", "404")))
    assert samples[unmatched] == 1
    count = ("sentiment_http_request_duration_seconds_count", (("method", "POST"), ("path", "/analyze")))
    assert samples[count] == 2


def test_each_app_has_its_own_metrics_registry(analyzers):
    with TestClient(create_app(_settings())) as first, TestClient(create_app(_settings())) as second:
        first.post("/analyze", json={"text": "good"})
        key = ("sentiment_texts_analyzed_total", (("analyzer", FAKE),))
        assert _samples(first)[key] == 1
        assert key not in _samples(second)


def test_page_is_served_with_its_assets_and_a_strict_content_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200
    assert 'id="analyze-form"' in page.text and "http" not in re.sub(r'href="/docs"', "", page.text.split("<body>")[0])


def test_openapi_documents_analyze_with_examples(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/analyze"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"one text", "batch"} <= set(examples)
    assert {"401", "404", "413", "422", "503"} <= set(operation["responses"])
    assert set(spec["paths"]) >= {"/analyze", "/analyzers", "/health", "/ready", "/metrics"}
    assert client.get("/docs").status_code == 200


# --- API keys -----------------------------------------------------------------------------------


@pytest.fixture
def keyed_client(analyzers, tmp_path):
    key_file = tmp_path / "keys.txt"
    key_file.write_text("# one key per line\n\nfile-key-abc\n")
    with TestClient(create_app(_settings(api_keys=(API_KEY,), api_keys_file=key_file))) as client:
        yield client


@pytest.mark.parametrize(
    "method, path",
    [("POST", "/analyze"), ("GET", "/analyzers"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/nowhere")],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "wrong"}, {"authorization": f"Basic {API_KEY}"}, {"authorization": "Bearer "}, {"x-api-key": API_KEY[:-1]}],
)
def test_without_a_valid_key_the_answer_is_401_and_nothing_else(keyed_client, method, path, headers):
    response = keyed_client.request(method, path, json={"text": "good"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [{"x-api-key": API_KEY}, {"authorization": f"Bearer {API_KEY}"}, {"authorization": "bearer file-key-abc"}],
)
def test_a_valid_key_from_the_setting_or_the_file_is_accepted(keyed_client, headers):
    response = keyed_client.post("/analyze", json={"text": "good"}, headers=headers)
    assert response.status_code == 200
    assert keyed_client.get("/metrics", headers=headers).status_code == 200


def test_health_ready_and_the_page_stay_open(keyed_client):
    assert keyed_client.get("/health").status_code == 200
    assert keyed_client.get("/ready").status_code == 200
    assert keyed_client.get("/").status_code == 200
    assert keyed_client.get("/static/app.js").status_code == 200


def test_keys_never_reach_the_log(keyed_client, log_lines):
    keyed_client.post("/analyze", json={"text": "good"}, headers={"x-api-key": API_KEY})
    keyed_client.post("/analyze", json={"text": "good"}, headers={"authorization": "Bearer not-the-key"})
    lines = log_lines()
    assert len([line for line in lines if line.get("path") == "/analyze"]) == 2
    output = json.dumps(lines)
    assert API_KEY not in output and "not-the-key" not in output
    assert API_KEY not in repr(KeyChecker([API_KEY])) and API_KEY not in repr(_settings(api_keys=(API_KEY,)))


def test_unreadable_key_file_fails_naming_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="SENTIMENT_API_KEYS_FILE"):
        create_app(_settings(api_keys_file=tmp_path / "missing.txt"))


# --- CORS, request ids, access log --------------------------------------------------------------


def _preflight(client, origin):
    return client.options(
        "/analyze",
        headers={"origin": origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type"},
    )


def test_cors_is_closed_by_default(client):
    response = client.post("/analyze", json={"text": "good"}, headers={"origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in _preflight(client, "https://example.org").headers


def test_cors_allows_only_the_configured_origins(analyzers):
    settings = _settings(cors_origins=("https://app.example.org",), api_keys=(API_KEY,))
    with TestClient(create_app(settings)) as client:
        preflight = _preflight(client, "https://app.example.org")  # browsers send no key on preflight
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
        response = client.post(
            "/analyze", json={"text": "good"}, headers={"origin": "https://app.example.org", "x-api-key": API_KEY}
        )
        assert response.headers["access-control-allow-origin"] == "https://app.example.org"
        other = client.post("/analyze", json={"text": "good"}, headers={"origin": "https://evil.example", "x-api-key": API_KEY})
        assert "access-control-allow-origin" not in other.headers


def test_request_id_is_kept_when_plain_and_made_up_otherwise(client):
    assert client.get("/health", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    forged = client.get("/health", headers={"x-request-id": 'x" injected'}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/health").headers["x-request-id"])


def test_access_log_is_json_lines_without_the_texts(client, log_lines):
    client.post("/analyze", json={"texts": ["secret good words", "other"]}, headers={"x-request-id": "r-1"})
    client.post("/analyze", json={"text": "x", "analyzer": "nope"})
    lines = [line for line in log_lines() if "request_id" in line]
    first, second = lines
    assert first["request_id"] == "r-1" and first["status"] == 200 and first["texts"] == 2
    assert first["analyzer"] == FAKE and first["path"] == "/analyze" and first["latency_ms"] > 0
    assert second["status"] == 404 and second["error"] == "unknown_analyzer"
    assert "secret" not in json.dumps(lines)


def test_texts_are_logged_only_when_asked(analyzers, log_lines):
    with TestClient(create_app(_settings(log_texts=True))) as client:
        client.post("/analyze", json={"text": "secret good words"})
    (line,) = [line for line in log_lines() if "request_id" in line]
    assert line["request_texts"] == ["secret good words"]


def test_access_log_can_be_switched_off(analyzers, log_lines):
    with TestClient(create_app(_settings(access_log=False))) as client:
        client.get("/health")
    assert not [line for line in log_lines() if "request_id" in line]


# --- building blocks ------------------------------------------------------------------------------


def test_pool_builds_each_analyzer_once_under_concurrent_first_use():
    calls = []
    started = threading.Barrier(8)

    def slow_factory():
        calls.append(1)
        return PolarityOnly()

    register("svc-counted", slow_factory, modes=PolarityOnly.modes)
    try:
        pool = AnalyzerPool()
        results = []

        def first_use():
            started.wait()
            results.append(pool.get("svc-counted"))

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(calls) == 1
        assert all(result is results[0] for result in results)
    finally:
        unregister("svc-counted")


def test_settings_come_from_sentiment_environment_variables(tmp_path):
    environ = {
        "SENTIMENT_PRELOAD": "lexicon, neural",
        "SENTIMENT_MAX_TEXTS": "10",
        "SENTIMENT_ACCESS_LOG": "off",
        "SENTIMENT_CORS_ORIGINS": "https://a.example,https://b.example",
        "SENTIMENT_API_KEYS": "k1,k2",
        "SENTIMENT_API_KEYS_FILE": str(tmp_path / "keys"),
        "SENTIMENT_GRACEFUL_SHUTDOWN_SECONDS": "2.5",
        "OTHER": "ignored",
    }
    settings = Settings.from_env(environ, port=9000)
    assert settings.preload == ("lexicon", "neural")
    assert settings.max_texts == 10 and settings.access_log is False and settings.port == 9000
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.api_keys == ("k1", "k2") and settings.api_keys_file == tmp_path / "keys"
    assert settings.graceful_shutdown_seconds == 2.5
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    "variable, value",
    [("SENTIMENT_MAX_TEXTS", "many"), ("SENTIMENT_MAX_TEXTS", "0"), ("SENTIMENT_ACCESS_LOG", "perhaps"), ("SENTIMENT_PORT", "70000")],
)
def test_bad_settings_fail_naming_the_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_response_schema_mirrors_the_library_result_types():
    pairs = [
        (schemas.AnalysisOut, Analysis),
        (schemas.PolarityOut, Polarity),
        (schemas.FineGrainedOut, FineGrained),
        (schemas.AspectOut, AspectSentiment),
        (schemas.EmotionOut, Emotion),
        (schemas.IntentOut, Intent),
        (schemas.SentenceOut, SentenceSentiment),
        (schemas.TokenWeightOut, TokenWeight),
    ]
    for model, result_type in pairs:
        assert list(model.model_fields) == [f.name for f in dataclasses.fields(result_type)], model.__name__
    example = AllModesFake().analyze(REVIEW, tuple(Mode)).to_dict()
    assert schemas.AnalysisOut.model_validate(example).model_dump() == example


# --- the real lexicon analyzer --------------------------------------------------------------------

LEXICON_TEXTS = [
    "The battery life is great, but the screen is too dim.",
    "Terrible support, I want a refund!",
    "Where can I buy the blue one?",
    "",
    "Très bon café 😍 — the staff were lovely.",
]


@pytest.fixture(scope="module")
def lexicon_client():
    with TestClient(create_app(Settings(preload=("lexicon",)))) as client:
        yield client


@pytest.mark.parametrize("modes", [["polarity"], [m.value for m in Mode]])
def test_lexicon_over_http_equals_the_library(lexicon_client, modes):
    response = lexicon_client.post("/analyze", json={"texts": LEXICON_TEXTS, "analyzer": "lexicon", "modes": modes})
    assert response.status_code == 200
    library = get_analyzer("lexicon").analyze_batch(LEXICON_TEXTS, modes)
    assert response.json() == [analysis.to_dict() for analysis in library]
    assert [Analysis.from_dict(item) for item in response.json()] == library


def test_lexicon_is_preloaded_by_default(lexicon_client):
    assert lexicon_client.get("/ready").json()["loaded"] == ["lexicon"]
    listing = {entry["name"]: entry for entry in lexicon_client.get("/analyzers").json()["analyzers"]}
    assert listing["lexicon"]["loaded"] is True
    assert listing["lexicon"]["modes"] == [m.value for m in Mode]


# --- `sentiment serve` ----------------------------------------------------------------------------


def test_serve_command_runs_uvicorn_with_the_settings(monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from sentiment.cli.main import app

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: calls.append((target, options)))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # restored (removed) after the test
    monkeypatch.setenv("SENTIMENT_GRACEFUL_SHUTDOWN_SECONDS", "7")
    monkeypatch.setenv("SENTIMENT_PRELOAD", "lexicon")
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9123", "--workers", "2", "--preload", "fake,lexicon"])
    assert result.exit_code == 0, result.output
    ((target, options),) = calls
    assert target == "sentiment.service.app:create_app" and options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("0.0.0.0", 9123, 2)
    assert options["timeout_graceful_shutdown"] == 7.0 and options["access_log"] is False
    assert options["timeout_keep_alive"] == 75.0
    assert os.environ["SENTIMENT_PRELOAD"] == "fake,lexicon"
    assert os.path.isdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])  # workers share their metrics there
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def test_serve_command_rejects_bad_settings(monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from sentiment.cli.main import app

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: pytest.fail("must not start"))
    monkeypatch.setenv("SENTIMENT_MAX_TEXTS", "lots")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code != 0
    assert "SENTIMENT_MAX_TEXTS" in result.output
