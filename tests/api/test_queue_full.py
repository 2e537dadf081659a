"""Bounded admission over REST (issue 13): beyond a model's `max_queue` a request is refused at
once with 429, Retry-After and the OpenAI error body, rather than waiting for the model."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config


@pytest.fixture(scope="module")
def unqueued_app(tmp_path_factory) -> Iterator:
    fixture, entry = TEST_MODELS["tiny-embed"]
    config = write_test_config(
        tmp_path_factory.mktemp("queue"), {"tiny-embed": (fixture, {**entry, "max_queue": 0})}
    )
    app = launch_app(config)
    yield app
    close_app(app)


def test_a_request_beyond_max_queue_gets_429_with_retry_after(unqueued_app):
    engine = unqueued_app.pool.get("tiny-embed")
    assert engine.max_queue == 0
    holding, release = threading.Event(), threading.Event()

    def hold_the_model() -> None:
        with engine.serving():
            holding.set()
            assert release.wait(30), "the test never released the model"

    holder = threading.Thread(target=hold_the_model)
    holder.start()
    url = unqueued_app.url + "v1/embeddings"
    body = {"model": "tiny-embed", "input": "hello"}
    try:
        assert holding.wait(60), "the model never loaded"
        refused = httpx.post(url, json=body, timeout=30)
    finally:
        release.set()
        holder.join(30)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    error = refused.json()["error"]
    assert error["code"] == "model_queue_full" and error["type"] == "invalid_request_error"
    assert error["param"] is None
    assert "'tiny-embed' is busy" in error["message"] and "retry" in error["message"]
    assert engine.stats().failures == 1  # counted as a failed request

    served = httpx.post(url, json=body, timeout=60)  # the model is free again
    assert served.status_code == 200 and served.json()["data"][0]["object"] == "embedding"
