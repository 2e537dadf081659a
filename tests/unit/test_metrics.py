"""openvino_ui.metrics on fake engines: what each request adds, the gauges read at scrape time,
one registry per app, and the engine's observer hook."""

from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from openvino_ui.errors import ModelLoadFailed
from openvino_ui.metrics import Metrics, operation_of
from openvino_ui.stats import GenerationMetrics, RequestRecord

from .fakes import FakeEngine, fake_pool, reset_fakes, run_threads, wait_until


@pytest.fixture(autouse=True)
def _fresh_fakes():
    reset_fakes()
    yield
    reset_fakes()


@pytest.fixture
def pool():
    pool = fake_pool()
    yield pool
    pool.close()


@pytest.fixture
def metrics(pool):
    metrics = Metrics(pool, process=False)
    yield metrics
    metrics.close()


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def requests(metrics: Metrics, model: str, outcome: str) -> float | None:
    return sample(metrics, "openvino_ui_requests_total", model=model, operation="chat", outcome=outcome)


def test_counters_start_at_zero_for_every_model_and_operation(metrics):
    for model, op in (("a", "chat"), ("b", "chat"), ("e", "embed")):
        for outcome in ("ok", "error"):
            labels = {"model": model, "operation": op, "outcome": outcome}
            assert sample(metrics, "openvino_ui_requests_total", **labels) == 0
    assert sample(metrics, "openvino_ui_generated_tokens_total", model="a", operation="chat") == 0
    assert sample(metrics, "openvino_ui_generated_tokens_total", model="e", operation="embed") is None


def test_ok_and_failed_requests_with_their_latency_and_queue_wait(pool, metrics):
    engine = pool.ready("a")
    engine.work()
    with pytest.raises(ValueError):
        engine.work(fail=True)
    assert requests(metrics, "a", "ok") == 1 and requests(metrics, "a", "error") == 1
    labels = {"model": "a", "operation": "chat"}
    assert sample(metrics, "openvino_ui_request_duration_seconds_count", **labels) == 2
    assert sample(metrics, "openvino_ui_queue_wait_seconds_count", **labels) == 2
    assert requests(metrics, "b", "ok") == 0


def test_a_request_that_never_reached_the_model_is_an_error_without_latency(pool, metrics):
    FakeEngine.fail_with = "no device"
    with pytest.raises(ModelLoadFailed):
        pool.ready("a")
    assert requests(metrics, "a", "error") == 1
    labels = {"model": "a", "operation": "chat"}
    assert sample(metrics, "openvino_ui_request_duration_seconds_count", **labels) is None
    assert sample(metrics, "openvino_ui_queue_wait_seconds_count", **labels) is None
    assert sample(metrics, "openvino_ui_model_state", model="a", state="failed") == 1


def test_generation_tokens_and_speeds(pool, metrics):
    engine = pool.ready("a")
    for generation in (GenerationMetrics(120.0, 15.0, 60.0, 9, 31), GenerationMetrics(0.0, 0.0, 0.0, 0, 4)):
        with engine.serving([generation]):
            pass
    labels = {"model": "a", "operation": "chat"}
    assert sample(metrics, "openvino_ui_prompt_tokens_total", **labels) == 35
    assert sample(metrics, "openvino_ui_generated_tokens_total", **labels) == 9
    # the second generation measured nothing: no time to first token, no time per token
    assert sample(metrics, "openvino_ui_time_to_first_token_seconds_count", **labels) == 1
    assert sample(metrics, "openvino_ui_time_to_first_token_seconds_sum", **labels) == pytest.approx(0.12)
    assert sample(metrics, "openvino_ui_time_per_output_token_seconds_sum", **labels) == pytest.approx(0.015)


def test_in_flight_and_waiting_are_read_at_scrape_time(pool, metrics):
    engine = pool.ready("a")
    release = threading.Event()
    holder = threading.Thread(target=engine.work, kwargs={"hold": release})
    holder.start()
    assert engine.holding.wait(5)
    waiter = threading.Thread(target=engine.work)
    waiter.start()
    wait_until(lambda: engine.queue_length() == 1)
    assert sample(metrics, "openvino_ui_requests_in_flight", model="a") == 1
    assert sample(metrics, "openvino_ui_requests_waiting", model="a") == 1
    release.set()
    holder.join(10)
    waiter.join(10)
    assert sample(metrics, "openvino_ui_requests_in_flight", model="a") == 0
    assert sample(metrics, "openvino_ui_requests_waiting", model="a") == 0
    assert requests(metrics, "a", "ok") == 2


def test_model_state_is_one_hot_with_load_time_and_device(pool, metrics):
    def states(model: str) -> dict[str, float | None]:
        return {
            s: sample(metrics, "openvino_ui_model_state", model=model, state=s)
            for s in ("unloaded", "loading", "ready", "failed")
        }

    assert states("a") == {"unloaded": 1, "loading": 0, "ready": 0, "failed": 0}
    assert sample(metrics, "openvino_ui_model_load_seconds", model="a") is None
    pool.load("a")
    assert states("a") == {"unloaded": 0, "loading": 0, "ready": 1, "failed": 0}
    assert sample(metrics, "openvino_ui_model_load_seconds", model="a") >= 0
    info = {"model": "e", "task": "embedding", "operation": "embed", "device": "CPU"}
    assert sample(metrics, "openvino_ui_model_info", **info) == 1


def test_apps_have_their_own_registries_and_close_stops_counting(pool, metrics):
    other = Metrics(pool, process=False)
    engine = pool.ready("a")
    engine.work()
    assert requests(metrics, "a", "ok") == 1 and requests(other, "a", "ok") == 1
    other.close()
    engine.work()
    assert requests(metrics, "a", "ok") == 2 and requests(other, "a", "ok") == 1
    assert metrics.registry is not other.registry


def test_exposition_parses_and_holds_only_our_names(pool):
    metrics = Metrics(pool)  # with the process collector
    try:
        pool.ready("a").work()
        body, content_type = metrics.exposition()
        assert content_type.startswith("text/plain")
        names = {family.name for family in text_string_to_metric_families(body.decode())}
        assert "openvino_ui_requests" in names and "openvino_ui_model_state" in names
        assert all(n.startswith(("openvino_ui_", "process_")) for n in names), sorted(names)
    finally:
        metrics.close()


def test_an_observer_that_fails_never_fails_the_request(pool, metrics):
    engine = pool.ready("a")
    seen: list[RequestRecord] = []

    def broken(record: RequestRecord) -> None:
        raise RuntimeError("observer bug")

    engine.observers[:0] = [broken]
    engine.observers.append(seen.append)
    assert run_threads(engine.work, 3) == ["CPU"] * 3
    assert len(seen) == 3 and all(r.ok and r.model == "a" and r.task == "llm" for r in seen)
    assert requests(metrics, "a", "ok") == 3


def test_operations_are_the_endpoint_names():
    assert [operation_of(t) for t in ("llm", "vlm", "asr", "tts", "embedding", "rerank")] == [
        "chat",
        "describe",
        "transcribe",
        "speak",
        "embed",
        "rerank",
    ]
