"""The lifecycle every engine shares, written once: unloaded -> loading -> ready | failed, fair
admission to the pipeline (a plain openvino-genai pipeline serves one request at a time), timing
and statistics.

A model with `instances: N` (asr, tts, embedding, rerank) builds N pipelines on its device: its
FairLock has N permits, and a request whose turn begins borrows a free pipeline for that turn
(`_Loaded.lend`), so up to N requests run at once, one per pipeline, and the rest queue as usual.

A task engine overrides `_build` (construct its pipeline) and adds one typed method that runs its
work inside `with self.serving() as session:`, using `session.pipeline`. Work done in pieces calls
`session.yield_turn()` between them, so a short request waits about one piece, not a whole request.

Locking, and why it cannot deadlock:
* `_load_lock` serialises building and dropping pipelines (load, move, unload).
* `_request_lock` (a FairLock with one permit per pipeline instance) gives each request a turn on a
  pipeline, first come first served.
* A request may take `_load_lock` while it holds `_request_lock` (to reload an unloaded model), but
  nobody waits for `_request_lock` while holding `_load_lock`: loads and unloads swap the pipeline
  reference without it, and only afterwards wait (taking every permit) for the requests still
  using the old pipelines.
  A request always works on the pipeline it picked up when its turn began, so a swap never pulls
  a pipeline from under it; the next turn picks up whatever is current.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from ..config import AnySpec
from ..cpu import usable_cores as _usable_cores  # a module name tests may replace
from ..errors import ModelBusy, ModelLoadFailed, ModelQueueFull, UserError
from ..model_properties import model_properties
from ..stats import GenerationMetrics, RequestObserver, RequestRecord, StatsRecorder, StatsSnapshot
from .admission import FairLock, QueueFull, Session, tell_place

log = logging.getLogger(__name__)


class State(StrEnum):
    UNLOADED = "unloaded"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ReplicaInfo:
    """One Ray Serve replica of a model run as a deployment (models.yaml `replicas`)."""

    replica_id: str
    node_id: str
    node_ip: str | None
    state: str  # Serve's: STARTING, RUNNING, RECOVERING, STOPPING, ...
    requests: int  # requests this server sent it


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
    version: int | None = None  # the numbered version folder served (None: an unversioned folder)
    memory_mb: float | None = None  # measured at its last load (resident memory it added)
    replicas: tuple[ReplicaInfo, ...] | None = None  # on Ray Serve (openvino_ui.cluster); None: not

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("stats"))
        if data["replicas"] is None:  # only a model on Ray has the key
            del data["replicas"]
        return data


@dataclass(eq=False)
class _Loaded:
    """The built pipelines and the device they run on, replaced as one value so readers never mix
    them.

    A plain pipeline serves one request at a time: `pipeline` and the `spares` (models.yaml
    `instances` > 1, same device and properties) are lent to one request each for its turn
    (`lend`/`give_back`). The FairLock has one permit per instance, so a request whose turn begins
    always finds one free.

    A pipeline that serves many requests at once (`serves_many`, continuous batching) is not held
    through the turn; instead each request holds a place in it (`enter`/`leave`), and an unload or
    a move waits for the places of the pipeline it replaced to be given back.
    """

    pipeline: Any
    device: str
    spares: tuple[Any, ...] = ()
    users: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        # Indices into instances(), not the objects: a test may swap `pipeline` for a wrapper.
        self._free = list(range(1 + len(self.spares)))

    def instances(self) -> tuple[Any, ...]:
        return (self.pipeline, *self.spares)

    def lend(self) -> tuple[int, Any]:
        """A free instance for one turn: (its index, for give_back; the pipeline)."""
        with self._cond:
            if not self._free:  # the FairLock's permits make this impossible
                raise RuntimeError("no free pipeline instance: more turns than instances")
            index = min(self._free)  # the lowest: with little traffic one instance stays warm
            self._free.remove(index)
        return index, self.instances()[index]

    def give_back(self, index: int) -> None:
        with self._cond:
            self._free.append(index)

    @property
    def serves_many(self) -> bool:
        return bool(getattr(self.pipeline, "serves_many", False))

    def enter(self, limit: int | None) -> bool:
        """Take a place; False (and no place) when `limit` places are taken already."""
        with self._cond:
            if limit is not None and self.users >= limit:
                return False
            self.users += 1
            return True

    def leave(self) -> None:
        with self._cond:
            self.users -= 1
            self._cond.notify_all()

    def wait_unused(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.users == 0, timeout)

    def close(self) -> None:
        """Stop what the pipelines run of their own (a scheduler thread), once nobody uses them."""
        for pipeline in self.instances():
            _close_pipeline(pipeline)


def _close_pipeline(pipeline: Any) -> None:
    close = getattr(pipeline, "close", None)
    if close is not None:
        close(timeout=0)


# Resolves another configured model by name (the bi-encoder reranker uses an embedding model).
EngineLookup = Callable[[str], "Engine"]


class Engine:
    """Base class of all task engines. Thread-safe; one instance per configured model."""

    task: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        spec: AnySpec,
        properties: dict[str, Any] | None = None,
        lookup: EngineLookup | None = None,
        queue_timeout_s: float = 300.0,
    ):
        self.name = name
        self.spec = spec
        self.properties = dict(properties or {})
        self.lookup = lookup
        self.queue_timeout_s = queue_timeout_s
        # The most requests that may wait for the pipeline (None: no bound); more are refused at once.
        self.max_queue: int | None = getattr(spec, "max_queue", None)
        self.device: str = spec.device
        # Pipelines built per load (models.yaml `instances`); that many requests run at once.
        self.instances: int = self._pipelines_per_load(spec)
        self.state = State.UNLOADED
        self.error: str | None = None
        self.load_time_s: float | None = None
        # The numbered version folder `spec.path` is (set by the pool; None: unversioned).
        self.version: int | None = None
        # Resident memory the last load added (0 when it could not be told apart), for budgets.
        self.memory_bytes: int | None = None
        # Replaced or removed by a reconfiguration: no new requests; unloaded once the last ends.
        self.retired = False
        self._disk_bytes: int | None = None
        self._loaded: _Loaded | None = None  # set exactly while the state is READY
        self._retired: list[_Loaded] = []  # replaced pipelines that requests may still use
        self.last_used = time.monotonic()  # for idle and least-recently-used unloading
        self._load_lock = threading.Lock()  # one load at a time; concurrent callers share its result
        self._request_lock = FairLock(self.instances)  # a turn per pipeline, in arrival order
        self._stats: dict[str, StatsRecorder] = {}
        self._stats_lock = threading.Lock()
        # Told about every finished request (openvino_ui.metrics); see _notify.
        self.observers: list[RequestObserver] = []

    # -- to override -------------------------------------------------------------------------

    @classmethod
    def _pipelines_per_load(cls, spec: AnySpec) -> int:
        """How many pipelines a load builds (models.yaml `instances`); an engine whose one pipeline
        is a client of pipelines elsewhere (a remote server, Ray replicas) builds one."""
        return int(getattr(spec, "instances", 1) or 1)

    def _build(self, device: str) -> Any:
        """Construct and return one pipeline on `device`, with `self.pipeline_properties(device)`.

        Called once per instance (models.yaml `instances`) at each load."""
        raise NotImplementedError(f"{type(self).__name__} must implement _build")

    def pipeline_properties(self, device: str) -> dict[str, Any]:
        """The OpenVINO properties of each pipeline built on `device`.

        N instances on the CPU would each start one thread per core and fight over the cores, so
        unless the model sets INFERENCE_NUM_THREADS each gets cores // N threads (at least 1).
        Only for the plain CPU device: other plugins refuse the CPU's properties, and AUTO, HETERO
        and MULTI decide their own CPU share. Under models.yaml's properties lie those the model
        folder asks of the device (openvino_ui.model_properties: Kokoro's w8a8 compiles in f32).
        """
        asked = model_properties(self.spec.path, device)
        overridden = sorted(k for k, v in asked.items() if k in self.properties and self.properties[k] != v)
        if overridden:  # the user's choice stands, but the variant may give wrong output with it
            log.warning(
                "%s: models.yaml's %s overrides what the model folder asks (%s); this variant may "
                "not work that way",
                self.name,
                ", ".join(f"{k}={self.properties[k]}" for k in overridden),
                ", ".join(f"{k}={asked[k]}" for k in overridden),
            )
        properties = {**asked, **self.properties}
        if self.instances > 1 and device == "CPU" and "INFERENCE_NUM_THREADS" not in properties:
            properties["INFERENCE_NUM_THREADS"] = max(1, _usable_cores() // self.instances)
        return properties

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
        """Load on `device` (default: the current one). Loading a ready model elsewhere moves it.

        A move builds the new pipeline while requests go on being served by the old one, and swaps
        only on success: a failed move raises ModelLoadFailed and leaves the model ready where it
        was (with the reason in `error`). A failed first load leaves it `failed`.
        """
        device = device or self.device
        with self._load_lock:
            loaded = self._loaded
            if loaded is not None and loaded.device == device:
                self.error = None  # asked for where it already runs: an older failed move is moot
                return
            if loaded is None:
                self._load_fresh(device)
                return
            self._move(loaded.device, device)
        self._wait_for_old_pipeline()

    def is_busy(self) -> bool:
        """True while a request holds the pipeline, has a place in it or waits for it."""
        loaded = self._loaded
        return self._request_lock.busy() or (loaded is not None and loaded.users > 0)

    def in_flight(self) -> int:
        """How many requests the model serves right now (on its instances, or in its batch)."""
        loaded = self._loaded
        batched = 0
        if loaded is not None and loaded.serves_many:
            batched = min(loaded.users, self._serving_slots(loaded))
        return self._request_lock.holders() + batched

    def queue_length(self) -> int:
        """How many requests wait for the pipeline (not counting those it serves)."""
        loaded = self._loaded
        inside = 0
        if loaded is not None and loaded.serves_many:
            inside = max(0, loaded.users - self._serving_slots(loaded))
        return self._request_lock.waiting() + inside

    def _serving_slots(self, loaded: _Loaded) -> int:
        """How many requests a many-request pipeline serves at once (the rest wait inside it)."""
        return int(getattr(loaded.pipeline, "max_num_seqs", 1))

    def unload(self) -> None:
        """Drop the pipeline; returns once the request in flight (if any) has finished with it.

        Requests waiting for the model are not failed: the first to get its turn loads it again.
        """
        with self._load_lock:
            self._drop_pipeline()
        self._wait_for_old_pipeline()
        log.info("unloaded %s", self.name)

    def unload_if_idle(self, idle_for_s: float = 0.0) -> bool:
        """Unload only if no request holds or waits for the pipeline and it was last used more than
        `idle_for_s` ago; True if it was unloaded. Housekeeping uses this: it never delays a request."""
        if not self._request_lock.acquire(timeout=0, exclusive=True):  # no request on any instance
            return False
        try:
            # A load in progress (minutes, maybe) is not idle; waiting for it would hold requests up.
            if not self._load_lock.acquire(blocking=False):
                return False
            try:
                idle = time.monotonic() - self.last_used > idle_for_s
                loaded = self._loaded
                if self.state is not State.READY or not idle or (loaded is not None and loaded.users):
                    return False
                self._drop_pipeline()
            finally:
                self._load_lock.release()
        finally:
            self._request_lock.release(exclusive=True)
        self._close_retired(wait=False)
        return True  # the pool logs why

    def ensure_ready(self) -> None:
        """Load lazily on first use; a model whose last load failed says why."""
        if self.state is State.READY:
            return
        self._load_if_needed()  # never a move: a request must not undo a concurrent load elsewhere

    def _load_fresh(self, device: str) -> None:
        """Build where nothing is loaded (call with _load_lock held); a failure leaves it `failed`."""
        self.state, self.device, self.error = State.LOADING, device, None
        try:
            loaded, seconds = self._build_timed(device)
        except ModelLoadFailed as exc:
            self.state, self.error, self.load_time_s = State.FAILED, exc.reason, None
            raise
        self._install(loaded, seconds)

    def _move(self, old_device: str, device: str) -> None:
        """Build on `device` while the old pipelines keep serving (call with _load_lock held)."""
        try:
            loaded, seconds = self._build_timed(device)
        except ModelLoadFailed as exc:
            self.error = exc.reason  # shown on the Models tab; the model stays ready where it was
            raise ModelLoadFailed(self.name, device, f"{exc.reason} (it still runs on {old_device})") from exc
        self._install(loaded, seconds)

    def _build_timed(self, device: str) -> tuple[_Loaded, float]:
        """Check the files and build every instance on `device`; any failure becomes ModelLoadFailed
        with a short reason (and the instances built so far are dropped). Measures the resident
        memory the build added (other loads at the same time blur it; a budget errs on the safe side)."""
        started = time.perf_counter()
        rss_before = _resident_bytes()
        built: list[Any] = []
        try:
            self._check_files()
            for _ in range(self.instances):
                built.append(self._build(device))
        except Exception as exc:  # any failure becomes a visible error, never a crash
            for pipeline in built:
                _close_pipeline(pipeline)
            reason = _short_reason(exc)
            log.warning("loading %s on %s failed: %s", self.name, device, reason)
            raise ModelLoadFailed(self.name, device, reason) from exc
        self.memory_bytes = max(0, _resident_bytes() - rss_before) or None
        return _Loaded(built[0], device, tuple(built[1:])), time.perf_counter() - started

    def _install(self, loaded: _Loaded, seconds: float) -> None:
        # _loaded before state: a reader that sees READY finds the pipeline too.
        if self._loaded is not None:
            self._retired.append(self._loaded)
        self._loaded = loaded
        self.device, self.load_time_s, self.error = loaded.device, seconds, None
        self.last_used = time.monotonic()
        self.state = State.READY
        copies = f" ({self.instances} instances)" if self.instances > 1 else ""
        log.info("loaded %s on %s in %.2f s%s", self.name, loaded.device, seconds, copies)

    def _drop_pipeline(self) -> None:
        """Forget the pipeline (call with _load_lock held); a request using it keeps its reference."""
        self.state, self.error, self.load_time_s = State.UNLOADED, None, None
        if self._loaded is not None:
            self._retired.append(self._loaded)
        self._loaded = None

    def _wait_for_old_pipeline(self) -> None:
        """Wait (ahead of the queue) until the requests using the replaced pipelines are done with
        them, so their memory is free when load/unload returns. Never called with _load_lock held.

        It takes every permit: each request in flight may hold an old instance (new requests wait
        behind, as they would behind the one holder of a single pipeline)."""
        if not self._request_lock.acquire(timeout=self.queue_timeout_s, first=True, exclusive=True):
            log.warning("%s: a request still uses the old pipeline; it is freed when that ends", self.name)
            return
        self._request_lock.release(exclusive=True)
        self._close_retired(wait=True)

    def _close_retired(self, wait: bool) -> None:
        """Close replaced many-request pipelines; with `wait`, after their requests finished (bounded)."""
        with self._load_lock:
            retired, self._retired = self._retired, []
        for old in retired:
            if wait and not old.wait_unused(self.queue_timeout_s):
                log.warning("%s: requests still use the old pipeline; it closes when they end", self.name)
            old.close()

    # -- serving -----------------------------------------------------------------------------

    @contextmanager
    def serving(self, generation: list[GenerationMetrics] | None = None) -> Iterator[Session]:
        """Hold this model's pipeline for one request and record its latency and outcome.

        Requests are admitted first come, first served; one that finds the model unloaded (by a user,
        by idle or max_loaded_models housekeeping) loads it again rather than failing. A failure,
        before or during the work, is counted and re-raised; it never unloads the model. Append the
        request's GenerationMetrics to `generation` to have them recorded too.
        """
        asked = time.perf_counter()
        session = self._admit()
        started = time.perf_counter()
        ok = False
        try:
            yield session
            ok = True
        except GeneratorExit:  # a stream whose consumer left early is not a failure
            ok = True
            raise
        finally:
            self._end_turn(session)
            if session.place is not None:
                session.place.leave()
                session.place = None
            metrics = generation[-1] if generation else None
            self.record_request(session.device, ok, time.perf_counter() - started, started - asked, metrics)
            if self.retired:  # the last request of a replaced engine frees it (the pool sweeps too)
                self.unload_if_idle()

    def record_request(
        self,
        device: str,
        ok: bool,
        latency: float,
        waited: float,
        metrics: GenerationMetrics | None = None,
    ) -> None:
        """Count one request that reached the pipeline (serving() does this; a batching engine calls
        it for each request its batch leader served on the others' behalf)."""
        self._recorder(device).record(latency, ok, metrics)
        task = self.task or self.spec.task
        self._notify(RequestRecord(self.name, task, device, ok, latency, waited, metrics))

    def record_failed_request(self) -> None:
        """Count a request that failed before it reached the pipeline (busy, not loadable, ...)."""
        self._recorder(self.device).record(None, False)
        self._notify(RequestRecord(self.name, self.task or self.spec.task, self.device, False, None, None))

    def _notify(self, record: RequestRecord) -> None:
        """Hand `record` to every observer; an observer's failure never fails the request."""
        for observer in tuple(self.observers):
            try:
                observer(record)
            except Exception as exc:
                log.warning("a request observer of %s failed: %s", self.name, type(exc).__name__)

    def _admit(self) -> Session:
        """Wait for this request's turn and pick up the pipeline; a failure here is counted."""
        try:
            self.ensure_ready()
            session = Session(self.device, self._yield_turn)
            self._take_turn(session)
            return session
        except Exception:
            self.record_failed_request()
            raise

    def _take_turn(self, session: Session) -> None:
        try:
            granted = self._request_lock.acquire(timeout=self.queue_timeout_s, max_waiting=self.max_queue)
        except QueueFull as full:
            raise ModelQueueFull(self.name, full.waiting) from None
        if not granted:
            raise ModelBusy(self.name, self.queue_timeout_s)
        self._begin_turn(session)

    def _yield_turn(self, session: Session) -> None:
        self._return_instance(session)  # the next turn may run on another instance
        session.holds_turn = False  # until the turn comes back (requeue gives it up on timeout)
        if not self._request_lock.requeue(timeout=self.queue_timeout_s):
            raise ModelBusy(self.name, self.queue_timeout_s)
        self._begin_turn(session)

    def _begin_turn(self, session: Session) -> None:
        """The turn was just granted: hand the session the pipeline, or give the turn back.

        A pipeline that serves many requests at once gets the turn back at once: the request takes
        a place in it instead (refused with ModelQueueFull when max_num_seqs + max_queue are taken).
        """
        session.holds_turn = True
        try:
            loaded = self._pick_up_pipeline(session)
            if loaded.serves_many:
                slots = self._serving_slots(loaded)
                limit = None if self.max_queue is None else slots + self.max_queue
                if not loaded.enter(limit):
                    raise ModelQueueFull(self.name, max(0, loaded.users - slots), slots)
                session.place = loaded
                waiting_inside = loaded.users - slots
                session.holds_turn = False
                self._request_lock.release()
                if waiting_inside > 0:  # every sequence is taken: it waits inside the batch for
                    tell_place(waiting_inside - 1)  # one to end (the UI clears it at its first token)
        except BaseException:
            self._end_turn(session)
            raise

    def _end_turn(self, session: Session) -> None:
        """Give back the instance the turn borrowed, then the turn (in that order: whoever gets
        the permit next must find an instance free)."""
        self._return_instance(session)
        if session.holds_turn:
            session.holds_turn = False
            self._request_lock.release()

    @staticmethod
    def _return_instance(session: Session) -> None:
        if session.lease is not None:
            loaded, index = session.lease
            session.lease = None
            loaded.give_back(index)

    def _pick_up_pipeline(self, session: Session) -> _Loaded:
        """With the turn held: the current pipeline (a free instance of a plain one), loaded again if
        it was unloaded meanwhile (or built afresh if it broke)."""
        loaded = self._loaded
        if loaded is not None and getattr(loaded.pipeline, "broken", False):
            loaded = self._replace_broken(loaded)
        if loaded is None:
            log.info("%s was unloaded while a request waited: loading it again", self.name)
            loaded = self._load_if_needed()
        if loaded.serves_many:
            session.pipeline = loaded.pipeline
        else:
            index, session.pipeline = loaded.lend()
            session.lease = (loaded, index)
        session.device = loaded.device
        self.last_used = time.monotonic()
        return loaded

    def _replace_broken(self, broken: _Loaded) -> _Loaded | None:
        """A pipeline that can no longer serve (a failed batching step): build a fresh one."""
        with self._load_lock:
            if self._loaded is broken:
                log.warning("%s: its pipeline failed; building a fresh one", self.name)
                self._drop_pipeline()
                self._retired.remove(broken)  # its scheduler has stopped; nothing to wait for
                self._load_fresh(self.device)
            return self._loaded

    def _load_if_needed(self) -> _Loaded:
        """The loaded pipeline, loading it on the current device if there is none (concurrent callers
        load once); a model whose last load failed raises ModelLoadFailed with the reason."""
        with self._load_lock:
            if self._loaded is None:
                if self.state is State.FAILED:
                    raise ModelLoadFailed(self.name, self.device, self.error or "unknown error")
                self._load_fresh(self.device)
            assert self._loaded is not None  # _load_fresh installs it or raises
            return self._loaded

    def adopt_stats(self, previous: Engine) -> None:
        """Keep counting where `previous` (the engine this one replaces) counted: one row per model."""
        with previous._stats_lock:
            self._stats = previous._stats
            self._stats_lock = previous._stats_lock

    def disk_bytes(self) -> int:
        """The size of the model's files on disk (0 without a folder of its own); read once."""
        if self._disk_bytes is None:
            folder = self.spec.path
            total = 0
            if folder is not None and Path(folder).is_dir():
                total = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
            self._disk_bytes = total
        return self._disk_bytes

    def _recorder(self, device: str) -> StatsRecorder:
        with self._stats_lock:
            return self._stats.setdefault(device, StatsRecorder())

    # -- reporting ---------------------------------------------------------------------------

    def stats(self, device: str | None = None) -> StatsSnapshot:
        """Statistics on `device` (default: the current one); reading creates no row."""
        with self._stats_lock:
            recorder = self._stats.get(device or self.device)
        return recorder.snapshot() if recorder is not None else StatsSnapshot()

    def stats_by_device(self) -> dict[str, StatsSnapshot]:
        """One snapshot per device that has served (or failed) at least one request."""
        with self._stats_lock:
            recorders = dict(self._stats)
        snapshots = {device: rec.snapshot() for device, rec in recorders.items()}
        return {device: snap for device, snap in snapshots.items() if snap.requests}

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
            version=self.version,
            memory_mb=None if not self.memory_bytes else round(self.memory_bytes / 2**20, 1),
        )


def _resident_bytes() -> int:
    """The process's resident memory now."""
    import psutil

    return int(psutil.Process().memory_info().rss)


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
