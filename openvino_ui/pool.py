"""The engine pool shared by every tab and API caller: name -> engine, load / unload, devices.

It is the only place that knows which models exist, where they run and whether they are loaded.
What it serves may change while it runs (`apply` a re-read models.yaml, `rebuild` one model with
another version or other properties): a new engine is built (and loaded, if the one it replaces
was) before it is swapped in, and the engine it replaces is *retired*: requests that already hold
it finish on it, and it is unloaded once the last one leaves. No request fails because of a swap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .changes import ConfigChanges
from .config import AnySpec, AppConfig
from .device_memory import used_bytes
from .devices import DeviceInfo, check_device_available, describe_devices, device_syntax_error
from .engines.base import Engine, ModelInfo, State
from .errors import InvalidInput, ModelLoadFailed, ModelNotFound, WrongTask, quote
from .memory import MemoryBudget, check_against_ram
from .stats import RequestObserver, RequestRecord
from .versions import resolve_version

log = logging.getLogger(__name__)

# Makes the engine of one configured model: (name, its configuration, the pool) -> Engine.
EngineFactory = Callable[[str, AnySpec, "EnginePool"], Engine]


def default_engine_factory(name: str, spec: AnySpec, pool: EnginePool) -> Engine:
    from .engines import engine_class  # imported here: engine modules pull in openvino_genai

    cls = engine_class(spec)
    # A Ray Serve proxy (openvino_ui.cluster) also needs where Ray runs: defaults.cluster.
    extra = {"cluster": pool.config.defaults.cluster} if getattr(cls, "needs_cluster", False) else {}
    return cls(
        name,
        spec,
        properties=pool.properties_for(spec),
        lookup=pool.get,
        queue_timeout_s=pool.config.defaults.queue_timeout_s,
        **extra,
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
        self._factory = engine_factory
        self._observers: list[RequestObserver] = []
        # One reconfiguration (apply, rebuild) at a time; requests never take it.
        self._change_lock = threading.Lock()
        # Engines swapped out or removed that requests still used: unloaded once idle.
        self._retiring: list[Engine] = []
        self._retiring_lock = threading.Lock()
        self._engines: dict[str, Engine] = {n: self._make(n, spec) for n, spec in config.models.items()}
        if warning := check_against_ram(config.defaults.memory_budget_gb or {}):
            log.warning(warning)

    def _make(self, name: str, spec: AnySpec, version: int | str | None = None) -> Engine:
        """The engine of `spec`, serving `version` (default: the spec's) of its numbered folders."""
        path, number = resolve_version(spec.path, spec.version if version is None else version)
        if path != spec.path:
            spec = spec.model_copy(update={"path": path})
        engine = self._factory(name, spec, self)
        engine.version = number
        engine.observers.append(self._notify)
        return engine

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

    # -- observers ---------------------------------------------------------------------------

    def add_observer(self, observer: RequestObserver) -> None:
        """Tell `observer` about every finished request of every model, those added later included."""
        self._observers.append(observer)

    def remove_observer(self, observer: RequestObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def _notify(self, record: RequestRecord) -> None:
        for observer in tuple(self._observers):
            try:
                observer(record)
            except Exception as exc:  # an observer's bug never fails the request
                log.warning("a request observer failed: %s", type(exc).__name__)

    # -- lookup ------------------------------------------------------------------------------

    def names(self, task: str | tuple[str, ...] | None = None) -> list[str]:
        """Model names in models.yaml order, optionally only those of one task (or several)."""
        tasks = (task,) if isinstance(task, str) else task
        return [n for n, e in self._engines.items() if tasks is None or e.spec.task in tasks]

    def get(self, name: str, task: str | tuple[str, ...] | None = None) -> Engine:
        """The engine called `name` (not loaded by this call); checks that it serves `task`."""
        engine = self._engines.get(name)
        if engine is None:
            raise ModelNotFound(name, self.names(task))
        wanted = (task,) if isinstance(task, str) else task
        if wanted is not None and engine.spec.task not in wanted:
            raise WrongTask(name, engine.spec.task, task, self.names(task))  # type: ignore[arg-type]
        return engine

    def configured_spec(self, name: str) -> AnySpec:
        """Model `name`'s entry as models.yaml has it (its `path` is the folder above any versions)."""
        self.get(name)
        return self.config.models[name]

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
                self._target(engine, engine.device)
                self._make_room(engine, engine.device)
            engine.ensure_ready()
        except Exception:
            engine.record_failed_request()
            raise
        self._enforce_max_loaded(keep=engine)
        return engine

    def detached_engine(self, name: str, device: str) -> Engine:
        """A new engine of model `name` on `device`, outside the pool (no requests, no statistics,
        no budget): the device benchmark measures on it without disturbing the served one. The
        caller loads it and must unload it."""
        engine = self.get(name)
        spec = self.config.models[name].model_copy(update={"device": device})
        detached = self._make(name, spec, engine.version)
        detached.observers.clear()
        return detached

    # -- lifecycle ---------------------------------------------------------------------------

    def load(self, name: str, device: str | None = None, version: int | str | None = None) -> ModelInfo:
        """Load `name` on `device` (default: where it is, else its configured device); reload if it
        is elsewhere. `version` (a number or "latest") switches to that version folder first."""
        engine = self.get(name)
        if device and (problem := device_syntax_error(device)):
            raise InvalidInput(f"Bad device: {problem}.", param="device")
        if device and engine.spec.remote is not None:
            raise InvalidInput(
                f"Model {quote(name)} is served by {engine.device}: it has no local device to choose. "
                "Load it without a device.",
                param="device",
            )
        if version not in (None, "") and self._version_of(name, version) != engine.version:
            return self.rebuild(name, version=version, device=device or engine.device, load=True)
        target = self._target(engine, device or engine.spec.device)
        if engine.state is not State.READY or engine.device != target:
            self._make_room(engine, target)
        self._measured(engine, target, lambda: engine.load(target))
        self._enforce_max_loaded(keep=engine)
        return engine.info()

    def _measured(self, engine: Engine, device: str, load: Callable[[], None]) -> None:
        """Run `load`; on a device with memory of its own (GPU, NPU) the model's size is what
        OpenVINO's allocations there grew by (the engine measured the process's memory, which a
        GPU model hardly touches). Other loads on that device at the same time blur it."""
        before = used_bytes(self.core, device)
        load()
        if before is not None and (after := used_bytes(self.core, device)) is not None and after > before:
            engine.memory_bytes = after - before

    def _target(self, engine: Engine, device: str) -> str:
        """Where `engine` loads: `device` checked against this machine's devices; a model served by
        another server (models.yaml `remote`) runs where that server is, on no local device; one on
        Ray Serve runs on the cluster's nodes, whose devices this machine need not have."""
        if engine.spec.remote is not None:
            return engine.device
        if engine.spec.replicas is not None or engine.spec.autoscaling is not None:
            return device  # Ray places the replicas on nodes that have it (ray_actor_options)
        return check_device_available(device, self.available_devices())

    def _version_of(self, name: str, version: int | str) -> int | None:
        return resolve_version(self.config.models[name].path, version)[1]

    def rebuild(
        self,
        name: str,
        spec: AnySpec | None = None,
        version: int | str | None = None,
        device: str | None = None,
        load: bool | None = None,
    ) -> ModelInfo:
        """Build model `name` afresh (from `spec`, else its entry and runtime properties; `version`,
        else the one in use) and swap it in. Loaded (or `load`): the new one is loaded on `device`
        (else where the old one runs) while the old one serves on, and swapped in only once ready;
        a failure raises and changes nothing. Unloaded: swapped in without loading."""
        with self._change_lock:
            old = self.get(name)
            spec = spec or old.spec.model_copy(update={"path": self.config.models[name].path})
            fresh = self._make(name, spec, old.version if version in (None, "") else version)
            fresh.adopt_stats(old)
            if load or (load is None and old.state is State.READY):
                target = self._target(fresh, device or old.device)
                self._make_room(fresh, target, replacing=old)
                try:
                    self._measured(fresh, target, lambda: fresh.load(target))
                except ModelLoadFailed as exc:
                    if old.state is not State.READY:
                        raise
                    where = f"nothing changed: it still runs on {old.device} as before"
                    raise ModelLoadFailed(name, target, f"{exc.reason} ({where})") from exc
            self._swap({name: fresh})
        self._enforce_max_loaded(keep=fresh)
        return fresh.info()

    def apply(self, config: AppConfig) -> ConfigChanges:
        """Serve what `config` (a re-read models.yaml) lists: new models appear, removed ones go once
        their requests finish, changed ones are rebuilt (loaded again first if they were loaded) and
        swapped. A changed model whose new entry fails to load keeps serving with its old one."""
        with self._change_lock:
            old = self.config
            current = dict(self._engines)
            added = [n for n in config.models if n not in current]
            removed = [n for n in current if n not in config.models]
            changed = [n for n in config.models if n in current and self._differs(n, old, config)]
            self.config = config  # the new defaults (cache_dir, queue_timeout_s) for the engines made now
            fresh: dict[str, Engine] = {n: self._make(n, config.models[n]) for n in added}
            failed, kept = [], dict(config.models)
            for name in changed:
                engine = self._make(name, config.models[name])
                engine.adopt_stats(current[name])
                if current[name].state is State.READY:
                    try:
                        target = self._device_after_change(name, old, config, current[name])
                        engine.load(self._target(engine, target))
                    except Exception as exc:
                        failed.append(f"{name}: {exc}")
                        kept[name] = old.models[name]
                        continue
                fresh[name] = engine
            self.config = AppConfig(path=config.path, defaults=config.defaults, models=kept)
            order = {n: fresh.get(n) or current[n] for n in kept}
            retired = [current[n] for n in removed] + [current[n] for n in fresh if n in current]
            self._engines = order
            for engine in retired:
                self._retire(engine)
            swapped = tuple(n for n in changed if n in fresh)
            unchanged = tuple(n for n in kept if n not in added and n not in changed)
        changes = ConfigChanges(tuple(added), tuple(removed), swapped, unchanged, tuple(failed))
        log.info("models.yaml applied: %s", changes.summary())
        return changes

    def _differs(self, name: str, old: AppConfig, new: AppConfig) -> bool:
        """Whether model `name` must be rebuilt: its entry (defaults applied) or what the pool adds
        to it (the model cache, the queue timeout) is not what it was."""
        a, b = old.models[name], new.models[name]
        return (
            a != b
            or old.defaults.cache_dir != new.defaults.cache_dir
            or old.defaults.queue_timeout_s != new.defaults.queue_timeout_s
        )

    @staticmethod
    def _device_after_change(name: str, old: AppConfig, new: AppConfig, engine: Engine) -> str:
        """Where a changed loaded model loads again: its new configured device if the entry changed
        it, else where it runs now (an operator may have moved it)."""
        before, after = old.models[name].device, new.models[name].device
        return after if after != before else engine.device

    def _swap(self, replacements: dict[str, Engine]) -> None:
        """Put `replacements` in place of the engines of the same names (call with _change_lock)."""
        current = self._engines
        self._engines = {n: replacements.get(n, e) for n, e in current.items()}
        for name in replacements:
            self._retire(current[name])

    def _retire(self, engine: Engine) -> None:
        """No new request reaches `engine`; unload it now if idle, else once its last request ends."""
        engine.retired = True
        if engine.state is State.READY and not engine.unload_if_idle():
            with self._retiring_lock:
                self._retiring.append(engine)
            log.info("%s: the replaced engine unloads once its requests finish", engine.name)

    def _sweep_retired(self) -> None:
        with self._retiring_lock:
            pending = list(self._retiring)
        for engine in pending:
            if engine.state is not State.READY or engine.unload_if_idle():
                with self._retiring_lock:
                    if engine in self._retiring:
                        self._retiring.remove(engine)

    def retiring(self) -> list[str]:
        """Names of replaced or removed engines still loaded for requests in flight."""
        self._sweep_retired()
        with self._retiring_lock:
            return [e.name for e in self._retiring]

    def evict_idle(self, keep: Engine | None = None) -> list[str]:
        """Unload models idle for longer than defaults.idle_unload_s (but not `keep`, about to serve),
        and retired engines whose requests have finished.

        Only a model no request holds or waits for is unloaded; a request that arrives just after
        loads it again (Engine.serving), so eviction never fails a request. Returns the names.
        """
        self._sweep_retired()
        ttl = self.config.defaults.idle_unload_s
        if ttl is None:
            return []
        evicted = []
        for name, engine in list(self._engines.items()):
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

    def memory_budget(self) -> MemoryBudget:
        """The memory budget per device (defaults.memory_budget_gb) against the loaded models."""
        return MemoryBudget(self.config.defaults.memory_budget_gb or {}, list(self._engines.values()))

    def _make_room(self, engine: Engine, device: str, replacing: Engine | None = None) -> None:
        """Before `engine` loads on `device`: unload least recently used idle models there until it
        fits the device's budget. A model larger than the whole budget raises ModelTooLarge."""
        budget = self.memory_budget()
        for victim in budget.to_evict(engine, device, replacing):
            if victim.unload_if_idle():
                log.info("unloaded %s to fit %s on %s (memory_budget_gb)", victim.name, engine.name, device)

    def unload(self, name: str) -> ModelInfo:
        engine = self.get(name)
        engine.unload()
        return engine.info()

    def preload(self) -> list[str]:
        """Load every model marked `preload: true`; return the problems (loading goes on past them)."""
        problems = []
        for name, engine in list(self._engines.items()):
            if engine.spec.preload:
                try:
                    self.load(name)
                except Exception as exc:  # one broken model must not stop the others
                    problems.append(f"{name}: {exc}")
        return problems

    def close(self) -> None:
        self._stop.set()
        with self._retiring_lock:
            retiring, self._retiring = self._retiring, []
        for engine in [*self._engines.values(), *retiring]:
            if engine.state is State.READY:
                engine.unload()

    # -- reporting ---------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        return [engine.info() for engine in list(self._engines.values())]

    def info(self, name: str) -> ModelInfo:
        return self.get(name).info()
