"""Fair admission to a pipeline: a lock granted strictly in arrival order, and the session through
which a request holds it.

A plain `threading.Lock` wakes an arbitrary waiter, so a request that arrives late may overtake one
that has waited for minutes, and a long request that releases and re-takes the lock between pieces
of its work usually wins it back at once. `FairLock` hands the lock out by ticket instead: first
come, first served. `requeue()` lets a holder give its turn to everyone already waiting and join
the back of the queue, which is how long multi-piece requests take turns with short ones.
`acquire(max_waiting=N)` bounds the queue: a caller that would be the N+1th waiter is refused at
once (QueueFull) rather than waiting; `requeue()` and `first=True` are never refused, since they
belong to work already admitted or to housekeeping.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any


class QueueFull(Exception):
    """`FairLock.acquire` refused a caller: `waiting` callers already queue, the most allowed."""

    def __init__(self, waiting: int):
        super().__init__(f"{waiting} callers already wait")
        self.waiting = waiting


class FairLock:
    """A mutual-exclusion lock granted in FIFO order, with timeouts and turn-taking."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._waiting: deque[object] = deque()  # tickets; the head is served next
        self._held = False

    def acquire(
        self, timeout: float | None = None, *, first: bool = False, max_waiting: int | None = None
    ) -> bool:
        """Take the lock after everyone who asked before; False if `timeout` seconds pass first.

        `timeout=None` waits forever; `timeout=0` only takes a free lock nobody waits for.
        `first=True` jumps the queue (for housekeeping that must only wait for the holder).
        `max_waiting`: raise QueueFull at once, without waiting, if that many callers already
        wait (None: no bound; 0: only a free lock is taken). Ignored with `first=True`.
        """
        with self._cond:
            if not self._held and not self._waiting:
                self._held = True
                return True
            if timeout is not None and timeout <= 0:
                return False
            if not first and max_waiting is not None and len(self._waiting) >= max_waiting:
                raise QueueFull(len(self._waiting))
            return self._wait_for_turn(timeout, first)

    def release(self) -> None:
        with self._cond:
            if not self._held:
                raise RuntimeError("release of an unlocked FairLock")
            self._held = False
            self._cond.notify_all()

    def requeue(self, timeout: float | None = None) -> bool:
        """Held: let everyone waiting now go first, then take the lock again (False on timeout).

        Keeps the lock without a pause when nobody waits. On False the lock is no longer held.
        """
        with self._cond:
            if not self._held:
                raise RuntimeError("requeue of an unlocked FairLock")
            if not self._waiting:
                return True
            self._held = False
            self._cond.notify_all()
            return self._wait_for_turn(timeout, first=False)

    def locked(self) -> bool:
        """True while someone holds the lock."""
        return self._held

    def waiting(self) -> int:
        """How many callers are queued for the lock (not counting the holder)."""
        with self._cond:
            return len(self._waiting)

    def busy(self) -> bool:
        """True while someone holds the lock or waits for it."""
        with self._cond:
            return self._held or bool(self._waiting)

    def _wait_for_turn(self, timeout: float | None, first: bool) -> bool:
        """Queue a ticket and wait until it is at the head and the lock is free (call with _cond held)."""
        ticket = object()
        if first:
            self._waiting.appendleft(ticket)
        else:
            self._waiting.append(ticket)
        deadline = None if timeout is None else time.monotonic() + timeout
        granted = False
        try:
            while self._held or self._waiting[0] is not ticket:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            self._held = granted = True
            return True
        finally:
            self._waiting.remove(ticket)
            if not granted:  # the head may have changed: the next ticket may now go
                self._cond.notify_all()


class Session:
    """One request's hold on an engine's pipeline, from `Engine.serving()`.

    `pipeline` and `device` are those of the current turn; after `yield_turn()` they may differ
    (the model was moved, or unloaded and loaded again, while other requests had their turn).
    """

    def __init__(self, device: str, on_yield: Callable[[Session], None]):
        self.pipeline: Any = None
        self.device = device
        self.holds_turn = False
        self.place: Any = None  # a place in a pipeline that serves many requests (engines.base)
        self._on_yield = on_yield

    def yield_turn(self) -> None:
        """Between two pieces of work: if another request waits, let it (and everyone queued before
        it) go first, then continue with the current pipeline. Free when nobody waits.

        Raises ModelBusy if the turn does not come back within the engine's queue timeout.
        """
        self._on_yield(self)
