"""Fair admission to a model's pipelines: a lock granted strictly in arrival order, and the session
through which a request holds it.

A plain `threading.Lock` wakes an arbitrary waiter, so a request that arrives late may overtake one
that has waited for minutes, and a long request that releases and re-takes the lock between pieces
of its work usually wins it back at once. `FairLock` hands the lock out by ticket instead: first
come, first served. `requeue()` lets a holder give its turn to everyone already waiting and join
the back of the queue, which is how long multi-piece requests take turns with short ones.
`acquire(max_waiting=N)` bounds the queue: a caller that would be the N+1th waiter is refused at
once (QueueFull) rather than waiting; `requeue()` and `first=True` are never refused, since they
belong to work already admitted or to housekeeping.

A FairLock may have several permits (`FairLock(permits)`, a model's `instances`): that many callers
hold it at once, one per pipeline, and the rest queue as above. `exclusive=True` takes every permit
(housekeeping that must see no request at all: unloading, waiting for replaced pipelines).

A caller that waits can be told its place: `with report_place(callback):` around the call makes
every FairLock the calling thread waits for report how many callers are ahead of it (the UI shows
"2 requests ahead"), and `None` once the wait is over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

# Told the caller's place while it waits: the number of callers queued ahead of it (0: next), then
# None once the wait is over (its turn began, it timed out, or it gave up).
PlaceListener = Callable[[int | None], None]

# A context variable, not an argument: the place is a concern of the UI that started the request,
# while the lock sits several calls down (service -> engine -> serving()). It is read in the thread
# that waits, which is the thread that set it (a Gradio worker), so each request sees its own.
_place_listener: ContextVar[PlaceListener | None] = ContextVar("openvino_ui_place_listener", default=None)


@contextmanager
def report_place(listener: PlaceListener) -> Iterator[None]:
    """While the block runs, tell `listener` this thread's place whenever it waits for a FairLock.

    Set and reset it in one thread, around one blocking call: a generator whose next() calls Gradio
    runs in different threads sets it only around pulling its first item.
    """
    token = _place_listener.set(listener)
    try:
        yield
    finally:
        _place_listener.reset(token)


def tell_place(ahead: int | None) -> bool:
    """Tell this thread's place listener (if report_place set one) `ahead`, for waits that are not a
    FairLock's (a batch's followers, requests waiting inside a continuous batch). Never raises;
    True if a listener was told."""
    listener = _place_listener.get()
    if listener is None:
        return False
    try:
        listener(ahead)
    except Exception as exc:
        log.warning("a queue place listener failed: %s", type(exc).__name__)
    return True


class QueueFull(Exception):
    """`FairLock.acquire` refused a caller: `waiting` callers already queue, the most allowed."""

    def __init__(self, waiting: int):
        super().__init__(f"{waiting} callers already wait")
        self.waiting = waiting


class FairLock:
    """A lock with `permits` holders at most (1: mutual exclusion), granted in FIFO order, with
    timeouts, turn-taking and place reporting."""

    def __init__(self, permits: int = 1) -> None:
        if permits < 1:
            raise ValueError(f"a FairLock needs at least one permit, got {permits}")
        self.permits = permits
        self._cond = threading.Condition(threading.Lock())
        self._waiting: deque[object] = deque()  # tickets; the head is served next
        self._held = 0  # permits taken

    def acquire(
        self,
        timeout: float | None = None,
        *,
        first: bool = False,
        max_waiting: int | None = None,
        exclusive: bool = False,
    ) -> bool:
        """Take a permit after everyone who asked before; False if `timeout` seconds pass first.

        `timeout=None` waits forever; `timeout=0` only takes a free permit nobody waits for.
        `first=True` jumps the queue (for housekeeping that must only wait for the holders).
        `max_waiting`: raise QueueFull at once, without waiting, if that many callers already
        wait (None: no bound; 0: only a free permit is taken). Ignored with `first=True`.
        `exclusive=True` takes every permit, once no one holds any; release it with
        `release(exclusive=True)`.
        """
        need = self.permits if exclusive else 1
        with self._cond:
            if self._held + need <= self.permits and not self._waiting:
                self._held += need
                return True
            if timeout is not None and timeout <= 0:
                return False
            if not first and max_waiting is not None and len(self._waiting) >= max_waiting:
                raise QueueFull(len(self._waiting))
            return self._wait_for_turn(timeout, first, need)

    def release(self, *, exclusive: bool = False) -> None:
        """Give back one permit (every permit, after an exclusive acquire)."""
        need = self.permits if exclusive else 1
        with self._cond:
            if self._held < need:
                raise RuntimeError("release of an unlocked FairLock")
            self._held -= need
            self._cond.notify_all()

    def requeue(self, timeout: float | None = None) -> bool:
        """Held: let everyone waiting now go first, then take a permit again (False on timeout).

        Keeps the permit without a pause when nobody waits. On False the permit is no longer held.
        """
        with self._cond:
            if not self._held:
                raise RuntimeError("requeue of an unlocked FairLock")
            if not self._waiting:
                return True
            self._held -= 1
            self._cond.notify_all()
            return self._wait_for_turn(timeout, first=False, need=1)

    def locked(self) -> bool:
        """True while someone holds a permit."""
        return self._held > 0

    def holders(self) -> int:
        """How many permits are taken."""
        return self._held

    def waiting(self) -> int:
        """How many callers are queued for the lock (not counting the holders)."""
        with self._cond:
            return len(self._waiting)

    def busy(self) -> bool:
        """True while someone holds a permit or waits for one."""
        with self._cond:
            return self._held > 0 or bool(self._waiting)

    def _wait_for_turn(self, timeout: float | None, first: bool, need: int) -> bool:
        """Queue a ticket and wait until it is at the head and `need` permits are free (call with
        _cond held). Tells the thread's place listener, if any, where the ticket stands."""
        ticket = object()
        if first:
            self._waiting.appendleft(ticket)
        else:
            self._waiting.append(ticket)
        listener = _place_listener.get()
        reported: int | None = None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._held + need > self.permits or self._waiting[0] is not ticket:
                if listener is not None:
                    ahead = self._waiting.index(ticket)
                    if ahead != reported:
                        reported = ahead
                        self._tell(listener, ahead)
                        continue  # the queue may have moved while the lock was let go
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            self._held += need
            return True
        finally:
            self._waiting.remove(ticket)
            # The queue moved: the next ticket may go now (a free permit, or this one gave up),
            # and every waiter's place changed (those that report it look again).
            if self._waiting:
                self._cond.notify_all()
            if reported is not None and listener is not None:
                self._tell(listener, None)

    def _tell(self, listener: PlaceListener, place: int | None) -> None:
        """Call `listener` without holding the lock (it may block, e.g. on a UI queue); a failing
        listener never fails the request that waits."""
        self._cond.release()
        try:
            listener(place)
        except Exception as exc:
            log.warning("a queue place listener failed: %s", type(exc).__name__)
        finally:
            self._cond.acquire()


class Session:
    """One request's hold on an engine's pipeline, from `Engine.serving()`.

    `pipeline` and `device` are those of the current turn; after `yield_turn()` they may differ
    (the model was moved, or unloaded and loaded again, while other requests had their turn, or
    another of its `instances` was free).
    """

    def __init__(self, device: str, on_yield: Callable[[Session], None]):
        self.pipeline: Any = None
        self.device = device
        self.holds_turn = False
        self.place: Any = None  # a place in a pipeline that serves many requests (engines.base)
        self.lease: Any = None  # the instance of a pipeline pool lent for this turn (engines.base)
        self._on_yield = on_yield

    def yield_turn(self) -> None:
        """Between two pieces of work: if another request waits, let it (and everyone queued before
        it) go first, then continue with a pipeline of the model. Free when nobody waits.

        Raises ModelBusy if the turn does not come back within the engine's queue timeout.
        """
        self._on_yield(self)
