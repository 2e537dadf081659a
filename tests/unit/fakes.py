"""Fake engines registered through the real pool: lifecycle tests without OpenVINO pipelines."""

import threading
import time
from pathlib import Path
from typing import Any

from openvino_ui.config import parse_config
from openvino_ui.engines.base import Engine
from openvino_ui.pool import EnginePool


class FakeCore:
    def __init__(self, devices=("CPU",)):
        self.available_devices = list(devices)

    def get_property(self, device: str, name: str) -> str:
        return f"Fake {device}"


class FakeEngine(Engine):
    """Builds a dict 'pipeline' after `build_delay` seconds; `fail_with` makes the build fail."""

    task = "llm"
    builds = 0
    build_delay = 0.0
    fail_with: str | None = None

    def _check_files(self) -> None:  # no folders on disk in unit tests
        pass

    def _build(self, device: str) -> Any:
        type(self).builds += 1
        time.sleep(self.build_delay)
        if self.fail_with:
            raise RuntimeError(self.fail_with)
        return {"device": device}

    def work(self, seconds: float = 0.0, fail: bool = False) -> str:
        with self.serving() as pipe:
            time.sleep(seconds)
            if fail:
                raise ValueError("bad request")
            return pipe["device"]


def fake_pool(yaml_text: str | None = None, devices=("CPU",), engine_cls=FakeEngine) -> EnginePool:
    text = (
        yaml_text
        or "models:\n  a: {task: llm, path: x}\n  b: {task: llm, path: y}\n  e: {task: embedding, path: z}\n"
    )
    config = parse_config(text, Path("/tmp/models.yaml"))

    def factory(name, spec, pool):
        return engine_cls(
            name, spec, properties=pool.properties_for(spec), lookup=pool.get, queue_timeout_s=2.0
        )

    return EnginePool(config, core=FakeCore(devices), engine_factory=factory)


def run_threads(fn, n: int) -> list[Any]:
    results: list[Any] = [None] * n

    def target(i: int) -> None:
        try:
            results[i] = fn()
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
