"""Fake engines registered through the real pool: lifecycle tests without OpenVINO pipelines."""

import threading
import time
from collections.abc import Callable
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
    """Builds a dict 'pipeline' after `build_delay` seconds; `fail_with` makes the build fail.

    `build_gate`, when set, makes a build signal `build_started` and then wait for the gate:
    tests use it to act while a load is in progress.
    """

    task = "llm"
    builds = 0
    build_delay = 0.0
    fail_with: str | None = None
    build_gate: threading.Event | None = None
    build_started = threading.Event()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.holding = threading.Event()  # set by work(hold=...) once it has the pipeline

    def _check_files(self) -> None:  # no folders on disk in unit tests
        pass

    def _build(self, device: str) -> Any:
        FakeEngine.builds += 1  # counted on the base class, for every subclass
        if self.build_gate is not None:
            FakeEngine.build_started.set()
            assert self.build_gate.wait(10), "the test never opened the build gate"
        time.sleep(self.build_delay)
        if self.fail_with:
            raise RuntimeError(self.fail_with)
        return {"device": device}

    def work(self, seconds: float = 0.0, fail: bool = False, hold: threading.Event | None = None) -> str:
        """One request; `hold`: signal `holding` once the pipeline is ours, then wait for `hold`."""
        with self.serving() as session:
            if hold is not None:
                self.holding.set()
                assert hold.wait(10), "the test never released the request"
            time.sleep(seconds)
            if fail:
                raise ValueError("bad request")
            return session.pipeline["device"]

    def pieces(self, label: str, count: int, turns: "Turns") -> list[str]:
        """A request done in `count` pieces that take turns with waiting requests between pieces."""
        with self.serving() as session:
            done = []
            for index in range(count):
                if index:
                    session.yield_turn()
                done.append(turns.piece(f"{label}{index + 1}", session.pipeline["device"]))
            return done


class GatedEngine(FakeEngine):
    """Runs `after_ready` (set it on the instance) once a request has seen the model ready and
    before it asks for its turn: the window in which an unload or an eviction made requests fail."""

    after_ready: Callable[[], None] | None = None

    def ensure_ready(self) -> None:
        super().ensure_ready()
        if self.after_ready is not None:
            self.after_ready()


class Turns:
    """Records the order in which pieces of work run; `hold(key)` makes that piece wait for the
    test (`started(key)` tells when it runs, `release(key)` lets it finish)."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self._started: dict[str, threading.Event] = {}
        self._release: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def hold(self, key: str) -> None:
        self._event(self._release, key)

    def started(self, key: str) -> threading.Event:
        return self._event(self._started, key)

    def release(self, key: str) -> None:
        self._event(self._release, key).set()

    def piece(self, key: str, device: str) -> str:
        with self._lock:
            self.order.append(key)
            gate = self._release.get(key)
        self.started(key).set()
        if gate is not None:
            assert gate.wait(10), f"the test never released piece {key}"
        return f"{key}@{device}"

    def _event(self, table: dict[str, threading.Event], key: str) -> threading.Event:
        with self._lock:
            return table.setdefault(key, threading.Event())


def reset_fakes() -> None:
    FakeEngine.builds, FakeEngine.build_delay, FakeEngine.fail_with = 0, 0.0, None
    FakeEngine.build_gate, FakeEngine.build_started = None, threading.Event()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `condition` (a state another thread reaches) until it holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the expected state was never reached"
        time.sleep(0.005)


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


def start(fn, *args, places=None) -> tuple[threading.Thread, dict]:
    """Run fn(*args) in a thread (reporting its place in a queue to `places`, if given); its
    result (or exception) lands in the returned dict."""
    from openvino_ui.engines.admission import report_place

    out: dict = {}

    def target() -> None:
        try:
            if places is None:
                out["result"] = fn(*args)
            else:
                with report_place(places):
                    out["result"] = fn(*args)
        except Exception as exc:  # collected for the assertions
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, out


def finish(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive(), "a request never finished"
