"""The device benchmark: measure a model's own figures on each device asked for, and keep them.

The measuring is done on an engine of the model outside the pool (EnginePool.detached_engine): the
served model goes on serving wherever it runs, no statistics or memory budget are touched, and the
benchmark's engine is unloaded when it is done. Its inputs are built with the service's request
types from the example files in assets/ (service/benchmark_tasks.py). One benchmark runs at a time
per server (the UI's service and the REST routes' share the pool, hence a lock per pool).
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..device_bench import (
    MAX_LISTED,
    BenchmarkRun,
    BenchmarkStore,
    DeviceFailure,
    DeviceResult,
    Step,
    Versions,
    default_path,
    exclusive,
    new_run_id,
    planned_steps,
)
from ..devices import check_device_available, device_syntax_error
from ..errors import InvalidInput, UserError, describe
from ..pool import EnginePool
from .benchmark_tasks import measure
from .core import ServiceBase
from .validation import MAX_NAME_CHARS, device_name, integer, string

# Told how far the run is (0 to 1) and what it does now ("CPU: repetition 2 of 3").
Progress = Callable[[float, str], None]

MAX_DEVICES = 8  # one run measures at most this many devices

_LOCKS: weakref.WeakKeyDictionary[EnginePool, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def benchmark_lock(pool: EnginePool) -> threading.Lock:
    """The benchmark lock of `pool`: every Service around it (the UI's, the REST routes') shares it."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(pool, threading.Lock())


class BenchmarkService(ServiceBase):
    # Where results are kept; None: device_bench.default_path ($OPENVINO_UI_BENCHMARKS_DB, else
    # beside the model cache of models.yaml). Tests and embedding applications may set it.
    benchmark_db: Path | None = None

    def benchmark_store(self) -> BenchmarkStore:
        return BenchmarkStore(self.benchmark_db or default_path(self.pool.config.defaults.cache_dir))

    def benchmark_model(
        self, name: str, devices: list[str], progress: Progress | None = None
    ) -> BenchmarkRun:
        """Benchmark model `name` on each of `devices` and keep the results.

        Per task: llm and vlm, TTFT of a 512-token prompt and decode tok/s over 128 tokens (greedy,
        end-of-text ignored); asr and tts, the real-time factor (processing / audio seconds) on a
        clip or sentence of assets/; embedding and rerank, texts per second at batch 1 and 32.
        Each figure: a warm-up, then 3 repetitions; the median is the result.

        The measuring engine is the model's own files loaded a second time, outside the pool: the
        served model is not moved or disturbed (a bi-encoder reranker measures the pool's embedding
        model where it runs). Refused before anything runs: an unknown model (ModelNotFound), a
        device OpenVINO does not see (DeviceNotAvailable), another benchmark in progress
        (BenchmarkRunning). A device the model fails to load on is reported in `failures`; when
        every device fails, that error is raised.
        """
        name = str(string(name, "name", max_chars=MAX_NAME_CHARS))
        engine = self.pool.get(name)
        where = _elsewhere(engine.spec)
        if where:
            raise InvalidInput(
                f"Model {name!r} runs {where}, not on this machine's devices: benchmark it where it runs "
                "(the device benchmark measures a copy of the model loaded here).",
                param="name",
            )
        targets = benchmark_devices(devices, self.pool.available_devices())
        task = engine.spec.task
        per_device = planned_steps(task)
        run_id = new_run_id()
        results: list[DeviceResult] = []
        failures: list[DeviceFailure] = []
        errors: list[UserError] = []
        with exclusive(benchmark_lock(self.pool), name):
            for index, device in enumerate(targets):
                step = _stepper(progress, device, index * per_device, per_device * len(targets))
                try:
                    results.append(self._benchmark_on(name, device, run_id, step))
                except UserError as exc:  # this device failed (the model did not load there, ...)
                    errors.append(exc)
                    failures.append(DeviceFailure(device, str(exc)))
            if not results:
                raise errors[0]
            self.benchmark_store().add(results)
        return BenchmarkRun(run_id, name, task, tuple(results), tuple(failures))

    def benchmark_results(self, name: str | None = None, limit: int = 50) -> list[DeviceResult]:
        """Kept benchmark results, newest first: of model `name` (None or "": every model), at most
        `limit` (1 to 500). A model no longer configured keeps its results."""
        model = str(string(name, "name", max_chars=MAX_NAME_CHARS)) if name else None
        return self.benchmark_store().recent(model, integer(limit, "limit", 1, MAX_LISTED))

    def _benchmark_on(self, name: str, device: str, run_id: str, step: Step) -> DeviceResult:
        engine = self.pool.detached_engine(name, device)
        try:
            step("loading")
            engine.load(device)
            measured = measure(engine, step)
        finally:
            engine.unload()
        return DeviceResult(
            run_id=run_id,
            created=time.time(),
            model=name,
            task=engine.spec.task,
            device=device,
            model_version=engine.version,
            versions=Versions.current(),
            figures=measured.figures,
            setup=measured.setup,
        )


def _stepper(progress: Progress | None, device: str, first: int, total: int) -> Step:
    """A Step for `device` that reports the share of the run's `total` steps done (from `first`)."""
    done = itertools.count(first)

    def step(what: str) -> None:
        if progress is not None:
            progress(min(next(done), total) / total, f"{device}: {what}")

    return step


def benchmark_devices(value: Any, available: list[str]) -> list[str]:
    """The devices asked for, checked and normalised (duplicates dropped): each a device string
    whose devices OpenVINO sees (`available`); else InvalidInput or DeviceNotAvailable."""
    shape = "devices must be a list of device names such as ['CPU'] or ['CPU', 'GPU']"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput(f"{shape}; got {describe(value)}.", param="devices")
    if len(value) > MAX_DEVICES:
        raise InvalidInput(f"{shape}, at most {MAX_DEVICES}; got {len(value)}.", param="devices")
    targets: list[str] = []
    for index, item in enumerate(value):
        device = device_name(item)
        if device is None:
            raise InvalidInput(f"devices[{index}] is empty; name a device such as CPU.", param="devices")
        problem = device_syntax_error(device)
        if problem:
            raise InvalidInput(f"Bad device: {problem}.", param="devices")
        try:
            device = check_device_available(device, available)
        except UserError as exc:
            exc.param = "devices"
            raise
        if device not in targets:
            targets.append(device)
    return targets


def _elsewhere(spec: Any) -> str:
    """Where a model runs if not on this machine ("" when it does): a remote server, Ray replicas."""
    if spec.remote is not None:
        return f"on the remote server {spec.remote.url}"
    if spec.replicas is not None or spec.autoscaling is not None:
        return "as Ray Serve replicas on the cluster's nodes"
    return ""
