"""The lifecycle every engine shares, written once: unloaded -> loading -> ready | failed, a lock per
pipeline (a plain openvino-genai pipeline serves one request at a time), timing and statistics.

A task engine overrides `_build` (construct its pipeline) and adds one typed method that runs its
work inside `with self.serving() as pipe:`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ModelBusy, ModelLoadFailed, ModelNotReady, UserError
from ..stats import GenerationMetrics, StatsRecorder, StatsSnapshot

log = logging.getLogger(__name__)


class State(StrEnum):
    UNLOADED = "unloaded"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ModelInfo:
    """One row of the Models tab and one item of `/models`."""

    name: str
    task: str
    device: str
    status: str
    error: str | None
    load_time_s: float | None
    model_dir: str | None  # not 'path': gradio_client treats {'path': ...} dicts as files
    description: str
    stats: StatsSnapshot

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("stats"))
        return data


# Resolves another configured model by name (the bi-encoder reranker uses an embedding model).
EngineLookup = Callable[[str], "Engine"]


class Engine:
    """Base class of all task engines. Thread-safe; one instance per configured model."""

    task: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        spec: Any,
        properties: dict[str, Any] | None = None,
        lookup: EngineLookup | None = None,
        queue_timeout_s: float = 300.0,
    ):
        self.name = name
        self.spec = spec
        self.properties = dict(properties or {})
        self.lookup = lookup
        self.queue_timeout_s = queue_timeout_s
        self.device: str = spec.device
        self.state = State.UNLOADED
        self.error: str | None = None
        self.load_time_s: float | None = None
        self._pipeline: Any = None
        self.last_used = time.monotonic()  # for idle and least-recently-used unloading
        self._load_lock = threading.Lock()  # one load at a time; concurrent callers share its result
        self._request_lock = threading.Lock()  # one request at a time per pipeline
        self._stats: dict[str, StatsRecorder] = {}
        self._stats_lock = threading.Lock()

    # -- to override -------------------------------------------------------------------------

    def _build(self, device: str) -> Any:
        """Construct and return the pipeline on `device` (properties are in self.properties)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _build")

    def _check_files(self) -> None:
        """Fail early, with the fix, when the model folder is missing or holds no OpenVINO IR."""
        path = self.spec.path
        if path is None:
            return
        folder = Path(path)
        if not folder.is_dir() or not any(folder.glob("*.xml")):
            raise FileNotFoundError(
                f"no OpenVINO model in {folder}; run `openvino-ui prepare {self.name}` "
                "(or fix 'path' in models.yaml)"
            )

    # -- lifecycle ---------------------------------------------------------------------------

    def load(self, device: str | None = None) -> None:
        """Load on `device` (default: the configured one). Loading on another device reloads.

        Raises ModelLoadFailed; the model is then `failed` with the reason in `error`.
        """
        device = device or self.device
        with self._load_lock:
            if self.state is State.READY and device == self.device:
                return
            with self._acquire_request_lock():  # wait for an in-flight request before replacing
                self._pipeline = None
                self.state, self.device, self.error = State.LOADING, device, None
            started = time.perf_counter()
            try:
                self._check_files()
                pipeline = self._build(device)
            except Exception as exc:  # any failure becomes a visible 'failed' state, never a crash
                reason = _short_reason(exc)
                log.warning("loading %s on %s failed: %s", self.name, device, reason)
                self.state, self.error, self.load_time_s = State.FAILED, reason, None
                raise ModelLoadFailed(self.name, device, reason) from exc
            with self._request_lock:
                self._pipeline = pipeline
                self.last_used = time.monotonic()
                self.load_time_s = time.perf_counter() - started
                self.state = State.READY
            log.info("loaded %s on %s in %.2f s", self.name, device, self.load_time_s)

    def is_busy(self) -> bool:
        """True while a request (or a stream) holds the pipeline."""
        return self._request_lock.locked()

    def unload(self) -> None:
        """Release the pipeline once the request in flight (if any) has finished."""
        with self._load_lock, self._acquire_request_lock():
            self._pipeline = None
            self.state, self.error, self.load_time_s = State.UNLOADED, None, None
        log.info("unloaded %s", self.name)

    def ensure_ready(self) -> None:
        """Load lazily on first use; a model whose last load failed says why."""
        if self.state is State.READY:
            return
        if self.state is State.FAILED:
            raise ModelLoadFailed(self.name, self.device, self.error or "unknown error")
        self.load()

    # -- serving -----------------------------------------------------------------------------

    @contextmanager
    def serving(self, generation: list[GenerationMetrics] | None = None) -> Iterator[Any]:
        """Hold this model's pipeline for one request and record its latency and outcome.

        A failure is counted and re-raised; it never unloads the model. Append the request's
        GenerationMetrics to `generation` to have them recorded too.
        """
        self.ensure_ready()
        with self._acquire_request_lock():
            pipeline, device = self._pipeline, self.device
            self.last_used = time.monotonic()
            if pipeline is None:
                raise ModelNotReady(f"Model {self.name!r} was unloaded; load it again on the Models tab.")
            started = time.perf_counter()
            ok = False
            try:
                yield pipeline
                ok = True
            except GeneratorExit:  # a stream whose consumer left early is not a failure
                ok = True
                raise
            finally:
                metrics = generation[-1] if generation else None
                self._recorder(device).record(time.perf_counter() - started, ok, metrics)

    @contextmanager
    def _acquire_request_lock(self) -> Iterator[None]:
        if not self._request_lock.acquire(timeout=self.queue_timeout_s):
            raise ModelBusy(self.name, self.queue_timeout_s)
        try:
            yield
        finally:
            self._request_lock.release()

    def _recorder(self, device: str) -> StatsRecorder:
        with self._stats_lock:
            return self._stats.setdefault(device, StatsRecorder())

    # -- reporting ---------------------------------------------------------------------------

    def stats(self, device: str | None = None) -> StatsSnapshot:
        return self._recorder(device or self.device).snapshot()

    def stats_by_device(self) -> dict[str, StatsSnapshot]:
        with self._stats_lock:
            recorders = dict(self._stats)
        return {device: rec.snapshot() for device, rec in recorders.items()}

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name,
            task=self.task or self.spec.task,
            device=self.device,
            status=self.state.value,
            error=self.error,
            load_time_s=self.load_time_s,
            model_dir=None if self.spec.path is None else str(self.spec.path),
            description=self.spec.description,
            stats=self.stats(),
        )


def _short_reason(exc: BaseException) -> str:
    """The useful part of an exception: openvino's C++ errors carry long 'Check ... failed at' tails."""
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip() or type(exc).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # Keep the last meaningful line of a C++ trace, which states the actual problem.
    for line in reversed(lines):
        if not line.startswith(("Check '", "[ GENERAL_ERROR ]", "Exception from")):
            return line[:500]
    return lines[-1][:500] if lines else type(exc).__name__
