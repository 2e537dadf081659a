"""One model's Ray Serve application: deploy it, call and stream through its DeploymentHandle,
delete it. A `ModelDeployment` is the proxy engine's "pipeline" (engines/base.py): it serves many
requests at once (`serves_many`, up to `max_num_seqs` over all replicas; Serve queues the rest).

The application is named after the model and has no HTTP route (the app calls it by handle).
Deploying a name again updates that application in place (Serve replaces the replicas); closing a
deployment that a newer one of the same name has replaced (a move, a rebuild) leaves it running.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from ..config import AnySpec, GenerativeSpec
from ..generation import Delta, Finished
from ..stats import GenerationMetrics
from .errors import mapped, replica_gone

T = TypeVar("T")

log = logging.getLogger(__name__)

# How long a deploy may take before it is called failed: replicas load their model (minutes for a
# large one on a slow disk), and Ray may wait for a node with the resources they ask for.
DEPLOY_TIMEOUT_S = 600.0
# Tries of a request whose replica died before answering (Serve routes the next try elsewhere).
TRIES = 3

_current: dict[str, ModelDeployment] = {}  # model name -> its deployment in this process
_current_lock = threading.Lock()
_deploy_lock = threading.Lock()  # one serve.run at a time (two models loaded at once)


def replica_slots(spec: AnySpec) -> int:
    """How many requests one replica serves at once: a batching LLM or VLM its max_num_seqs, a
    dynamic-batching embedding model or reranker a few per pipeline (so that they can share a
    call), others one per pipeline instance."""
    if isinstance(spec, GenerativeSpec):
        on = spec.batching.enabled and "NPU" not in (spec.device or "").upper()
        return spec.batching.max_num_seqs if on else 1
    if spec.task in ("embedding", "rerank") and getattr(spec, "batching", False):
        return spec.instances * 4
    return spec.instances


def deployment_options(name: str, spec: AnySpec) -> dict[str, Any]:
    """Serve's options for the model's deployment, from its models.yaml entry."""
    options: dict[str, Any] = {"name": name, "max_ongoing_requests": replica_slots(spec)}
    if spec.autoscaling is not None:
        options["autoscaling_config"] = spec.autoscaling.model_dump()
    else:
        options["num_replicas"] = spec.replicas or 1
    if spec.ray_actor_options is not None:
        actor = spec.ray_actor_options.model_dump(exclude_none=True)
        if not actor.get("resources"):
            actor.pop("resources", None)
        options["ray_actor_options"] = actor
    return options


def deploy(name: str, spec: AnySpec, properties: dict[str, Any], queue_timeout_s: float) -> ModelDeployment:
    """Run (or update) the model's application and wait, bounded, until its replicas are running.
    Raises RuntimeError with Serve's reason when the replicas fail to start: a first deployment is
    then deleted, and an update (a move, a rebuild) puts the deployment it replaced back."""
    from ray import serve

    from .deployment import ModelReplica

    app = serve.deployment(ModelReplica).options(**deployment_options(name, spec))
    bound = app.bind(name, spec.model_dump(mode="json"), properties, queue_timeout_s)
    started = time.monotonic()
    with _current_lock:
        previous = _current.get(name)
    handle = _run(name, bound)
    try:
        _wait_running(name, DEPLOY_TIMEOUT_S)
    except Exception:
        if previous is None:
            serve.delete(name)  # nothing half-started is left behind
        else:  # the model goes on serving as it did (engines/base.py: swap only on success)
            log.warning("%s: the new deployment failed; putting the previous one back", name)
            _run(name, previous.application)
        raise
    replicas = spec.autoscaling.max_replicas if spec.autoscaling is not None else (spec.replicas or 1)
    deployment = ModelDeployment(name, handle, replica_slots(spec) * replicas)
    deployment.application = bound
    deployment.info = deployment.ask("info")
    with _current_lock:
        _current[name] = deployment
    log.info("deployed %s on Ray Serve in %.1f s", name, time.monotonic() - started)
    return deployment


def _run(name: str, application: Any) -> Any:
    """serve.run without waiting for the replicas (deploy waits, bounded); its DeploymentHandle."""
    from ray import serve

    with _deploy_lock:
        target = serve.RunTarget(application, name=name, route_prefix=None)
        return serve.run_many([target], wait_for_applications_running=False)[0]


def _wait_running(name: str, timeout_s: float) -> None:
    from ray import serve
    from ray.serve.schema import ApplicationStatus

    deadline = time.monotonic() + timeout_s
    while True:
        app = serve.status().applications.get(name)
        if app is None:
            raise RuntimeError(f"the Ray Serve application {name!r} disappeared while it was deployed")
        if app.status == ApplicationStatus.RUNNING:
            return
        if app.status == ApplicationStatus.DEPLOY_FAILED:
            raise RuntimeError(f"its replicas failed to start: {failure_reason(app)}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"its replicas were not running after {timeout_s:.0f} s ({failure_reason(app)}); check "
                "that the cluster has the resources ray_actor_options asks for"
            )
        time.sleep(0.25)


def failure_reason(app: Any) -> str:
    """The useful line of Serve's message about a failed deployment: the reason the replica's
    engine gave (ReplicaLoadFailed), else the last line naming an error, else the first line."""
    texts = [app.message, *(d.message for d in app.deployments.values())]
    lines = [ln.strip() for text in texts for ln in (text or "").splitlines() if ln.strip()]
    for line in reversed(lines):
        if "ReplicaLoadFailed: " in line:
            return line.split("ReplicaLoadFailed: ", 1)[1]
    for line in reversed(lines):
        if "Error" in line:
            return line[:500]
    return lines[0][:500] if lines else "no reason given"


class ModelDeployment:
    """A deployed model as its proxy engine uses it (see the module doc)."""

    serves_many = True  # the engine takes a place per request, not an exclusive turn
    broken = False  # Serve replaces failed replicas itself

    def __init__(self, name: str, handle: Any, max_num_seqs: int):
        self.name = name
        self.handle = handle
        self.max_num_seqs = max_num_seqs
        self.info: dict[str, Any] = {}  # a replica's info() after the deploy
        self.application: Any = None  # what serve.run deployed (put back if an update fails)
        self.served_by: Counter[str] = Counter()  # requests per replica id, sent by this process
        self._lock = threading.Lock()

    def _count(self, replica: str) -> None:
        with self._lock:
            self.served_by[replica] += 1

    def ask(self, what: str) -> dict[str, Any]:
        """One replica's `info` or `activity` (whichever replica Serve picks)."""
        try:
            return dict(blocking(getattr(self.handle, what).remote().result))
        except Exception as exc:
            raise mapped(self.name, exc) from None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call the engine's `method` on one replica; tried again on another when the replica dies
        before answering."""
        for attempt in range(TRIES):
            try:
                replica, value = blocking(self.handle.call.remote(method, args, kwargs).result)
            except Exception as exc:
                if replica_gone(exc) and attempt + 1 < TRIES:
                    log.warning("%s: a replica died during a request; trying another", self.name)
                    continue
                raise mapped(self.name, exc) from None
            self._count(replica)
            return value
        raise AssertionError("unreachable")  # the last try returns or raises

    def stream(
        self, method: str, args: tuple[Any, ...], cancel: threading.Event | None = None
    ) -> Iterator[Delta | Finished]:
        """Stream `method`'s events from one replica. Setting `cancel`, or closing this generator,
        cancels the replica's stream (its engine stops at the next token); with `cancel` the
        stream ends with a Finished(stopped=True) of the text received."""
        started = time.perf_counter()
        if cancel is not None and cancel.is_set():  # cancelled while it waited: no work
            yield _stopped([], started, self.info.get("device", ""))
            return
        for attempt in range(TRIES):
            response = self.handle.options(stream=True).stream.remote(method, args, {})
            pieces: list[str] = []
            finished = False
            try:
                events = iter(response)
                self._count(blocking(partial(next, events)))  # the replica's id comes first
                for event in _pulled(events):
                    if isinstance(event, Delta):
                        pieces.append(event.text)
                    finished = isinstance(event, Finished)
                    yield event
                    if not finished and cancel is not None and cancel.is_set():
                        yield _stopped(pieces, started, self.info.get("device", ""))
                        return
                return
            except Exception as exc:
                if not pieces and replica_gone(exc) and attempt + 1 < TRIES:
                    log.warning("%s: a replica died before streaming; trying another", self.name)
                    continue
                raise mapped(self.name, exc) from None
            finally:
                if not finished:
                    response.cancel()  # a Stop, a closed consumer or an error: end it on the replica

    def close(self, timeout: float | None = None) -> None:
        """Delete the application, unless a newer deployment of this model has replaced it."""
        with _current_lock:
            if _current.get(self.name) is not self:
                return
            del _current[self.name]
        from ray import serve

        try:
            serve.delete(self.name)
        except Exception as exc:  # Ray gone (a shutdown): nothing left to delete from here
            log.warning("deleting the Ray Serve deployment of %s failed: %s", self.name, type(exc).__name__)
            return
        log.info("deleted the Ray Serve deployment of %s", self.name)


_helpers: ThreadPoolExecutor | None = None
_helpers_lock = threading.Lock()


def blocking(wait: Callable[[], T]) -> T:
    """`wait()`, which blocks on Ray. Ray's handles refuse to block in a thread whose asyncio event
    loop is running (an async framework calling the service directly; Playwright's sync API in the
    tests): there it blocks in a helper thread instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return wait()
    global _helpers
    with _helpers_lock:
        if _helpers is None:  # made on first need: no threads at import time
            _helpers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ray-wait")
    return _helpers.submit(wait).result()


def _pulled(events: Iterator[Any]) -> Iterator[Any]:
    """The rest of a replica's stream, each piece pulled through `blocking`."""
    done = object()
    while (event := blocking(partial(next, events, done))) is not done:
        yield event


def _stopped(pieces: list[str], started: float, device: str) -> Finished:
    """The end of a stream its caller stopped: the text received; speed counted in pieces."""
    elapsed = time.perf_counter() - started
    n = len(pieces)
    metrics = GenerationMetrics(0.0, 0.0, n / elapsed if elapsed > 0 else 0.0, n, 0)
    return Finished(text="".join(pieces), metrics=metrics, device=device, stopped=True)
