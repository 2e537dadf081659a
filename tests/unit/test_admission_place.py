"""Issue 13, "the UI shows a waiting request's place in the queue": FairLock tells the listener that
`report_place` set in the waiting thread how many callers are ahead, each time that changes, and
None once the wait is over; outside the lock, never across threads, and never failing a request.
The UI side (ui/common.py) turns the places into gr.Progress text.

Deterministic: the test holds the lock or the model and waits for reported states, never for time."""

import threading
from typing import Any

import pytest

from openvino_ui.engines.admission import FairLock, report_place
from openvino_ui.errors import ModelBusy

from .fakes import Turns, fake_pool, finish, reset_fakes, start, wait_until


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()


class Places:
    """A listener that records the places it is told (thread-safe: read by the test)."""

    def __init__(self) -> None:
        self.seen: list[int | None] = []
        self._lock = threading.Lock()

    def __call__(self, ahead: int | None) -> None:
        with self._lock:
            self.seen.append(ahead)

    def now(self) -> list[int | None]:
        with self._lock:
            return list(self.seen)


def take_and_release(lock: FairLock, gate: threading.Event | None = None) -> bool:
    assert lock.acquire(timeout=10)
    if gate is not None:
        assert gate.wait(10)
    lock.release()
    return True


def test_each_waiter_is_told_its_place_as_it_moves_up_then_none():
    lock = FairLock()
    assert lock.acquire()
    gates = [threading.Event() for _ in range(3)]
    places = [Places() for _ in range(3)]
    threads = []
    for i in range(3):
        threads.append(start(take_and_release, lock, gates[i], places=places[i])[0])
        wait_until(lambda i=i: places[i].now() == [i])  # told at once: i callers ahead
    lock.release()  # the first waiter's turn: everyone moves up one
    wait_until(lambda: [p.now()[-1] for p in places] == [None, 0, 1])
    gates[0].set()
    wait_until(lambda: [p.now()[-1] for p in places] == [None, None, 0])
    gates[1].set()
    gates[2].set()
    finish(*threads)
    assert [p.now() for p in places] == [[0, None], [1, 0, None], [2, 1, 0, None]]


def test_a_caller_that_never_waits_is_told_nothing():
    lock, places = FairLock(), Places()
    with report_place(places):
        assert lock.acquire()
        lock.release()
        assert lock.acquire(timeout=0)
        assert lock.requeue(timeout=1)  # nobody waits: keeps the lock without waiting
        lock.release()
    assert places.now() == []


def test_places_count_only_the_queue_of_a_lock_with_two_permits():
    lock = FairLock(2)
    assert lock.acquire() and lock.acquire()
    first, second, gate = Places(), Places(), threading.Event()
    one, _ = start(take_and_release, lock, gate, places=first)
    wait_until(lambda: first.now() == [0])
    two, _ = start(take_and_release, lock, places=second)
    wait_until(lambda: second.now() == [1])
    lock.release()  # one permit free: the first goes, the second is next (the holders are not ahead)
    wait_until(lambda: second.now() == [1, 0])
    gate.set()
    finish(one, two)
    lock.release()
    assert first.now() == [0, None] and second.now() == [1, 0, None]


def test_a_caller_that_times_out_is_told_none_and_those_behind_move_up():
    lock = FairLock()
    assert lock.acquire()
    impatient, patient = Places(), Places()
    quick, out_quick = start(lock.acquire, 0.2, places=impatient)  # gives up while the lock is held
    wait_until(lambda: impatient.now() == [0])
    slow, _ = start(take_and_release, lock, places=patient)
    wait_until(lambda: patient.now() == [1])
    finish(quick)
    assert out_quick["result"] is False and impatient.now() == [0, None]
    wait_until(lambda: patient.now() == [1, 0])
    lock.release()
    finish(slow)
    assert patient.now() == [1, 0, None]


def test_the_listener_of_one_thread_never_hears_of_another_threads_wait():
    lock, mine = FairLock(), Places()
    assert lock.acquire()
    with report_place(mine):
        other, _ = start(take_and_release, lock)  # a new thread: its own, empty context
        wait_until(lambda: lock.waiting() == 1)
    lock.release()
    finish(other)
    assert mine.now() == []


def test_the_listener_runs_outside_the_lock_and_its_failure_fails_nothing():
    lock = FairLock()
    assert lock.acquire()
    queued: list[int] = []

    def looks_at_the_lock(ahead: Any) -> None:
        queued.append(lock.waiting())  # would deadlock if called with the lock's mutex held
        raise RuntimeError("a broken progress bar")

    waiter, out = start(take_and_release, lock, places=looks_at_the_lock)  # type: ignore[arg-type]
    wait_until(lambda: queued == [1])
    lock.release()
    finish(waiter)
    assert out["result"] is True and queued[0] == 1


def test_the_listener_is_reset_after_the_block():
    lock, places = FairLock(), Places()
    with report_place(places):
        pass
    assert lock.acquire()
    waiter, _ = start(take_and_release, lock)
    wait_until(lambda: lock.waiting() == 1)
    lock.release()
    finish(waiter)
    assert places.now() == []


# -- through an engine ---------------------------------------------------------------------------


def test_a_request_waiting_for_a_busy_model_is_told_its_place():
    engine = fake_pool().ready("a")
    hold = threading.Event()
    holder, _ = start(engine.work, 0.0, False, hold)
    assert engine.holding.wait(10)
    first, second = Places(), Places()
    one_holds = threading.Event()  # the first waiter, once served, holds the model too
    one, out_one = start(engine.work, 0.0, False, one_holds, places=first)
    wait_until(lambda: first.now() == [0])
    two, out_two = start(engine.work, places=second)
    wait_until(lambda: second.now() == [1])
    hold.set()
    wait_until(lambda: second.now() == [1, 0])  # moved up while the first is served
    one_holds.set()
    finish(holder, one, two)
    assert first.now() == [0, None] and second.now() == [1, 0, None]
    assert out_one["result"] == out_two["result"] == "CPU"


def test_a_request_done_in_pieces_is_told_when_it_waits_again_between_them():
    engine = fake_pool().ready("a")
    turns, places = Turns(), Places()
    turns.hold("A1")
    turns.hold("B1")
    long_request, _ = start(engine.pieces, "A", 2, turns, places=places)
    assert turns.started("A1").wait(10)
    assert places.now() == []  # it did not wait for its first piece
    short_request, _ = start(engine.pieces, "B", 1, turns)
    wait_until(lambda: engine.queue_length() == 1)
    turns.release("A1")  # A gives its turn to B and waits: behind B, then next in line
    assert turns.started("B1").wait(10)
    wait_until(lambda: places.now() == [1, 0])
    turns.release("B1")
    finish(long_request, short_request)
    assert places.now() == [1, 0, None] and turns.order == ["A1", "B1", "A2"]


def test_a_request_that_gives_up_waiting_is_busy_and_its_place_is_cleared():
    engine = fake_pool().ready("a")
    engine.queue_timeout_s = 0.2
    hold = threading.Event()
    holder, _ = start(engine.work, 0.0, False, hold)
    assert engine.holding.wait(10)
    places = Places()
    waiter, out = start(engine.work, places=places)
    finish(waiter)
    hold.set()
    finish(holder)
    assert isinstance(out["error"], ModelBusy) and places.now() == [0, None]


# -- waits that are not a FairLock's: batch followers, and requests waiting inside a batch ----------


def test_requests_waiting_for_an_embedding_batch_are_told_their_place_then_none():
    import numpy as np

    from openvino_ui.engines.batching import DocumentBatcher

    pool = fake_pool()
    engine = pool.ready("a")
    batcher = DocumentBatcher(engine, 8, 0, call=lambda pipeline, items: np.zeros((len(items), 2)))
    release = threading.Event()
    holder, _ = start(engine.work, 0.0, False, release)
    assert engine.holding.wait(5)  # the model is busy: the batch's leader waits for its turn
    places = [Places() for _ in range(3)]
    threads = []
    for i in range(3):
        threads.append(start(batcher.embed, [f"text {i}"], places=places[i])[0])
        wait_until(lambda n=i + 1: batcher.waiting() == n)
    wait_until(lambda: places[1].now() == [1] and places[2].now() == [2])  # the leader is ahead
    release.set()
    finish(holder, *threads)
    assert places[1].now() == [1, None] and places[2].now() == [2, None]
    assert places[0].now() == [0, None]  # the leader waited for the model's turn (FairLock)


def test_a_request_waiting_inside_a_full_continuous_batch_is_told_its_place(monkeypatch):
    from functools import partial

    from openvino_ui.generation import GenerationParams

    from .fake_batching import FakeBatchingEngine, FakeBatchingPipeline

    gate = threading.Event()
    monkeypatch.setattr(FakeBatchingEngine, "make", partial(FakeBatchingPipeline, gate=gate))
    text = "models:\n  a: {task: llm, path: x, batching: {max_num_seqs: 1}}\n"
    engine = fake_pool(text, engine_cls=FakeBatchingEngine).ready("a")
    params = GenerationParams(max_new_tokens=20, temperature=0.0)

    def chat(words: str) -> list:
        return list(engine.stream([{"role": "user", "content": words}], params))

    first, _ = start(chat, "first")
    wait_until(lambda: engine.in_flight() == 1)
    places = Places()
    second, out = start(chat, "second", places=places)
    wait_until(lambda: places.now() == [0])  # the one sequence is taken: next in line inside
    assert engine.queue_length() == 1
    gate.set()
    finish(first, second)
    assert "error" not in out and places.now() == [0]  # the UI clears it with the first token


def test_the_ui_clears_a_place_told_inside_a_batch_once_the_first_event_came():
    from openvino_ui.engines.admission import tell_place
    from openvino_ui.ui.common import reporting_place

    def events():
        tell_place(2)  # admitted into a full batch: two wait before it
        yield "first token"
        yield "second"

    places = Places()
    assert list(reporting_place(events(), places)) == ["first token", "second"]
    assert places.now() == [2, None]
