"""Uploaded and generated files are deleted after --file-ttl (issue 11, defect 7).

The server runs in a process of its own with its own GRADIO_TEMP_DIR: Gradio's cache is shared by
every app in a process, and deleting it is exactly what is tested here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from ..conftest import TEST_MODELS, free_port, write_test_config

TTL_S = 3


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def _wait_until(condition, what: str, limit_s: float = 60.0) -> None:
    """Poll `condition` (bounded in time and count); fail naming `what`."""
    deadline = time.monotonic() + limit_s
    for _ in range(int(limit_s * 4)):
        if condition():
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    pytest.fail(f"timed out waiting until {what}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    config = write_test_config(tmp_path, {n: TEST_MODELS[n] for n in ("tiny-asr", "tiny-tts")})
    cache = tmp_path / "gradio-cache"
    port = free_port()
    env = dict(os.environ, GRADIO_TEMP_DIR=str(cache), OPENVINO_UI_HUGEPAGES="0")
    command = [sys.executable, "-m", "openvino_ui", "serve", "--config", str(config), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-prepare", "--no-mcp", "--file-ttl", str(TTL_S)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            return httpx.get(url + "health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_until(healthy, "the server answers /health", limit_s=120)
        yield url, cache
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_uploads_and_outputs_are_deleted_after_the_ttl(server, tmp_path):
    from gradio_client import Client, handle_file

    url, cache = server
    before = _files(cache)  # the examples Gradio cached at start: kept while the app runs
    clip = tmp_path / "cleanup-clip.wav"
    sf.write(clip, 0.1 * np.sin(np.arange(16000) * 0.05).astype(np.float32), 16000)
    client = Client(url, verbose=False, download_files=str(tmp_path / "downloads"))
    client.predict(handle_file(str(clip)), "tiny-asr", api_name="/transcribe")
    client.predict("Hello there.", "tiny-tts", api_name="/speak")

    made = _files(cache) - before
    assert any(p.name == clip.name for p in made), "the upload was not in Gradio's cache"
    assert any(p.parent.name == "openvino-ui" and p.suffix == ".wav" for p in made), "no speech output"
    _wait_until(lambda: not (made & _files(cache)), f"the {len(made)} new files are deleted")
    assert before <= _files(cache), "the examples' cached files must stay while the app runs"
