"""Shared test harness: tiny fixture models (built locally, cached), a config that serves them, the
engine pool, and the app launched in-process on a free port with a gradio_client on it."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The models the test app serves: name -> (fixture that provides the folder, models.yaml entry).
# Each task adds its entries here; fixtures are built once and cached (openvino_ui.fixtures).
TEST_MODELS: dict[str, tuple[str | None, dict[str, Any]]] = {
    "tiny-chat": (
        "tiny-llm",
        {
            "task": "llm",
            "description": "tiny trained test model",
            "generation": {"max_new_tokens": 64, "temperature": 0.0},
            # high enough that the endless prompt streams for a minute: Stop tests need time
            "limits": {"max_new_tokens": 100000},
        },
    ),
    "missing-chat": (None, {"task": "llm", "path": "does-not-exist"}),
    # random Whisper / SpeechT5: outputs are gibberish or noise, tests check types and shapes
    "tiny-asr": ("tiny-whisper", {"task": "asr", "max_new_tokens": 12, "max_audio_s": 90}),
    "tiny-asr-en": ("tiny-whisper-en", {"task": "asr", "max_new_tokens": 12, "max_audio_s": 90}),
    "tiny-tts": ("tiny-speecht5", {"task": "tts", "max_chars": 400}),
    # trained: names the colour of a solid red/green/blue image (asserted); small limits for the error tests
    "tiny-vision": (
        "tiny-vlm",
        {
            "task": "vlm",
            "description": "Demo only: names the colour of a solid red, green or blue image.",
            "generation": {"max_new_tokens": 16, "temperature": 0.0},
            "max_image_side": 448,
        },
    ),
    # random BERT (unit-norm vectors, meaningless similarities) and a trained cross-encoder
    "tiny-embed": ("tiny-embedding", {"task": "embedding", "max_texts": 8}),
    "tiny-rerank": ("tiny-reranker", {"task": "rerank", "max_documents": 8, "top_n": 3}),
    "tiny-bi-rerank": (
        None,
        {"task": "rerank", "method": "bi_encoder", "embedding_model": "tiny-embed", "max_documents": 8},
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_test_config(
    folder: Path, models: dict[str, tuple[str | None, dict[str, Any]]] | None = None
) -> Path:
    """Write a models.yaml serving `models` (default TEST_MODELS), building fixtures as needed."""
    from openvino_ui.fixtures import fixture_path

    entries = {}
    for name, (fixture, entry) in (models or TEST_MODELS).items():
        entry = dict(entry)
        if fixture is not None:
            entry["path"] = str(fixture_path(fixture))
        entries[name] = entry
    path = folder / "models.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"cache_dir": None}, "models": entries}, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def test_config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_config(tmp_path_factory.mktemp("config"))


def launch_app(config_path: Path, *serve_args: str) -> SimpleNamespace:
    """Launch the whole app in-process on 127.0.0.1 and a free port, exactly as `openvino-ui serve`
    builds it (cli.build_server, with `serve_args` added), in a background thread: .url, .pool,
    .demo, .server. Close it with close_app()."""
    from openvino_ui.cli import build_parser, build_server

    argv = ["serve", "--config", str(config_path), "--host", "127.0.0.1", "--port", str(free_port())]
    # Files are kept (--file-ttl 0): Gradio's delete_cache empties an app's cached files when it
    # stops, and apps in one process share that cache, so closing one test's app would delete the
    # example files of the session app. tests/api/test_file_cleanup.py checks deletion in a process
    # of its own.
    argv += ["--no-prepare", "--file-ttl", "0"]
    server = build_server(build_parser().parse_args([*argv, *serve_args]))
    try:
        server.start()
    except BaseException:
        server.pool.close()
        raise
    return SimpleNamespace(url=server.url, pool=server.pool, demo=server.demo, server=server)


def close_app(app: SimpleNamespace) -> None:
    app.server.close()
    app.pool.close()


@pytest.fixture(scope="session")
def served_app(test_config_path: Path) -> Any:
    """The whole app, launched in-process on a free port: .url, .pool, .demo."""
    app = launch_app(test_config_path)
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def app_url(served_app: Any) -> str:
    return served_app.url


@pytest.fixture(scope="session")
def client(app_url: str) -> Any:
    from gradio_client import Client

    return Client(app_url, verbose=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI no test may be skipped: a skip there means a missing dependency, so fail the run."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) were skipped; every test must run in CI.", red=True)
        session.exitstatus = 1
