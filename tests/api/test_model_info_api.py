"""model_info through gradio_client (/model_info) and REST (GET /v1/models/{id}/info) on the
in-process app: the same details both ways, GET /v1/models/{id} still answered by its own route,
an unknown model a clear 404, and the REST route open to API keys (it only reads)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from gradio_client.exceptions import AppError

from openvino_ui.access import AccessPolicy
from openvino_ui.rest.app import create_app
from openvino_ui.rest.settings import RestSettings
from openvino_ui.ui.mount import mcp_tools


@pytest.fixture(scope="module")
def embed_details(client: Any) -> dict[str, Any]:
    """tiny-embed's details through gradio_client, once it is loaded (so it has compiled properties)."""
    client.predict("tiny-embed", "", api_name="/load_model")
    return client.predict("tiny-embed", api_name="/model_info")


def test_gradio_endpoint_shows_the_irs_and_compiled_properties(embed_details: dict[str, Any]) -> None:
    details = embed_details
    assert (details["name"], details["task"], details["status"]) == ("tiny-embed", "embedding", "ready")
    irs = {ir["file"]: ir for ir in details["irs"]}
    assert {"openvino_model.xml", "openvino_tokenizer.xml", "openvino_detokenizer.xml"} <= set(irs)
    inputs = {port["name"]: port for port in irs["openvino_model.xml"]["inputs"]}
    assert inputs["input_ids"]["shape"] == "[?,?]" and inputs["input_ids"]["dims"] == [-1, -1]
    assert details["weight_format"] == "fp32" and details["disk_bytes"] > 0
    assert details["versions"] == [] and details["version"] is None
    compiled = details["compiled"]
    assert compiled["reason"] is None and compiled["ir"] == "openvino_model.xml"
    assert isinstance(compiled["values"]["NUM_STREAMS"], int)


def test_gradio_unknown_model_is_a_clear_error(client: Any) -> None:
    with pytest.raises(AppError, match="'no-such-model' is not configured"):
        client.predict("no-such-model", api_name="/model_info")


def test_it_is_not_an_mcp_tool(served_app: Any) -> None:
    assert "model_info" not in mcp_tools(served_app.demo)


def test_rest_route_gives_the_same_details(http: httpx.Client, embed_details: dict[str, Any]) -> None:
    response = http.get("models/tiny-embed/info")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == set(embed_details)
    assert body["irs"] == embed_details["irs"] and body["compiled"] == embed_details["compiled"]


def test_the_model_card_route_still_answers_beside_info(http: httpx.Client) -> None:
    card = http.get("models/tiny-embed")
    assert card.status_code == 200 and card.json()["id"] == "tiny-embed" and "irs" not in card.json()
    info = http.get("models/tiny-embed/info")
    assert info.status_code == 200 and info.json()["name"] == "tiny-embed"


@pytest.mark.parametrize("model_id", ["no-such-model", "org/no-such-model"])
def test_rest_unknown_model_is_a_404_in_the_error_shape(http: httpx.Client, model_id: str) -> None:
    for path in (f"models/{model_id}/info", f"models/{model_id}"):
        response = http.get(path)
        assert response.status_code == 404, path
        error = response.json()["error"]
        assert (error["code"], error["param"]) == ("model_not_found", "model")
        assert f"'{model_id}'" in error["message"] and "tiny-embed" in error["message"]


def test_rest_bi_encoder_points_at_its_embedding_model(http: httpx.Client) -> None:
    body = http.get("models/tiny-bi-rerank/info").json()
    assert body["irs"] == [] and "'tiny-embed'" in body["note"]


def test_rest_route_needs_an_api_key_not_an_admin_key(served_app: Any) -> None:
    policy = AccessPolicy.of(api_keys=["user-key-3c1d"], admin_keys=["admin-key-9e2f"])
    settings = RestSettings(access=policy)
    app = create_app(served_app.pool, served_app.server.metrics, starting=lambda: False, settings=settings)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app/v1/", timeout=60) as client:
            codes = []
            for key in (None, "user-key-3c1d", "admin-key-9e2f"):
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                codes.append((await client.get("models/tiny-embed/info", headers=headers)).status_code)
            return codes

    assert asyncio.run(run()) == [401, 200, 200]
