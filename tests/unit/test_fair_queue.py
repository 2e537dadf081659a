"""Fair admission (issue 11, defect 6): requests are served first come, first served, and a request
done in pieces lets waiting requests take turns between its pieces. Deterministic: pieces wait for
events set by the test, and the test waits for queue states, never for time to pass."""

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from openvino_ui.engines.admission import FairLock, QueueFull
from openvino_ui.errors import ModelBusy, ModelQueueFull

from .fakes import FakeEngine, Turns, fake_pool, finish, reset_fakes, run_threads, start, wait_until


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()


# -- the lock ------------------------------------------------------------------------------------


def test_waiters_get_the_lock_in_arrival_order():
    lock, order = FairLock(), []
    assert lock.acquire()

    def waiter(i: int) -> None:
        assert lock.acquire(timeout=10)
        order.append(i)
        lock.release()

    threads = []
    for i in range(5):
        threads.append(threading.Thread(target=waiter, args=(i,)))
        threads[-1].start()
        wait_until(lambda i=i: lock.waiting() == i + 1)  # i+1 queued: arrival order is known
    lock.release()
    finish(*threads)
    assert order == [0, 1, 2, 3, 4]
    assert not lock.busy()


def test_a_timed_out_waiter_leaves_the_queue_and_the_next_one_goes_on():
    lock = FairLock()
    assert lock.acquire()
    assert lock.acquire(timeout=0) is False  # non-blocking: held
    impatient, out_impatient = start(lock.acquire, 0.05)
    wait_until(lambda: lock.waiting() == 1)
    patient, out_patient = start(lock.acquire, 10)
    finish(impatient)
    assert out_impatient["result"] is False and lock.waiting() == 1
    lock.release()
    finish(patient)
    assert out_patient["result"] is True and lock.locked()
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


def test_requeue_keeps_the_lock_when_nobody_waits_and_goes_to_the_back_otherwise():
    lock, order = FairLock(), []
    assert lock.acquire()
    assert lock.requeue(timeout=0.01) and lock.locked()  # nobody waits: no pause, still ours

    def other() -> None:
        assert lock.acquire(timeout=10)
        order.append("other")
        lock.release()

    thread = threading.Thread(target=other)
    thread.start()
    wait_until(lambda: lock.waiting() == 1)
    assert lock.requeue(timeout=10)  # returns once `other` has had its turn
    order.append("holder")
    finish(thread)
    assert order == ["other", "holder"] and lock.locked()
    lock.release()


def test_first_jumps_the_queue():
    lock, order = FairLock(), []
    assert lock.acquire()

    def take(label: str, first: bool) -> None:
        assert lock.acquire(timeout=10, first=first)
        order.append(label)
        lock.release()

    late = threading.Thread(target=take, args=("queued", False))
    late.start()
    wait_until(lambda: lock.waiting() == 1)
    urgent = threading.Thread(target=take, args=("first", True))
    urgent.start()
    wait_until(lambda: lock.waiting() == 2)
    lock.release()
    finish(late, urgent)
    assert order == ["first", "queued"]


def test_a_bounded_queue_refuses_at_once_but_never_a_requeue_or_housekeeping():
    lock = FairLock()
    assert lock.acquire(max_waiting=0)  # a free lock is taken whatever the bound
    with pytest.raises(QueueFull) as full:
        lock.acquire(timeout=10, max_waiting=0)  # raises at once: no 10 s wait
    assert full.value.waiting == 0 and lock.waiting() == 0

    def take_and_release(**options) -> bool:
        taken = lock.acquire(timeout=10, **options)
        lock.release()
        return taken

    queued, out_queued = start(take_and_release)
    wait_until(lambda: lock.waiting() == 1)
    with pytest.raises(QueueFull):
        lock.acquire(timeout=10, max_waiting=1)
    housekeeping, out_housekeeping = start(lambda: take_and_release(first=True, max_waiting=1))
    wait_until(lambda: lock.waiting() == 2)  # first=True queued beyond the bound
    assert lock.requeue(timeout=10)  # the holder gave way to both and got its turn back
    finish(queued, housekeeping)
    assert out_queued["result"] is True and out_housekeeping["result"] is True
    lock.release()
    assert not lock.busy()


# -- engines taking turns ------------------------------------------------------------------------


def test_a_short_request_waits_one_piece_of_a_long_one():
    engine = fake_pool().ready("a")
    turns = Turns()
    turns.hold("A1")
    long_request, long_out = start(engine.pieces, "A", 3, turns)
    assert turns.started("A1").wait(10)
    short_request, short_out = start(engine.pieces, "B", 1, turns)
    wait_until(lambda: engine.queue_length() == 1)  # B waits while A works on its first piece
    assert engine.is_busy()
    turns.release("A1")
    finish(long_request, short_request)
    assert turns.order == ["A1", "B1", "A2", "A3"]
    assert long_out["result"] == ["A1@CPU", "A2@CPU", "A3@CPU"] and short_out["result"] == ["B1@CPU"]
    stats = engine.stats()
    assert stats.requests == 2 and stats.failures == 0  # recorded once per request, not per piece
    assert not engine.is_busy()


def test_two_long_requests_and_a_short_one_are_served_in_arrival_order():
    engine = fake_pool().ready("a")
    turns = Turns()
    turns.hold("P1")
    first, _ = start(engine.pieces, "P", 3, turns)
    assert turns.started("P1").wait(10)
    second, _ = start(engine.pieces, "Q", 3, turns)
    wait_until(lambda: engine.queue_length() == 1)
    short, _ = start(engine.pieces, "B", 1, turns)
    wait_until(lambda: engine.queue_length() == 2)
    turns.release("P1")
    finish(first, second, short)
    # B came third: it waits for P's current piece and Q's first, never for a whole long request.
    assert turns.order == ["P1", "Q1", "B1", "P2", "Q2", "P3", "Q3"]


def test_yielding_without_waiters_keeps_the_turn():
    engine = fake_pool().ready("a")
    turns = Turns()
    assert engine.pieces("A", 3, turns) == ["A1@CPU", "A2@CPU", "A3@CPU"]
    assert engine.stats().requests == 1 and not engine.is_busy()


def test_a_yielded_request_continues_on_the_device_the_model_moved_to():
    pool = fake_pool(devices=("CPU", "GPU"))
    engine = pool.ready("a")
    turns = Turns()
    turns.hold("A1")
    request, out = start(engine.pieces, "A", 2, turns)
    assert turns.started("A1").wait(10)
    mover, moved = start(pool.load, "a", "GPU")  # builds while A works, then waits for A's turn to end
    wait_until(lambda: pool.info("a").device == "GPU")
    turns.release("A1")
    finish(request, mover)
    assert out["result"] == ["A1@CPU", "A2@GPU"] and moved["result"].status == "ready"
    by_device = engine.stats_by_device()
    assert list(by_device) == ["GPU"] and by_device["GPU"].requests == 1


def test_a_yielded_request_reloads_a_model_unloaded_between_its_pieces():
    pool = fake_pool()
    engine = pool.ready("a")
    turns = Turns()
    turns.hold("A1")
    request, out = start(engine.pieces, "A", 2, turns)
    assert turns.started("A1").wait(10)
    unloader, _ = start(pool.unload, "a")
    wait_until(lambda: pool.info("a").status == "unloaded")
    turns.release("A1")
    finish(request, unloader)
    assert out["result"] == ["A1@CPU", "A2@CPU"] and FakeEngine.builds == 2
    assert engine.stats().failures == 0


def test_a_request_whose_turn_does_not_come_back_in_time_is_busy_and_counted():
    engine = fake_pool().ready("a")
    turns = Turns()
    turns.hold("A1")
    turns.hold("B1")
    holder, out = start(engine.pieces, "A", 2, turns)
    assert turns.started("A1").wait(10)
    other, _ = start(engine.pieces, "B", 1, turns)  # asks with the 2 s timeout of fake_pool
    wait_until(lambda: engine.queue_length() == 1)
    engine.queue_timeout_s = 0.05  # A, yielding after A1, may wait only briefly for B's piece
    turns.release("A1")
    assert turns.started("B1").wait(10)
    finish(holder)
    turns.release("B1")
    finish(other)
    assert isinstance(out["error"], ModelBusy) and turns.order == ["A1", "B1"]
    stats = engine.stats()
    assert stats.requests == 2 and stats.failures == 1
    assert not engine.is_busy()


BOUNDED = "models:\n  a: {task: llm, path: x, max_queue: 2}\n"


def test_a_request_beyond_max_queue_fails_at_once_and_the_queued_ones_complete():
    engine = fake_pool(BOUNDED).ready("a")
    assert engine.max_queue == 2
    hold = threading.Event()
    holder, out_holder = start(engine.work, 0.0, False, hold)
    assert engine.holding.wait(10)
    waiters = [start(engine.work) for _ in range(2)]
    wait_until(lambda: engine.queue_length() == 2)
    with pytest.raises(ModelQueueFull) as refused:  # at once: the holder is still held by the test
        engine.work()
    assert isinstance(refused.value, ModelBusy) and refused.value.status == 429
    assert "2 requests are already waiting" in str(refused.value) and "max_queue" in str(refused.value)
    assert engine.queue_length() == 2 and engine.stats().failures == 1
    hold.set()
    finish(holder, *(thread for thread, _ in waiters))
    assert out_holder["result"] == "CPU" and [out["result"] for _, out in waiters] == ["CPU", "CPU"]
    assert engine.work() == "CPU"  # the queue drained: admitted again
    stats = engine.stats()
    assert stats.requests == 5 and stats.failures == 1 and not engine.is_busy()


def test_a_request_taking_turns_keeps_its_place_when_the_queue_is_full():
    engine = fake_pool("models:\n  a: {task: llm, path: x, max_queue: 1}\n").ready("a")
    turns = Turns()
    turns.hold("A1")
    long_request, long_out = start(engine.pieces, "A", 2, turns)
    assert turns.started("A1").wait(10)
    short_request, short_out = start(engine.pieces, "B", 1, turns)
    wait_until(lambda: engine.queue_length() == 1)
    with pytest.raises(ModelQueueFull):
        engine.pieces("C", 1, turns)
    turns.release("A1")  # A yields to B with the queue full: its requeue is never refused
    finish(long_request, short_request)
    assert long_out["result"] == ["A1@CPU", "A2@CPU"] and short_out["result"] == ["B1@CPU"]
    assert turns.order == ["A1", "B1", "A2"]


def test_unload_waits_for_the_holder_even_with_max_queue_0():
    pool = fake_pool("models:\n  a: {task: llm, path: x, max_queue: 0}\n")
    engine = pool.ready("a")
    hold = threading.Event()
    holder, _ = start(engine.work, 0.0, False, hold)
    assert engine.holding.wait(10)
    with pytest.raises(ModelQueueFull, match="max_queue in models.yaml is 0"):
        engine.work()
    unloader, out_unload = start(pool.unload, "a")  # housekeeping: waits ahead, never refused
    wait_until(lambda: engine.queue_length() == 1)
    hold.set()
    finish(holder, unloader)
    assert out_unload["result"].status == "unloaded"


def test_many_short_requests_all_get_served():
    engine = fake_pool().ready("a")
    assert run_threads(lambda: engine.work(0.01), 8) == ["CPU"] * 8
    assert engine.stats().requests == 8 and not engine.is_busy()


# -- the TTS engine takes turns between sentences ------------------------------------------------


class _Speeches:
    """What a Text2SpeechPipeline returns for one piece: one second of silence at 16 kHz."""

    output_sample_rate = 16000

    def __init__(self) -> None:
        self.speeches = [SimpleNamespace(data=np.zeros(16000, dtype=np.float32))]


class _TurnPipeline:
    """A stand-in for Text2SpeechPipeline whose generate() runs each text through `turns`."""

    def __init__(self, turns: Turns, labels: dict[str, str]):
        self.turns, self.labels = turns, labels

    def generate(self, text: str, *args: object, **options: object) -> _Speeches:
        self.turns.piece(self.labels[text], "CPU")
        return _Speeches()


def test_a_one_sentence_speech_waits_one_sentence_of_a_long_one():
    from openvino_ui.engines.tts import TTSEngine  # imports openvino_genai: only this test pays

    # about 150 characters each: one piece per sentence (TTS pieces hold up to 200 characters)
    padding = " ".join(["and more"] * 12)
    sentences = [f"Sentence {word} fills one piece of speech {padding}." for word in ("one", "two", "three")]
    short = "Hello there."
    labels = {s: f"L{i + 1}" for i, s in enumerate(sentences)} | {short: "S1"}
    turns = Turns()

    class TurnTTS(TTSEngine):
        def _check_files(self) -> None:
            pass

        def _build(self, device: str) -> _TurnPipeline:
            return _TurnPipeline(turns, labels)

    pool = fake_pool("models:\n  t: {task: tts, path: /nonexistent}\n", engine_cls=TurnTTS)
    engine = pool.ready("t", "tts")
    turns.hold("L1")
    long_speech, long_out = start(engine.synthesize, " ".join(sentences))
    assert turns.started("L1").wait(10)
    short_speech, short_out = start(engine.synthesize, short)
    wait_until(lambda: engine.queue_length() == 1)
    turns.release("L1")
    finish(long_speech, short_speech)
    assert turns.order == ["L1", "S1", "L2", "L3"]
    assert long_out["result"].pieces == 3 and short_out["result"].pieces == 1
    assert long_out["result"].device == "CPU" and engine.stats().requests == 2
