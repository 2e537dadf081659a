"""GET /v1/models and /v1/models/{id} through the official openai SDK (and raw httpx for the
error body): every configured model, with its task, device and status."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import TEST_MODELS


def test_lists_every_configured_model_in_order(sdk):
    models = sdk.models.list().data
    assert [m.id for m in models] == list(TEST_MODELS)
    for model in models:
        assert model.object == "model" and model.owned_by == "openvino-ui"
        assert isinstance(model.created, int) and model.created > 0
        extra = model.model_extra or {}
        assert extra["task"] == TEST_MODELS[model.id][1]["task"]
        assert extra["device"] == "CPU"
        assert extra["status"] in ("unloaded", "loading", "ready", "failed")


def test_retrieves_one_model(sdk):
    model = sdk.models.retrieve("tiny-vision")
    assert model.id == "tiny-vision" and model.object == "model"
    assert (model.model_extra or {})["task"] == "vlm"


def test_unknown_model_is_a_404_in_the_error_shape(sdk, app_url):
    with pytest.raises(openai.NotFoundError) as info:
        sdk.models.retrieve("no-such-model")
    assert info.value.status_code == 404
    response = httpx.get(app_url + "v1/models/no-such-model")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "no-such-model" in error["message"] and "tiny-chat" in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
