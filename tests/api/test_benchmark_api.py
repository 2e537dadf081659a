"""The device benchmark through gradio_client (`benchmark_model`, `benchmark_results`) and REST
(POST and GET /v1/benchmarks), on an app of its own with keys: running one is an admin action,
bad input is refused before anything runs and keeps nothing, and one runs at a time."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from openvino_ui.device_bench import DB_ENV
from openvino_ui.service.benchmark import benchmark_lock

from ..conftest import TEST_MODELS, close_app, launch_app, write_test_config

USER_KEY = "user-key-5d1c0a"
ADMIN_KEY = "admin-key-93be47"
MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-chat")}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("bench-api")
    with pytest.MonkeyPatch.context() as patch:  # every Service of this app keeps results here
        patch.setenv(DB_ENV, str(folder / "benchmarks.sqlite"))
        served = launch_app(
            write_test_config(folder, MODELS), "--api-key", USER_KEY, "--admin-key", ADMIN_KEY
        )
        yield served
        close_app(served)


def kept(rest: httpx.Client, model: str = "") -> list[dict[str, Any]]:
    response = rest.get("benchmarks", params={"model": model} if model else None, headers=bearer(USER_KEY))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    return body["data"]


def test_the_gradio_endpoint_measures_and_keeps_the_result(api: Client, rest: httpx.Client) -> None:
    run = api.predict("tiny-embed", ["CPU"], ADMIN_KEY, api_name="/benchmark_model")
    (cpu,) = run["results"]
    assert (run["model"], run["task"], cpu["device"], run["failures"]) == (
        "tiny-embed",
        "embedding",
        "CPU",
        [],
    )
    assert [f["name"] for f in cpu["figures"]] == ["texts_per_s_batch1", "texts_per_s_batch32"]
    assert all(f["median"] > 0 and len(f["samples"]) == 3 for f in cpu["figures"])
    assert set(cpu["versions"]) == {"openvino", "openvino_genai", "openvino_ui"}
    listed = api.predict("tiny-embed", api_name="/benchmark_results")
    assert listed[0] == cpu and kept(rest, "tiny-embed")[0] == cpu


def test_the_gradio_endpoint_refuses_without_the_admin_key_and_bad_input(
    api: Client, rest: httpx.Client
) -> None:
    before = len(kept(rest))
    with pytest.raises(AppError, match="needs an admin key"):
        api.predict("tiny-embed", ["CPU"], "", api_name="/benchmark_model")
    with pytest.raises(AppError, match="'GPU.7', which OpenVINO does not see"):
        api.predict("tiny-embed", ["GPU.7"], ADMIN_KEY, api_name="/benchmark_model")
    with pytest.raises(AppError, match="'no-such-model' is not configured"):
        api.predict("no-such-model", ["CPU"], ADMIN_KEY, api_name="/benchmark_model")
    assert len(kept(rest)) == before


def test_rest_runs_a_benchmark_with_an_admin_key_and_lists_it_first(rest: httpx.Client) -> None:
    body = {"model": "tiny-chat", "devices": ["CPU"]}
    refused = rest.post("benchmarks", json=body, headers=bearer(USER_KEY))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_key_required"
    response = rest.post("benchmarks", json=body, headers=bearer(ADMIN_KEY))
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["object"], run["model"], run["task"]) == ("benchmark.run", "tiny-chat", "llm")
    (cpu,) = run["results"]
    assert {f["name"]: f["median"] > 0 for f in cpu["figures"]} == {"ttft_ms": True, "decode_tok_s": True}
    assert cpu["setup"]["new_tokens"] == 128
    assert kept(rest)[0] == cpu and all(r["model"] == "tiny-chat" for r in kept(rest, "tiny-chat"))


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"model": "tiny-embed", "devices": ["GPU.7"]}, 400, "device_not_available", "devices"),
        ({"model": "tiny-embed", "devices": "AUTO:-CPU"}, 400, "no_device_left", "devices"),
        ({"model": "tiny-embed", "devices": []}, 400, "invalid_value", "devices"),
        ({"model": "no-such-model", "devices": ["CPU"]}, 404, "model_not_found", "model"),
        ({"model": "tiny-embed"}, 400, "invalid_value", "devices"),
        ({"model": "tiny-embed", "devices": ["CPU"], "rounds": 9}, 400, "unknown_parameter", "rounds"),
    ],
)
def test_rest_refuses_bad_input_and_keeps_nothing(rest: httpx.Client, body, status, code, param) -> None:
    before = len(kept(rest))
    response = rest.post("benchmarks", json=body, headers=bearer(ADMIN_KEY))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)
    assert len(kept(rest)) == before


def test_a_second_benchmark_is_refused_while_one_runs(app: SimpleNamespace, rest: httpx.Client) -> None:
    lock = benchmark_lock(app.pool)  # what a running benchmark holds
    assert lock.acquire(timeout=60)
    try:
        response = rest.post(
            "benchmarks", json={"model": "tiny-embed", "devices": ["CPU"]}, headers=bearer(ADMIN_KEY)
        )
    finally:
        lock.release()
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "benchmark_running" and "A benchmark is running" in error["message"]


def test_rest_listing_takes_only_model_and_limit(rest: httpx.Client) -> None:
    assert len(rest.get("benchmarks", params={"limit": "1"}, headers=bearer(USER_KEY)).json()["data"]) == 1
    wrong = rest.get("benchmarks", params={"limit": "many"}, headers=bearer(USER_KEY))
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "limit"
    assert rest.get("benchmarks").status_code == 401  # like every /v1 route under --api-key
