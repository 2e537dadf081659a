"""The engine pool shared by every tab and API caller: name -> engine, load / unload, devices.

It is the only place that knows which models exist, where they run and whether they are loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .config import AnySpec, AppConfig
from .devices import DeviceInfo, check_device_available, describe_devices, device_syntax_error
from .engines.base import Engine, ModelInfo, State
from .errors import InvalidInput, ModelNotFound, WrongTask

log = logging.getLogger(__name__)

# Makes the engine of one configured model: (name, its configuration, the pool) -> Engine.
EngineFactory = Callable[[str, AnySpec, "EnginePool"], Engine]


def default_engine_factory(name: str, spec: AnySpec, pool: EnginePool) -> Engine:
    from .engines import engine_class  # imported here: engine modules pull in openvino_genai

    return engine_class(spec)(
        name,
        spec,
        properties=pool.properties_for(spec),
        lookup=pool.get,
        queue_timeout_s=pool.config.defaults.queue_timeout_s,
    )


class EnginePool:
    """All configured models. Engines are created up front (cheap) and loaded lazily or on demand."""

    def __init__(
        self,
        config: AppConfig,
        core: Any | None = None,
        engine_factory: EngineFactory = default_engine_factory,
    ):
        self.config = config
        self._core = core
        self._core_lock = threading.Lock()
        self._stop = threading.Event()
        self._engines: dict[str, Engine] = {
            name: engine_factory(name, spec, self) for name, spec in config.models.items()
        }

    # -- OpenVINO ----------------------------------------------------------------------------

    @property
    def core(self) -> Any:
        """One openvino.Core for device queries, created on first use (never at import time)."""
        with self._core_lock:
            if self._core is None:
                import openvino as ov

                self._core = ov.Core()
            return self._core

    def available_devices(self) -> list[str]:
        return list(self.core.available_devices)

    def devices(self) -> list[DeviceInfo]:
        return describe_devices(self.core)

    def properties_for(self, spec: AnySpec) -> dict[str, Any]:
        """OpenVINO properties for a model: the defaults', the model's own, and the model cache."""
        props = dict(spec.properties)
        cache_dir = self.config.defaults.cache_dir
        if cache_dir is not None and "CACHE_DIR" not in props:
            props["CACHE_DIR"] = str(cache_dir)
        return props

    # -- lookup ------------------------------------------------------------------------------

    def names(self, task: str | tuple[str, ...] | None = None) -> list[str]:
        return self.config.names(task)

    def get(self, name: str, task: str | tuple[str, ...] | None = None) -> Engine:
        """The engine called `name` (not loaded by this call); checks that it serves `task`."""
        engine = self._engines.get(name)
        if engine is None:
            raise ModelNotFound(name, self.names(task))
        wanted = (task,) if isinstance(task, str) else task
        if wanted is not None and engine.spec.task not in wanted:
            raise WrongTask(name, engine.spec.task, task, self.names(task))  # type: ignore[arg-type]
        return engine

    def ready(self, name: str, task: str | tuple[str, ...] | None = None) -> Engine:
        """The engine called `name`, loaded on its device if it was not (concurrent callers load once).

        This is a request's first step: when it fails (device gone, load failed) the failure is
        counted in the model's statistics, like one that fails later in `Engine.serving()`.
        """
        engine = self.get(name, task)
        self.evict_idle(keep=engine)
        if engine.state is State.READY:
            return engine
        try:
            if engine.state is State.UNLOADED:
                check_device_available(engine.device, self.available_devices())
            engine.ensure_ready()
        except Exception:
            engine.record_failed_request()
            raise
        self._enforce_max_loaded(keep=engine)
        return engine

    # -- lifecycle ---------------------------------------------------------------------------

    def load(self, name: str, device: str | None = None) -> ModelInfo:
        """Load `name` on `device` (default: its configured device); reload if it is elsewhere."""
        engine = self.get(name)
        if device and (problem := device_syntax_error(device)):
            raise InvalidInput(f"Bad device: {problem}.", param="device")
        target = check_device_available(device or engine.spec.device, self.available_devices())
        engine.load(target)
        self._enforce_max_loaded(keep=engine)
        return engine.info()

    def evict_idle(self, keep: Engine | None = None) -> list[str]:
        """Unload models idle for longer than defaults.idle_unload_s (but not `keep`, about to serve).

        Only a model no request holds or waits for is unloaded; a request that arrives just after
        loads it again (Engine.serving), so eviction never fails a request. Returns the names.
        """
        ttl = self.config.defaults.idle_unload_s
        if ttl is None:
            return []
        evicted = []
        for name, engine in self._engines.items():
            if engine is not keep and engine.state is State.READY and engine.unload_if_idle(ttl):
                evicted.append(name)
                log.info("unloaded %s: idle for more than %.0f s", name, ttl)
        return evicted

    def start_idle_unloader(self, interval_s: float = 10.0) -> None:
        """Check for idle models every `interval_s` in a daemon thread (only if idle_unload_s is set)."""
        if self.config.defaults.idle_unload_s is None or self._stop.is_set():
            return

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.evict_idle()
                except Exception:  # keep the housekeeping alive; the next round retries
                    log.exception("idle unloading failed")

        threading.Thread(target=loop, name="idle-unloader", daemon=True).start()

    def _enforce_max_loaded(self, keep: Engine) -> None:
        """Unload least recently used idle models until at most max_loaded_models are loaded.

        A model that a request holds or waits for is skipped (the next idle one goes instead).
        """
        limit = self.config.defaults.max_loaded_models
        if limit is None:
            return
        loaded = [e for e in self._engines.values() if e.state is State.READY]
        excess = len(loaded) - limit
        candidates = sorted((e for e in loaded if e is not keep), key=lambda e: e.last_used)
        for engine in candidates:
            if excess <= 0:
                return
            if engine.unload_if_idle():
                excess -= 1
                log.info("unloaded %s: more than %d models loaded (max_loaded_models)", engine.name, limit)

    def unload(self, name: str) -> ModelInfo:
        engine = self.get(name)
        engine.unload()
        return engine.info()

    def preload(self) -> list[str]:
        """Load every model marked `preload: true`; return the problems (loading goes on past them)."""
        problems = []
        for name, engine in self._engines.items():
            if engine.spec.preload:
                try:
                    self.load(name)
                except Exception as exc:  # one broken model must not stop the others
                    problems.append(f"{name}: {exc}")
        return problems

    def close(self) -> None:
        self._stop.set()
        for engine in self._engines.values():
            if engine.state is State.READY:
                engine.unload()

    # -- reporting ---------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        return [engine.info() for engine in self._engines.values()]

    def info(self, name: str) -> ModelInfo:
        return self.get(name).info()
