"""Fair admission (issue 11, defect 6): requests are served first come, first served, and a request
done in pieces lets waiting requests take turns between its pieces. Deterministic: pieces wait for
events set by the test, and the test waits for queue states, never for time to pass."""

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from openvino_ui.engines.admission import FairLock
from openvino_ui.errors import ModelBusy

from .fakes import FakeEngine, Turns, fake_pool, reset_fakes, run_threads, wait_until


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()


def start(fn, *args) -> tuple[threading.Thread, dict]:
    """Run fn(*args) in a thread; its result (or exception) lands in the returned dict."""
    out: dict = {}

    def target() -> None:
        try:
            out["result"] = fn(*args)
        except Exception as exc:  # collected for the assertions
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, out


def finish(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive(), "a request never finished"


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
