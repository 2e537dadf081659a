"""One server, one port: the UI, its Gradio API, the probes and /metrics, with every serve option.

The app is launched the way `openvino-ui serve` builds it (conftest.launch_app -> cli.build_server);
one test runs `python app.py` itself, configured through the environment as on Hugging Face Spaces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client

from openvino_ui.cli import build_parser, serve_options
from openvino_ui.rest.health import NotReady, not_ready
from openvino_ui.ui.mount import mcp_tools

from ..conftest import TEST_MODELS, close_app, free_port, launch_app, write_test_config
from ..unit.fakes import fake_pool

ROOT = Path(__file__).parents[2]


def test_health_ready_metrics_ui_and_gradio_api_share_one_port(app_url):
    assert httpx.get(app_url + "health").json() == {"status": "ok"}
    ready = httpx.get(app_url + "ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}  # no preload models
    assert httpx.get(app_url + "metrics").text.startswith("# HELP")
    page = httpx.get(app_url)
    assert page.status_code == 200 and "<html" in page.text
    info = httpx.get(app_url + "gradio_api/info").json()
    assert {"/chat", "/embed", "/models", "/load_model"} <= set(info["named_endpoints"])


def test_the_mounted_ui_refuses_files_that_were_not_uploaded(served_app):
    """A mounted Gradio app skips its check that component files were uploaded unless it is marked
    launched (ui.mount does that): a UI event must not read a file of the server's own disk."""
    demo = served_app.demo
    (index,) = [i for i, fn in demo.fns.items() if fn.api_name == "do_transcribe"]
    data = [
        {"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}, "orig_name": "speech.wav"}
        if isinstance(block, gr.Audio)
        else getattr(block, "value", None)
        for block in demo.fns[index].inputs
    ]
    outcome = _run_event(served_app.url, index, data)
    assert outcome["success"] is False
    assert "not uploaded to this server" in outcome["output"]["error"]


def _run_event(url: str, fn_index: int, data: list) -> dict:
    """Run one UI event through Gradio's queue over plain HTTP; its process_completed message."""
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
    assert httpx.post(url + "gradio_api/queue/join", json=body).status_code == 200
    with httpx.stream("GET", url + f"gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for line in stream.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return message
    raise AssertionError("the event never completed")


# -- every serve option on the mounted app -------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory):
    """The app with a login, a root path behind a proxy, a 1 KB upload limit, a title, 3 at a time."""
    models = {name: TEST_MODELS[name] for name in ("tiny-embed",)}
    config = write_test_config(tmp_path_factory.mktemp("guarded"), models)
    app = launch_app(
        config,
        *("--auth", "ada:secret pass", "--root-path", "/ovui", "--max-file-size", "1kb"),
        *("--title", "Guarded", "--concurrency", "3"),
    )
    yield app
    close_app(app)


def test_probes_and_metrics_need_no_login_but_the_ui_and_its_api_do(guarded_app):
    url = guarded_app.url
    for path in ("health", "ready", "metrics"):
        assert httpx.get(url + path).status_code == 200, path
    assert httpx.get(url + "gradio_api/info").status_code == 401
    result = Client(url, auth=("ada", "secret pass"), verbose=False).predict(
        ["hello"], "tiny-embed", api_name="/embed"
    )
    assert len(result) == 1 and len(result[0]) > 0


def test_root_path_title_css_and_upload_limit_apply_to_the_mounted_ui(guarded_app):
    with httpx.Client(base_url=guarded_app.url) as http:
        assert http.post("/login", data={"username": "ada", "password": "secret pass"}).status_code == 200
        config = http.get("/config").json()
        assert config["root"].endswith("/ovui")
        assert config["title"] == "Guarded"
        assert ".ov-download" in (config.get("css") or "")
        too_big = http.post("/gradio_api/upload", files={"files": ("big.wav", b"x" * 4096)})
        assert too_big.status_code == 413
        small = http.post("/gradio_api/upload", files={"files": ("small.wav", b"x" * 100)})
        assert small.status_code == 200
    assert guarded_app.demo._queue.default_concurrency_limit == 3


def test_mcp_is_off_under_auth(guarded_app):
    """Gradio's MCP server neither asks for the login nor passes one on: under --auth it is off."""
    assert mcp_tools(guarded_app.demo) == []
    with httpx.Client(base_url=guarded_app.url) as http:
        http.post("/login", data={"username": "ada", "password": "secret pass"})
        assert http.get("/gradio_api/mcp/schema").status_code != 200


def test_serve_options_from_the_command_line():
    args = build_parser().parse_args(["serve", "--auth", "ada:pa:ss", "--no-mcp", "--file-ttl", "60"])
    options = serve_options(args)
    assert options.auth == ("ada", "pa:ss") and options.mcp is False and options.file_ttl_s == 60
    assert serve_options(build_parser().parse_args(["serve"])).mcp is True
    assert serve_options(build_parser().parse_args(["serve"])).allow_remote_images is False
    remote = build_parser().parse_args(["serve", "--allow-remote-images"])
    assert serve_options(remote).allow_remote_images is True
    with pytest.raises(SystemExit, match="USER:PASSWORD"):
        serve_options(build_parser().parse_args(["serve", "--auth", "ada"]))


# -- readiness ---------------------------------------------------------------------------------------


def test_ready_is_503_naming_a_preload_model_that_failed(tmp_path):
    models = {
        "tiny-embed": ("tiny-embedding", {"task": "embedding", "preload": True}),
        "broken": (None, {"task": "embedding", "path": str(tmp_path / "nothing-here"), "preload": True}),
    }
    app = launch_app(write_test_config(tmp_path, models))
    try:
        assert httpx.get(app.url + "health").json() == {"status": "ok"}  # at once, while preloading
        deadline, body = time.monotonic() + 120, {}
        for _ in range(2400):  # the preload runs in the background once the server listens
            response = httpx.get(app.url + "ready")
            body = response.json()
            if [m["model"] for m in body.get("models", [])] == ["broken"]:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.05)
        assert response.status_code == 503 and body["status"] == "not ready"
        (problem,) = body["models"]
        assert problem["state"] == "failed" and "openvino-ui prepare" in problem["reason"]
        assert app.pool.get("tiny-embed").state.value == "ready"
    finally:
        close_app(app)


def test_not_ready_while_starting_then_only_failed_models_count():
    pool = fake_pool("models:\n  a: {task: llm, path: x, preload: true}\n  b: {task: llm, path: y}\n")
    assert not_ready(pool, starting=True) == [NotReady("a", "unloaded", "waiting to be loaded at startup")]
    assert not_ready(pool, starting=False) == []  # unloaded since: loaded again on its next request
    pool.load("a")
    assert not_ready(pool, starting=True) == []
    pool.get("a").fail_with = "no such device"
    pool.unload("a")
    with pytest.raises(Exception, match="no such device"):
        pool.load("a")
    assert not_ready(pool, starting=False) == [NotReady("a", "failed", "no such device")]


# -- the real command --------------------------------------------------------------------------------


def test_app_py_serves_everything_on_the_port_from_the_environment_and_stops_on_sigterm(tmp_path):
    config = write_test_config(tmp_path, {"tiny-embed": TEST_MODELS["tiny-embed"]})
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    command = [sys.executable, str(ROOT / "app.py"), "--config", str(config), "--no-prepare", "--no-mcp"]
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=stderr)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        for _ in range(1200):
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(url + "health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        assert httpx.get(url + "ready").status_code == 200
        assert "openvino_ui_model_state" in httpx.get(url + "metrics").text
        assert "<html" in httpx.get(url).text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_a_closed_app_no_longer_listens(tmp_path):
    app = launch_app(write_test_config(tmp_path, {"tiny-embed": TEST_MODELS["tiny-embed"]}))
    assert httpx.get(app.url + "health").status_code == 200
    close_app(app)
    with pytest.raises(httpx.TransportError):
        httpx.get(app.url + "health", timeout=5)


def test_share_opens_a_tunnel_to_the_server_and_serves_the_share_page(tmp_path, monkeypatch):
    """--share asks Gradio's tunnel for a public link to this port (the tunnel itself needs the
    internet, so it is replaced here); the UI is then served as a shared page."""
    from gradio import networking

    asked: list[tuple[str, int]] = []

    def fake_tunnel(local_host: str, local_port: int, **kwargs: object) -> str:
        asked.append((local_host, local_port))
        return "https://abc123.gradio.live"

    monkeypatch.setattr(networking, "setup_tunnel", fake_tunnel)
    app = launch_app(write_test_config(tmp_path, {"tiny-embed": TEST_MODELS["tiny-embed"]}), "--share")
    try:
        deadline = time.monotonic() + 30
        for _ in range(600):
            if app.demo.share_url:
                break
            assert time.monotonic() < deadline, "no share link was asked for"
            time.sleep(0.05)
        assert app.demo.share_url == "https://abc123.gradio.live"
        assert asked == [("127.0.0.1", int(app.url.rsplit(":", 1)[1].strip("/")))]
        assert httpx.get(app.url).status_code == 200
    finally:
        close_app(app)
