"""GET /metrics: the Prometheus exposition of the served app, read back with prometheus-client's parser.

The app is shared by the whole session, so each test compares counts before and after its request.
"""

from __future__ import annotations

import httpx
import pytest
from gradio_client.exceptions import AppError
from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    response = httpx.get(url + "metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_request_is_counted_with_its_latency_and_queue_wait(client, app_url):
    before = scrape(app_url)
    client.predict(["a", "b"], "tiny-embed", api_name="/embed")
    after = scrape(app_url)
    labels = {"model": "tiny-embed", "operation": "embed"}
    ok = "openvino_ui_requests_total"
    assert value(after, ok, **labels, outcome="ok") == value(before, ok, **labels, outcome="ok") + 1
    assert value(after, ok, **labels, outcome="error") == value(before, ok, **labels, outcome="error")
    for histogram in ("openvino_ui_request_duration_seconds", "openvino_ui_queue_wait_seconds"):
        count = histogram + "_count"
        assert value(after, count, **labels) == value(before, count, **labels) + 1, histogram
        assert value(after, histogram + "_bucket", **labels, le="+Inf") == value(after, count, **labels)


def test_a_failed_request_is_counted_as_an_error(client, app_url):
    before = scrape(app_url)
    with pytest.raises(AppError):
        client.predict("hi", "missing-chat", api_name="/chat")
    after = scrape(app_url)
    labels = {"model": "missing-chat", "operation": "chat"}
    name = "openvino_ui_requests_total"
    assert value(after, name, **labels, outcome="error") == value(before, name, **labels, outcome="error") + 1
    assert value(after, name, **labels, outcome="ok") == value(before, name, **labels, outcome="ok")
    assert value(after, "openvino_ui_model_state", model="missing-chat", state="failed") == 1


def test_bad_input_refused_before_a_model_is_not_a_request(client, app_url):
    before = scrape(app_url)
    with pytest.raises(AppError):
        client.predict([], "tiny-embed", api_name="/embed")
    after = scrape(app_url)
    for outcome in ("ok", "error"):
        labels = {"model": "tiny-embed", "operation": "embed", "outcome": outcome}
        assert value(after, "openvino_ui_requests_total", **labels) == value(
            before, "openvino_ui_requests_total", **labels
        )


def test_chat_counts_tokens_and_times_the_first_token(client, app_url):
    before = scrape(app_url)
    client.predict("Hello there", "tiny-chat", api_name="/chat")
    after = scrape(app_url)
    labels = {"model": "tiny-chat", "operation": "chat"}
    for counter in ("openvino_ui_prompt_tokens_total", "openvino_ui_generated_tokens_total"):
        assert value(after, counter, **labels) > value(before, counter, **labels), counter
    for histogram in ("openvino_ui_time_to_first_token_seconds", "openvino_ui_time_per_output_token_seconds"):
        count = histogram + "_count"
        assert value(after, count, **labels) == value(before, count, **labels) + 1, histogram


def test_model_state_load_time_gauges_and_process_memory(client, app_url):
    client.predict(["warm"], "tiny-embed", api_name="/embed")
    samples = scrape(app_url)
    states = {
        state: value(samples, "openvino_ui_model_state", model="tiny-embed", state=state)
        for state in ("unloaded", "loading", "ready", "failed")
    }
    assert states == {"unloaded": 0, "loading": 0, "ready": 1, "failed": 0}
    assert value(samples, "openvino_ui_model_load_seconds", model="tiny-embed") > 0
    info = {"model": "tiny-embed", "task": "embedding", "operation": "embed", "device": "CPU"}
    assert value(samples, "openvino_ui_model_info", **info) == 1
    assert value(samples, "openvino_ui_requests_in_flight", model="tiny-embed") == 0
    assert value(samples, "openvino_ui_requests_waiting", model="tiny-embed") == 0
    assert value(samples, "process_resident_memory_bytes") > 0


def test_every_metric_is_ours_or_the_process_collectors(app_url):
    names = {name for name, _ in scrape(app_url)}
    assert names and all(n.startswith(("openvino_ui_", "process_")) for n in names), sorted(names)
