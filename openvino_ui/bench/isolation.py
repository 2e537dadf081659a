"""Peers in child processes: a peer that crashes fails its case instead of the bench.

A peer's native code can kill the process it runs in: llama.cpp's AMX matmul dies with SIGILL
where the OS does not grant the tile state, and any peer can be killed by the kernel when memory
runs out. In the bench's own process that ended the whole run with no output and no results, so
every peer library (llama-cpp-python, PyTorch, sentence-transformers, onnxruntime, faster-whisper)
runs behind an `IsolatedRunner`: the runner object itself is built and kept in a child process
started with the "spawn" method (a fresh interpreter: nothing of the parent's OpenVINO or thread
pools is shared), loaded once per case, and every call to it (`run()`, the quality checks'
`embed()`, `greedy()`, ...) is one request over a pipe. Timings are taken inside the child around
the same calls as before, so the figures mean the same; the pipe's cost lies outside them.

What crosses the process boundary, all by pickle:
  parent -> child: the runner's factory (a class or function, pickled by its module and name, so it
                   must be importable), its arguments (paths, the thread count, options) and, per
                   call, the method's name and arguments; plus `env`, set in the child before the
                   factory's module is imported.
  child -> parent: return values (dicts of floats, arrays, token lists, strings), plain attribute
                   values (`weight_bytes`), and a Python exception as its type, message and
                   traceback (as text: the parent never imports the peer's modules).
Nothing else is shared. Thread counts reach the child as the factory's arguments (`n_threads`,
`torch.set_num_threads`, onnxruntime's session options, `cpu_threads`), exactly as the in-process
runner received them; the child inherits the parent's environment (GLIBC_TUNABLES for huge-page
malloc, OMP_*/MKL_* if the user set them), and `env` adds what a case sets for its peer alone.

A child that dies (a signal, or exit without an answer) raises `PeerCrashed` naming the signal and
its likely cause; one that does not answer within the case's bound is killed and raises
`PeerTimedOut`; a Python exception in the child raises `PeerError`. All are RuntimeErrors, which
`core.run_case` records as the case's error while the run goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection, wait
from typing import Any, NoReturn

log = logging.getLogger(__name__)

# The bound on one case's peer: from starting its child to its last answer. The slowest case on
# 2 cores takes about 4 minutes (records in benchmarks/results/); the bound only catches a hung peer.
DEFAULT_TIMEOUT_S = 1800.0
_CLOSE_S = 30.0  # for the peer's close() and the child's exit at the end of a case
_settings = {"timeout_s": DEFAULT_TIMEOUT_S}

# Why a signal probably came: the kernel's and the runtimes' usual reasons for each.
_SIGNAL_CAUSES = {
    "SIGILL": "illegal instruction: the peer's build uses CPU instructions this machine or OS does not allow",
    "SIGKILL": "likely out of memory",
    "SIGSEGV": "segmentation fault: a memory error in the peer's native code",
    "SIGBUS": "bus error: a bad memory access in the peer's native code",
    "SIGABRT": "aborted: the peer's native code called abort(), often a failed assertion",
    "SIGFPE": "arithmetic error in the peer's native code",
    "SIGTERM": "terminated from outside",
}


class PeerFailed(RuntimeError):
    """A peer in its child process failed; the message says which peer, during what, and why."""


class PeerCrashed(PeerFailed):
    """The child died: killed by a signal, or exited without answering."""


class PeerTimedOut(PeerFailed):
    """The child did not answer within the case's bound and was killed."""


class PeerError(PeerFailed):
    """A Python exception in the child, by type and message; `child_traceback` holds its traceback."""

    def __init__(self, message: str, type_name: str = "", child_traceback: str = ""):
        super().__init__(message)
        self.type_name, self.child_traceback = type_name, child_traceback


class _RemoteTraceback(Exception):
    """The child's traceback, chained as the cause so the record's traceback shows it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def set_timeout(seconds: float) -> None:
    """The bound for peers started from now on (`bench --peer-timeout`): the cases build their
    runners inside `make(threads)`, which has no room for run options."""
    if seconds <= 0:
        raise ValueError("the peer timeout must be positive")
    _settings["timeout_s"] = float(seconds)


def exit_reason(exitcode: int | None) -> str:
    """'killed by SIGILL (illegal instruction: ...)', 'exited with status 3', ..."""
    if exitcode is None:
        return "did not exit"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"killed by signal {-exitcode}"
        cause = _SIGNAL_CAUSES.get(name)
        return f"killed by {name} ({cause})" if cause else f"killed by {name} (signal {-exitcode})"
    return f"exited with status {exitcode}"


def _describe(exc: BaseException) -> tuple[str, str, str]:
    """(qualified type name, message, traceback) of an exception, as text."""
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    return name, str(exc), "".join(traceback.format_exception(exc))


def _child_main(conn: Connection, payload: bytes, env: dict[str, str]) -> None:
    """The child: build the runner, then answer requests until told to close or the parent is gone.

    Replies: ("ok", value), ("method",) for a callable attribute, ("missing",) for an absent one,
    ("error", type name, message, traceback)."""
    # Ctrl-C reaches the whole process group: the parent decides, and ends this child when it exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)  # before the factory's module (and the peer's libraries) is imported
    try:
        factory, args, kwargs = pickle.loads(payload)
        runner = factory(*args, **kwargs)
    except BaseException as exc:  # reported, not raised: the parent records it
        conn.send(("error", *_describe(exc)))
        return
    conn.send(("ok", None))  # loaded
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):  # the parent is gone: nobody to answer
            return
        op = request[0]
        try:
            if op == "call":
                _, name, call_args, call_kwargs = request
                reply: tuple[Any, ...] = ("ok", getattr(runner, name)(*call_args, **call_kwargs))
            elif op == "getattr":
                try:
                    value = getattr(runner, request[1])
                except AttributeError:
                    reply = ("missing",)
                else:
                    reply = ("method",) if callable(value) else ("ok", value)
            elif op == "close":
                close = getattr(runner, "close", None)
                reply = ("ok", close() if callable(close) else None)
            else:
                raise ValueError(f"unknown request {op!r}")
        except BaseException as exc:  # the peer's exception goes back to the parent's case
            reply = ("error", *_describe(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # an answer that does not pickle: say so instead
            conn.send(("error", *_describe(exc)))
        if op == "close":  # answered, even if close() raised: this child's work is done
            return


class IsolatedRunner:
    """A bench Runner whose real runner, `factory(*args, **kwargs)`, lives in a spawned child.

    `run()` and `close()` are forwarded; so is any other public attribute: methods become calls in
    the child (`peer.embed(texts)`), plain values are read from it (`peer.weight_bytes`).
    `timeout_s` bounds the child's whole life from its start (default: `set_timeout`'s)."""

    def __init__(
        self,
        factory: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        label: str | None = None,
    ):
        self.factory = factory
        self.label = label or getattr(factory, "__qualname__", repr(factory))
        self.timeout_s = float(timeout_s if timeout_s is not None else _settings["timeout_s"])
        self._methods: set[str] = set()
        self._closed = False
        payload = pickle.dumps((factory, tuple(args), dict(kwargs or {})))
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe(duplex=True)
        # daemon: a bench that stops (Ctrl-C, an error) takes its peers down with it
        self._process = ctx.Process(
            target=_child_main,
            args=(child_conn, payload, dict(env or {})),
            name=f"bench-peer-{self.label}",
            daemon=True,
        )
        self._deadline = time.monotonic() + self.timeout_s
        self._process.start()
        child_conn.close()  # only the child holds its end: its death then reads as EOF here
        try:
            self._reply_raw("loading")
        except BaseException:
            self._stop(grace_s=5.0)  # after an exception the child is on its way out by itself
            raise

    # --- the pipe -------------------------------------------------------------------------------

    def _request(self, what: str, *message: Any) -> tuple[Any, ...]:
        if self._closed:
            raise PeerFailed(f"peer {self.label}: {what} after close")
        try:
            self._conn.send(message)
        except (BrokenPipeError, EOFError, OSError):
            self._crashed(what)
        return self._reply_raw(what)

    def _reply_raw(self, what: str) -> tuple[Any, ...]:
        """The child's next answer; raises PeerCrashed, PeerTimedOut or PeerError instead."""
        remaining = max(0.0, self._deadline - time.monotonic())
        ready = wait([self._conn, self._process.sentinel], timeout=remaining)
        if self._conn in ready:
            try:
                reply = self._conn.recv()
            except (EOFError, OSError):  # died mid-answer or before it
                self._crashed(what)
            if reply[0] == "error":
                _, type_name, message, child_tb = reply
                error = PeerError(
                    f"peer {self.label} raised {type_name}: {message} (during {what})", type_name, child_tb
                )
                raise error from _RemoteTraceback(child_tb)
            return tuple(reply)
        if not ready:
            self._stop()
            raise PeerTimedOut(
                f"peer {self.label} timed out: no answer to {what} within the case's {self.timeout_s:g} s "
                "bound (bench --peer-timeout); its process was killed"
            )
        self._crashed(what)

    def _crashed(self, what: str) -> NoReturn:
        self._process.join(5)
        reason = exit_reason(self._process.exitcode)
        self._stop()
        raise PeerCrashed(f"peer {self.label}: its process {reason} during {what}")

    def _stop(self, grace_s: float = 0.0) -> None:
        """Wait up to `grace_s` for the child to exit, kill it if it still runs, release the pipe."""
        self._closed = True
        self._process.join(grace_s)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)
        self._conn.close()

    # --- the Runner interface and forwarding --------------------------------------------------------

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """`runner.name(*args, **kwargs)` in the child; its return value."""
        return self._request(f"{name}()", "call", name, args, kwargs)[1]

    def run(self) -> dict[str, float]:
        return self.call("run")

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this proxy does not have itself; private ones are not forwarded
        # (pickle, copy and friends probe dunders, and half-built proxies must not recurse).
        if name.startswith("_") or "_methods" not in self.__dict__:
            raise AttributeError(name)
        if name not in self._methods:
            reply = self._request(f"reading .{name}", "getattr", name)
            if reply[0] == "missing":
                raise AttributeError(f"peer {self.label} has no attribute {name!r}")
            if reply[0] == "ok":
                return reply[1]
            self._methods.add(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        return method

    def close(self) -> None:
        """The runner's close() in the child, then the child's exit; best effort, bounded."""
        if self._closed:
            return
        self._deadline = min(self._deadline, time.monotonic() + _CLOSE_S)
        try:
            self._request("close()", "close")
        except PeerFailed as exc:  # the case's figures are already taken; only log it
            log.warning("%s", exc)
        finally:
            self._stop(grace_s=max(0.0, self._deadline - time.monotonic()))


def isolated(factory: Callable[..., Any], *args: Any, **kwargs: Any) -> IsolatedRunner:
    """`factory(*args, **kwargs)` as a runner in its own child process, with the default bound."""
    return IsolatedRunner(factory, args, kwargs)
