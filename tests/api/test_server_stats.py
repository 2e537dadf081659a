"""server_stats on apps of their own (they count every request, so no other test may add to them):
the Gradio endpoint and GET /v1/server/stats report the same figures; requests, the loaded models and
the history follow what was served; reading needs what every /v1 read needs (an API key when they
are set, never an admin key) and stays open under --read-only; it is not an MCP tool; and the
sampler stops with the server."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from gradio_client import Client

from openvino_ui.ui.mount import mcp_tools
from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config
from tests.unit.fakes import wait_until

USER_KEY = "user-key-7f3a9c"
ADMIN_KEY = "admin-key-b81d2e"
MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-rerank")}
FIELDS = {
    "uptime_s",
    "versions",
    "models_configured",
    "active_models",
    "requests_total",
    "failures_total",
    "requests_per_s",
    "avg_inference_ms",
    "window_s",
    "cpu_percent",
    "memory_mb",
    "devices",
}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def keyed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    config = write_test_config(tmp_path_factory.mktemp("server-stats"), MODELS)
    app = launch_app(config, "--api-key", USER_KEY, "--admin-key", ADMIN_KEY)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def client(keyed_app: SimpleNamespace) -> Client:
    return Client(keyed_app.url, verbose=False)


def rest_stats(app: SimpleNamespace, key: str | None = USER_KEY) -> dict[str, Any]:
    response = httpx.get(app.url + "v1/server/stats", headers=bearer(key) if key else {}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_both_surfaces_report_the_server(keyed_app: SimpleNamespace, client: Client) -> None:
    gradio = client.predict(api_name="/server_stats")
    rest = rest_stats(keyed_app)
    assert set(gradio) == set(rest) == FIELDS
    assert (
        rest["versions"]
        == gradio["versions"]
        == {
            "openvino-ui": metadata.version("openvino-ui"),
            "openvino": metadata.version("openvino"),
            "openvino-genai": metadata.version("openvino-genai"),
        }
    )
    assert rest["models_configured"] == 2 and rest["window_s"] == 60
    assert rest["uptime_s"] >= gradio["uptime_s"] >= 0  # one telemetry behind both
    assert rest["memory_mb"] > 0 and 0 <= rest["cpu_percent"] <= 100
    cpu = [d for d in rest["devices"] if d["device"] == "CPU"]
    assert cpu == [{"device": "CPU", "total_mb": None, "used_mb": None, "by_kind_mb": {}}]


def test_requests_and_loaded_models_are_counted(keyed_app: SimpleNamespace, client: Client) -> None:
    before = rest_stats(keyed_app)
    vectors = client.predict(["a cat sat on the mat"], "tiny-embed", api_name="/embed")
    assert len(vectors) == 1
    response = httpx.post(
        keyed_app.url + "v1/embeddings",
        json={"model": "tiny-embed", "input": "a dog"},
        headers=bearer(USER_KEY),
        timeout=120,
    )
    assert response.status_code == 200, response.text
    after = client.predict(api_name="/server_stats")
    assert after["requests_total"] == before["requests_total"] + 2
    assert after["failures_total"] == before["failures_total"]
    assert "tiny-embed" in after["active_models"] and "tiny-rerank" not in after["active_models"]
    assert after["requests_per_s"] > 0 and after["avg_inference_ms"] is not None
    assert after["avg_inference_ms"] >= 0


def test_the_sampler_runs_while_the_server_serves(keyed_app: SimpleNamespace) -> None:
    telemetry = keyed_app.server.telemetry
    wait_until(lambda: len(telemetry.history()) >= 1, timeout=30)  # sampled at startup
    point = telemetry.history()[-1]
    assert point.memory_mb > 0 and telemetry._thread is not None and telemetry._thread.is_alive()
    # the UI's service and the REST routes' service share it
    assert keyed_app.demo.openvino_ui_api.service.telemetry is telemetry


def test_reading_needs_an_api_key_but_no_admin_key(keyed_app: SimpleNamespace) -> None:
    url = keyed_app.url + "v1/server/stats"
    refused = httpx.get(url)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(url, headers=bearer("wrong-key-123")).status_code == 401
    for key in (USER_KEY, ADMIN_KEY):
        assert set(rest_stats(keyed_app, key)) == FIELDS
    assert httpx.post(url, headers=bearer(USER_KEY)).status_code == 405


def test_it_is_no_mcp_tool(keyed_app: SimpleNamespace) -> None:
    tools = mcp_tools(keyed_app.demo)
    assert tools and not [t for t in tools if "server_stats" in t]


def test_read_only_servers_report_and_stop_their_sampler(tmp_path) -> None:
    config = write_test_config(tmp_path, {"tiny-embed": TEST_MODELS["tiny-embed"]})
    app = launch_app(config, "--read-only", "--admin-key", ADMIN_KEY)
    try:
        assert rest_stats(app, key=None)["models_configured"] == 1  # no API key set, none needed
        assert Client(app.url, verbose=False).predict(api_name="/server_stats")["active_models"] == []
        telemetry = app.server.telemetry
        wait_until(lambda: telemetry._thread is not None, timeout=30)
    finally:
        close_app(app)
    assert telemetry.closed and not telemetry._thread.is_alive()
