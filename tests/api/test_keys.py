"""Keys and roles (openvino_ui.access): API keys on every /v1 route, admin keys for loading and
unloading models over REST and the Gradio API, --read-only, and keys kept out of reprs and logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import openai
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from openvino_ui.access import AccessPolicy, KeyRequired, NotAllowed, ReadOnly
from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

USER_KEY = "user-key-7f3a9c"
ADMIN_KEY = "admin-key-b81d2e"
MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-rerank")}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def keyed_app(tmp_path_factory) -> Iterator:
    config = write_test_config(tmp_path_factory.mktemp("keys"), MODELS)
    app = launch_app(config, "--api-key", USER_KEY, "--admin-key", ADMIN_KEY)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def read_only_app(tmp_path_factory) -> Iterator:
    config = write_test_config(tmp_path_factory.mktemp("read-only"), MODELS)
    app = launch_app(config, "--read-only", "--admin-key", ADMIN_KEY)
    yield app
    close_app(app)


def assert_refused(response: httpx.Response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == code
    assert error["type"] == "invalid_request_error"  # as OpenAI's 401 (code invalid_api_key)
    for word in words:
        assert word in error["message"]
    for key in (USER_KEY, ADMIN_KEY, "wrong-key-123"):
        assert key not in response.text
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


# -- API keys on /v1 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "embeddings"),
        ("POST", "rerank"),
        ("POST", "audio/transcriptions"),
        ("POST", "audio/speech"),
        ("POST", "chat/completions"),
        ("GET", "models"),
        ("GET", "no-such-route"),
        ("POST", "models/tiny-embed/load"),
    ],
)
def test_every_v1_route_needs_a_key(keyed_app, method, path):
    url = keyed_app.url + "v1/" + path
    assert_refused(httpx.request(method, url, json={}), 401, "invalid_api_key", "needs an API key")
    wrong = httpx.request(method, url, json={}, headers=bearer("wrong-key-123"))
    assert_refused(wrong, 401, "invalid_api_key", "not valid")
    basic = httpx.request(method, url, json={}, headers={"Authorization": f"Basic {USER_KEY}"})
    assert_refused(basic, 401, "invalid_api_key")


def test_probes_and_metrics_stay_open(keyed_app):
    for path in ("health", "ready", "metrics"):
        assert httpx.get(keyed_app.url + path).status_code == 200


def test_user_and_admin_keys_both_use_the_api(keyed_app):
    for key in (USER_KEY, ADMIN_KEY):
        with openai.OpenAI(base_url=keyed_app.url + "v1", api_key=key, max_retries=0) as sdk:
            result = sdk.embeddings.create(model="tiny-embed", input="a cat")
            assert len(result.data[0].embedding) == 32
    with openai.OpenAI(base_url=keyed_app.url + "v1", api_key="wrong-key-123", max_retries=0) as sdk:
        with pytest.raises(openai.AuthenticationError) as info:
            sdk.embeddings.create(model="tiny-embed", input="a cat")
    assert info.value.status_code == 401


def test_a_refused_request_is_not_read(keyed_app):
    """The key is checked before the body: a huge body without a key is refused at once."""
    body = b"x" * (80 * 1024 * 1024)  # over the 64 MiB default limit too: the key comes first
    response = httpx.post(keyed_app.url + "v1/embeddings", content=body, timeout=60)
    assert response.status_code == 401


# -- admin keys -----------------------------------------------------------------------------------


def test_a_user_key_may_not_load_or_unload(keyed_app):
    for action in ("load", "unload"):
        response = httpx.post(keyed_app.url + f"v1/models/tiny-embed/{action}", headers=bearer(USER_KEY))
        assert_refused(response, 403, "admin_key_required", "admin key", "API key")


def test_the_admin_key_loads_and_unloads(keyed_app):
    url = keyed_app.url + "v1/models/tiny-rerank/"
    loaded = httpx.post(url + "load", json={"device": "CPU"}, headers=bearer(ADMIN_KEY), timeout=120)
    assert loaded.status_code == 200, loaded.text
    body = loaded.json()
    assert body["id"] == "tiny-rerank" and body["object"] == "model" and body["status"] == "ready"
    assert body["device"] == "CPU" and body["task"] == "rerank"
    unloaded = httpx.post(url + "unload", headers=bearer(ADMIN_KEY), timeout=120)
    assert unloaded.status_code == 200 and unloaded.json()["status"] == "unloaded"
    again = httpx.post(url + "load", headers=bearer(ADMIN_KEY), timeout=120)  # no body: configured device
    assert again.status_code == 200 and again.json()["status"] == "ready"


@pytest.mark.parametrize(
    ("path", "body", "status", "param"),
    [
        ("models/tiny-embed/load", {"gpu": True}, 400, "gpu"),
        ("models/tiny-embed/load", {"device": 3}, 400, "device"),
        ("models/tiny-embed/load", {"device": "TPU"}, 400, "device"),
        ("models/tiny-embed/unload", {"device": "CPU"}, 400, "device"),
        ("models/no-such/load", {}, 404, "model"),
    ],
)
def test_admin_routes_bad_input(keyed_app, path, body, status, param):
    response = httpx.post(keyed_app.url + "v1/" + path, json=body, headers=bearer(ADMIN_KEY), timeout=60)
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param


def test_gradio_load_model_needs_the_admin_key(keyed_app):
    client = Client(keyed_app.url, verbose=False)
    with pytest.raises(AppError, match="needs an admin key; none was sent"):
        client.predict("tiny-embed", api_name="/load_model")
    with pytest.raises(AppError, match="the key you sent is an API key"):
        client.predict("tiny-embed", "", USER_KEY, api_name="/load_model")
    with pytest.raises(AppError, match="not valid"):
        client.predict("tiny-embed", admin_key="wrong-key-123", api_name="/load_model")
    info = client.predict("tiny-embed", "", ADMIN_KEY, api_name="/load_model")
    assert info["status"] == "ready"
    with pytest.raises(AppError, match="admin key"):
        client.predict("tiny-embed", api_name="/unload_model")
    assert client.predict("tiny-embed", admin_key=ADMIN_KEY, api_name="/unload_model")["status"] == "unloaded"
    # reading stays open
    assert [m["name"] for m in client.predict(api_name="/models")] == list(MODELS)


# -- read-only ------------------------------------------------------------------------------------


def test_read_only_refuses_management_everywhere(read_only_app):
    for action in ("load", "unload"):
        for headers in ({}, bearer(ADMIN_KEY)):
            response = httpx.post(read_only_app.url + f"v1/models/tiny-embed/{action}", headers=headers)
            assert_refused(response, 403, "read_only", "read-only")
    client = Client(read_only_app.url, verbose=False)
    with pytest.raises(AppError, match="read-only"):
        client.predict("tiny-embed", "", ADMIN_KEY, api_name="/load_model")
    with pytest.raises(AppError, match="read-only"):
        client.predict("tiny-embed", ADMIN_KEY, api_name="/unload_model")
    # serving goes on: no API key is needed here (none was set) and models load on demand
    response = httpx.post(read_only_app.url + "v1/embeddings", json={"input": "a cat"}, timeout=60)
    assert response.status_code == 200


# -- the policy, the command line, reprs and logs ----------------------------------------------------


def test_policy_roles_and_checks():
    policy = AccessPolicy.of([USER_KEY], [ADMIN_KEY])
    assert policy.role(USER_KEY) == "user" and policy.role(ADMIN_KEY) == "admin"
    assert policy.role(None) == policy.role("") == policy.role(USER_KEY + "x") == "anonymous"
    assert policy.check_api(ADMIN_KEY) == "admin"
    with pytest.raises(KeyRequired):
        policy.check_api(None)
    with pytest.raises(NotAllowed) as info:
        policy.check_management(USER_KEY)
    assert info.value.status == 403
    with pytest.raises(KeyRequired):
        policy.check_management(None)
    # admin keys only: the API is open, management is not
    admin_only = AccessPolicy.of(admin_keys=[ADMIN_KEY])
    assert admin_only.check_api(None) == "anonymous" and not admin_only.api_key_required
    with pytest.raises(KeyRequired):
        admin_only.check_management(None)
    # no keys: everyone may do everything; read-only: nobody may manage
    assert AccessPolicy().check_management(None) == "anonymous"
    with pytest.raises(ReadOnly):
        AccessPolicy.of(admin_keys=[ADMIN_KEY], read_only=True).check_management(ADMIN_KEY)


def test_keys_come_from_options_or_the_environment(monkeypatch):
    from openvino_ui.cli import build_parser, serve_options

    monkeypatch.setenv("OPENVINO_UI_API_KEYS", f"{USER_KEY}, other-key-2 ,")
    monkeypatch.setenv("OPENVINO_UI_ADMIN_KEYS", ADMIN_KEY)
    options = serve_options(build_parser().parse_args(["serve"]))
    assert options.api_keys == (USER_KEY, "other-key-2") and options.admin_keys == (ADMIN_KEY,)
    given = serve_options(build_parser().parse_args(["serve", "--api-key", "cli-key-1", "--api-key", "k2"]))
    assert given.api_keys == ("cli-key-1", "k2")  # the options replace the environment's keys
    assert given.max_body_bytes == 64 * 1024 * 1024 and not given.read_only
    for text in (repr(options), repr(options.access()), str(options)):
        assert USER_KEY not in text and ADMIN_KEY not in text
    with pytest.raises(SystemExit) as info:
        serve_options(build_parser().parse_args(["serve", "--api-key", "two words"]))
    assert "two words" not in str(info.value)


def test_keys_never_reach_the_log(tmp_path, caplog):
    config = write_test_config(tmp_path, {"tiny-embed": TEST_MODELS["tiny-embed"]})
    with caplog.at_level(logging.DEBUG):
        app = launch_app(config, "--api-key", USER_KEY, "--admin-key", ADMIN_KEY)
        try:
            httpx.post(app.url + "v1/embeddings", json={"input": "x"}, headers=bearer("wrong-key-123"))
            httpx.post(app.url + "v1/models/tiny-embed/load", headers=bearer(USER_KEY))
            httpx.post(app.url + "v1/embeddings", json={"input": "x"}, headers=bearer(USER_KEY), timeout=60)
        finally:
            close_app(app)
    text = caplog.text
    assert "1 API key(s) required" in text and "1 admin key(s)" in text
    for key in (USER_KEY, ADMIN_KEY, "wrong-key-123"):
        assert key not in text
