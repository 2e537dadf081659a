"""Issue 11 through gradio_client, on an app of its own (it changes what is loaded where):
a move to a device string that leaves no device is refused and the model goes on serving, and
/stats counts every failed request but lists no device that never served one."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from openvino_ui.fixtures.retrieval import RERANK_DOCUMENTS

from ..conftest import TEST_MODELS, close_app, launch_app, write_test_config

MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-bi-rerank")}
MODELS["missing-embed"] = (None, {"task": "embedding", "path": "does-not-exist"})


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    served = launch_app(write_test_config(tmp_path_factory.mktemp("pool-config"), MODELS))
    yield served
    close_app(served)


@pytest.fixture(scope="module")
def api(app: SimpleNamespace) -> Client:
    return Client(app.url, verbose=False)


def model(api: Client, name: str) -> dict[str, Any]:
    return {m["name"]: m for m in api.predict(api_name="/models")}[name]


def serves(api: Client) -> None:
    """/embed and the bi-encoder /rerank (which embeds with tiny-embed) both answer."""
    assert len(api.predict(["a cat sat on the mat"], "tiny-embed", api_name="/embed")) == 1
    ranked = api.predict("a cat", RERANK_DOCUMENTS, "tiny-bi-rerank", 2, api_name="/rerank")
    assert len(ranked) == 2


def test_a_move_to_no_device_is_refused_and_the_model_keeps_serving(api: Client) -> None:
    serves(api)
    with pytest.raises(AppError, match="'AUTO:-CPU' leaves no device to run on"):
        api.predict("tiny-embed", "AUTO:-CPU", api_name="/load_model")
    entry = model(api, "tiny-embed")
    assert (entry["status"], entry["device"], entry["error"]) == ("ready", "CPU", None)
    serves(api)
    assert {row["device"] for row in api.predict("tiny-embed", api_name="/stats")} == {"CPU"}


def test_stats_count_every_failed_request_and_only_devices_that_served(api: Client) -> None:
    for _ in range(2):
        with pytest.raises(AppError, match="'missing-embed' failed to load on CPU"):
            api.predict(["text"], "missing-embed", api_name="/embed")
    rows = api.predict("missing-embed", api_name="/stats")
    assert [(r["device"], r["requests"], r["failures"]) for r in rows] == [("CPU", 2, 2)]
    assert rows[0]["avg_latency_ms"] is None  # they never reached a pipeline
    api.predict("tiny-embed", "CPU", api_name="/load_model")  # a load is not a request
    api.predict(api_name="/models")  # reading statistics creates no rows
    names = {row["name"] for row in api.predict(api_name="/stats")}
    assert "missing-embed" in names and all(row["requests"] > 0 for row in api.predict(api_name="/stats"))
