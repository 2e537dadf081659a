"""SIGHUP re-reads models.yaml in a running `openvino-ui serve` process (issue 14), as OpenVINO Model
Server's config reload does: an added model is served, and a broken file changes nothing and logs
every problem."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from ..conftest import TEST_MODELS, free_port, write_test_config

ROOT = Path(__file__).parents[2]


def wait_for(condition, what: str, process: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    """Poll `condition` (a state the server reaches) up to `timeout` s; fail naming `what`."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout * 10)):
        assert process.poll() is None, log.read_text()
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{what} never happened:\n{log.read_text()}"
        time.sleep(0.1)
    raise AssertionError(f"{what} never happened")


def test_sighup_applies_models_yaml_and_a_broken_file_changes_nothing(tmp_path):
    config = write_test_config(tmp_path, {"tiny-embed": TEST_MODELS["tiny-embed"]})
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "openvino_ui",
        "serve",
        "--config",
        str(config),
        "--no-prepare",
        "--no-mcp",
    ]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "stderr.log"
    env = {**os.environ, "OPENVINO_UI_LOG": "INFO"}
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=tmp_path, stderr=stderr, env=env)
    url = f"http://127.0.0.1:{port}/"

    def models() -> list[str]:
        return [m["id"] for m in httpx.get(url + "v1/models", timeout=5).json()["data"]]

    try:
        wait_for(lambda: httpx.get(url + "health", timeout=2).status_code == 200, "start", process, log)
        assert models() == ["tiny-embed"]
        data = yaml.safe_load(config.read_text())
        data["models"]["tiny-embed-2"] = dict(data["models"]["tiny-embed"])
        config.write_text(yaml.safe_dump(data, sort_keys=False))
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: models() == ["tiny-embed", "tiny-embed-2"], "the reload", process, log)
        reply = httpx.post(url + "v1/embeddings", json={"model": "tiny-embed-2", "input": "hi"}, timeout=60)
        assert reply.status_code == 200, reply.text

        config.write_text(config.read_text() + "  broken: {task: paint}\n")
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: "not applied" in log.read_text(), "the refusal", process, log)
        assert "unknown task 'paint'" in log.read_text()
        assert models() == ["tiny-embed", "tiny-embed-2"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
