"""Our errors across the process boundary between a replica and the proxy engine.

A UserError raised on a replica (a bad request, a busy model) must reach the caller as the same
error, with its text, HTTP status and `param`. Many of them take other arguments than their text
(`ModelBusy(name, waited_s)`), so pickling the error itself fails on the way back; the replica
sends a `RemoteUserError` of plain values instead, and the proxy rebuilds the original class.
Anything else becomes a `ReplicaFailed` naming the deployment and the error's type (not its text,
which may quote the request).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import UserError


class RemoteUserError(Exception):
    """A UserError from a replica, as plain values: its class, its message, its attributes."""

    def __init__(self, module: str, kind: str, message: str, state: dict[str, Any]):
        super().__init__(module, kind, message, state)
        self.module, self.kind, self.message, self.state = module, kind, message, state

    @classmethod
    def of(cls, exc: UserError) -> RemoteUserError:
        state = {k: v for k, v in vars(exc).items() if _plain(v)}
        return cls(type(exc).__module__, type(exc).__qualname__, str(exc), state)

    def rebuilt(self) -> UserError:
        """The original error (its class found again by name), or a plain UserError with its text."""
        kind: type[UserError] = UserError
        if self.module.startswith("openvino_ui."):
            found = getattr(importlib.import_module(self.module), self.kind, None)
            if isinstance(found, type) and issubclass(found, UserError):
                kind = found
        error = kind.__new__(kind)
        Exception.__init__(error, self.message)  # not kind.__init__: it may want other arguments
        error.__dict__.update(self.state)
        return error


class ReplicaFailed(RuntimeError):
    """A replica failed a request with an error of ours that is not a UserError, or Ray failed."""

    def __init__(self, deployment: str, what: str):
        super().__init__(f"the Ray Serve deployment {deployment!r} failed to serve the request: {what}")


def mapped(deployment: str, exc: BaseException) -> Exception:
    """The error to raise for `exc`, which a handle call raised: the UserError the replica raised,
    else a ReplicaFailed naming the original error's type."""
    for error in _chain(exc):
        if isinstance(error, RemoteUserError):
            return error.rebuilt()
    original = getattr(exc, "cause", None) or exc
    return ReplicaFailed(deployment, type(original).__name__)


def replica_gone(exc: BaseException) -> bool:
    """Whether `exc` says the replica died or became unreachable (worth a retry on another one)."""
    from ray.exceptions import ActorUnavailableError, RayActorError

    return isinstance(exc, RayActorError | ActorUnavailableError)


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc`, what Ray wrapped in it (`cause`) and the exceptions it was raised from, bounded."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        current = getattr(current, "cause", None) or current.__cause__
    return seen


def _plain(value: Any) -> bool:
    if isinstance(value, str | int | float | bool) or value is None:
        return True
    return isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value)
