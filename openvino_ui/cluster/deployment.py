"""The replica: one Ray Serve replica of one model, wrapping the model's local engine.

Ray Serve builds `ModelReplica` on a node of its choice from the model's spec (a JSON dict: it
crosses the process boundary) and the proxy calls it through a DeploymentHandle:

* `call(method, args, kwargs)`: a unary method of the local engine (embed, rerank, transcribe,
  synthesize); returns (this replica's id, the result). Serve runs it in a thread of the replica,
  so up to max_ongoing_requests run at once and the engine's own admission and batching apply.
* `stream(method, args, kwargs)`: an async generator for `handle.options(stream=True)`: first this
  replica's id, then the engine's Delta and Finished events. The engine's blocking generator runs
  in a thread of its own; when the caller cancels (a Stop, a closed connection), Serve cancels this
  generator and the engine's `cancel` event is set, which frees the sequence at the next step.

Ray is imported only inside the methods that run on a replica: importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import TypeAdapter

from ..config import AnySpec, ModelSpec
from ..engines import engine_class
from ..engines.base import Engine, State
from ..errors import ModelLoadFailed, UserError
from ..generation import Finished
from .errors import RemoteUserError

log = logging.getLogger(__name__)

UNARY = frozenset({"embed", "rerank", "transcribe", "synthesize"})
STREAMS = frozenset({"stream", "complete"})
_DONE = object()


def local_spec(data: dict[str, Any]) -> AnySpec:
    """The model's spec rebuilt from its JSON form, without the Ray keys: a replica runs the local
    engine of its task, never another deployment."""
    spec = TypeAdapter(ModelSpec).validate_python(data)
    return spec.model_copy(update={"replicas": None, "autoscaling": None, "ray_actor_options": None})


class ReplicaLoadFailed(RuntimeError):
    """The replica's engine failed to load; the proxy finds this name in Serve's message."""


class _Raised:
    def __init__(self, error: BaseException):
        self.error = error


class ModelReplica:
    """Serve's deployment class (serve.deployment(ModelReplica) in handle.py)."""

    def __init__(self, name: str, spec: dict[str, Any], properties: dict[str, Any], queue_timeout_s: float):
        import ray
        from ray import serve

        local = local_spec(spec)
        self.engine: Engine = engine_class(local)(
            name, local, properties=properties, queue_timeout_s=queue_timeout_s
        )
        try:
            self.engine.load()
        except ModelLoadFailed as exc:  # fails the replica: Serve retries, then reports the reason
            raise ReplicaLoadFailed(exc.reason) from None
        self.replica_id = serve.get_replica_context().replica_id.unique_id
        self.node_id = ray.get_runtime_context().get_node_id()
        self._lock = threading.Lock()
        self._active = 0  # streams running on this replica
        self._stopped = 0  # streams ended by their caller (a Stop or a cancelled response)
        self._served = 0  # requests served, streams included

    def info(self) -> dict[str, Any]:
        """Where this replica runs and what its engine can do (read by the proxy after a deploy)."""
        return {
            "replica": self.replica_id,
            "node": self.node_id,
            "device": self.engine.device,
            "word_timestamps": getattr(self.engine, "word_timestamps_available", None),
        }

    def activity(self) -> dict[str, Any]:
        """Streams running and stopped, requests served: how tests and operators see cancellation."""
        with self._lock:
            return {
                "replica": self.replica_id,
                "active": self._active,
                "stopped": self._stopped,
                "served": self._served,
            }

    def check_health(self) -> None:
        """Serve's health check: a replica whose engine can no longer load is replaced."""
        if self.engine.state is State.FAILED:
            raise RuntimeError(f"the engine of {self.engine.name} failed: {self.engine.error}")

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, Any]:
        target = self._method(method, UNARY)
        try:
            result = target(*args, **kwargs)
        except UserError as exc:
            raise RemoteUserError.of(exc) from None
        with self._lock:
            self._served += 1
        return self.replica_id, result

    async def stream(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        target = self._method(method, STREAMS)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()

        def put(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(events.put_nowait, item)
            except RuntimeError:  # the loop is closed: the replica is going away
                pass

        def work() -> None:
            stopped = False
            try:
                for event in target(*args, cancel=cancel, **kwargs):
                    stopped = isinstance(event, Finished) and event.stopped
                    put(event)
            except BaseException as exc:  # handed to the generator below
                put(_Raised(exc))
            finally:
                with self._lock:
                    self._active -= 1
                    self._served += 1
                    self._stopped += int(stopped or cancel.is_set())
                put(_DONE)

        with self._lock:
            self._active += 1
        threading.Thread(target=work, name=f"replica-{method}", daemon=True).start()
        try:
            yield self.replica_id
            while True:
                item = await events.get()
                if item is _DONE:
                    return
                if isinstance(item, _Raised):
                    if isinstance(item.error, UserError):
                        raise RemoteUserError.of(item.error) from None
                    raise item.error
                yield item
        finally:
            cancel.set()  # the caller is gone or done: the engine stops at the next token

    def _method(self, method: str, allowed: frozenset[str]) -> Callable[..., Any]:
        if method not in allowed or not hasattr(self.engine, method):
            raise ValueError(f"{self.engine.name} ({self.engine.task}) has no method {method!r} to serve")
        return getattr(self.engine, method)
