"""Issue 13, `instances: N`: a model builds N pipelines and serves up to N requests at once, one per
pipeline, queueing the rest first come, first served; max_queue, unload, move, idle unloading and
dynamic embedding batches keep working with N pipelines; config errors name the key and the fix.

Deterministic: fake builds and requests wait for events the test sets (fakes.py), and the test
waits for states (queue length, status), never for time to pass."""

import itertools
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines.admission import FairLock
from openvino_ui.engines.batching import DocumentBatcher
from openvino_ui.errors import ConfigError, ModelQueueFull

from .fakes import FakeEngine, fake_pool, finish, reset_fakes, start, wait_until

TWO = "models:\n  s: {task: asr, path: x, instances: 2}\n"


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()
    InstanceEngine.ids = itertools.count()


class InstanceEngine(FakeEngine):
    """Each build makes a distinct 'pipeline' ({"device", "id"}); `work(key)` records which pipeline
    served it and, when the test holds `key`, waits for the test to release it."""

    task = "asr"
    ids = itertools.count()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started: dict[str, threading.Event] = {}
        self.gates: dict[str, threading.Event] = {}
        self._events = threading.Lock()

    def _build(self, device: str) -> Any:
        super()._build(device)
        return {"device": device, "id": next(InstanceEngine.ids)}

    def event(self, table: dict[str, threading.Event], key: str) -> threading.Event:
        with self._events:
            return table.setdefault(key, threading.Event())

    def hold(self, key: str) -> None:
        self.event(self.gates, key)

    def release(self, key: str) -> None:
        self.event(self.gates, key).set()

    def work_on(self, key: str) -> tuple[str, int]:
        with self.serving() as session:
            self.event(self.started, key).set()
            with self._events:
                gate = self.gates.get(key)
            if gate is not None:
                assert gate.wait(10), f"the test never released {key}"
            return session.pipeline["device"], session.pipeline["id"]

    def pieces(self, key: str, count: int) -> list[tuple[str, int]]:
        """A request in `count` pieces (`key1`, `key2`, ...) that yields its turn between them."""
        served = []
        with self.serving() as session:
            for index in range(count):
                if index:
                    session.yield_turn()
                label = f"{key}{index + 1}"
                self.event(self.started, label).set()
                with self._events:
                    gate = self.gates.get(label)
                if gate is not None:
                    assert gate.wait(10), f"the test never released {label}"
                served.append((session.pipeline["device"], session.pipeline["id"]))
        return served


def pool_of(yaml_text: str = TWO, devices=("CPU",)):
    return fake_pool(yaml_text, devices=devices, engine_cls=InstanceEngine)


# -- the lock with N permits ---------------------------------------------------------------------


def test_a_lock_with_two_permits_admits_two_and_queues_the_third_in_order():
    lock, order = FairLock(2), []
    assert lock.acquire() and lock.acquire()
    assert lock.holders() == 2 and lock.acquire(timeout=0) is False

    def waiter(i: int) -> None:
        assert lock.acquire(timeout=10)
        order.append(i)

    threads = []
    for i in range(3):
        threads.append(threading.Thread(target=waiter, args=(i,)))
        threads[-1].start()
        wait_until(lambda i=i: lock.waiting() == i + 1)
    lock.release()  # one permit: the head goes, the others keep waiting
    wait_until(lambda: order == [0])
    lock.release()
    wait_until(lambda: order == [0, 1])
    assert lock.waiting() == 1
    lock.release()
    finish(*threads)
    assert order == [0, 1, 2] and lock.holders() == 2
    lock.release()
    lock.release()
    assert not lock.busy()
    with pytest.raises(RuntimeError):
        lock.release()


def test_an_exclusive_acquire_waits_for_every_holder_and_keeps_later_callers_behind_it():
    lock, order = FairLock(2), []
    assert lock.acquire(timeout=0, exclusive=True)  # nothing held: takes both permits at once
    assert lock.acquire(timeout=0) is False
    lock.release(exclusive=True)
    assert lock.acquire()
    assert lock.acquire(timeout=0, exclusive=True) is False  # one holder is enough to refuse

    def take(label: str, exclusive: bool = False) -> None:
        assert lock.acquire(timeout=10, first=exclusive, exclusive=exclusive)
        order.append(label)
        lock.release(exclusive=exclusive)

    housekeeping = threading.Thread(target=take, args=("all", True))
    housekeeping.start()
    wait_until(lambda: lock.waiting() == 1)
    late = threading.Thread(target=take, args=("late",))
    late.start()
    wait_until(lambda: lock.waiting() == 2)
    assert order == []  # a permit is free, but the late caller may not overtake the head
    lock.release()
    finish(housekeeping, late)
    assert order == ["all", "late"] and not lock.busy()


def test_a_lock_needs_a_permit():
    with pytest.raises(ValueError, match="at least one permit"):
        FairLock(0)


# -- engines with two pipelines ------------------------------------------------------------------


def test_two_requests_run_at_once_on_two_pipelines_while_a_third_waits():
    pool = pool_of()
    engine = pool.ready("s")
    assert FakeEngine.builds == 2 and engine.instances == 2
    for key in "ABC":
        engine.hold(key)
    a, out_a = start(engine.work_on, "A")
    b, out_b = start(engine.work_on, "B")
    assert engine.event(engine.started, "A").wait(10) and engine.event(engine.started, "B").wait(10)
    c, out_c = start(engine.work_on, "C")
    wait_until(lambda: engine.queue_length() == 1)
    assert not engine.event(engine.started, "C").is_set()
    engine.release("B")
    finish(b)
    assert engine.event(engine.started, "C").wait(10)  # on the pipeline B gave back
    engine.release("A")
    engine.release("C")
    finish(a, c)
    served = {out_a["result"][1], out_b["result"][1]}
    assert served == {0, 1}  # two different pipelines at once
    assert out_c["result"][1] == out_b["result"][1]
    stats = engine.stats()
    assert stats.requests == 3 and stats.failures == 0 and not engine.is_busy()


def occupy_both(engine) -> list[tuple]:
    """Requests A and B hold the two instances (until the test releases them)."""
    for key in "AB":
        engine.hold(key)
    started = [start(engine.work_on, key) for key in "AB"]
    assert engine.event(engine.started, "A").wait(10) and engine.event(engine.started, "B").wait(10)
    return started


def test_max_queue_counts_only_the_requests_beyond_the_instances():
    pool = pool_of("models:\n  s: {task: asr, path: x, instances: 2, max_queue: 1}\n")
    engine = pool.ready("s")
    (a, _), (b, _) = occupy_both(engine)
    c, out_c = start(engine.work_on, "C")
    wait_until(lambda: engine.queue_length() == 1)
    with pytest.raises(ModelQueueFull, match="1 request"):
        engine.work_on("D")
    engine.release("A")
    engine.release("B")
    finish(a, b, c)
    assert out_c["result"][0] == "CPU"
    stats = engine.stats()
    assert stats.requests == 4 and stats.failures == 1


def test_unload_waits_for_every_request_in_flight_and_a_queued_one_loads_two_pipelines_again():
    pool = pool_of()
    engine = pool.ready("s")
    (a, out_a), (b, out_b) = occupy_both(engine)
    queued, out_queued = start(engine.work_on, "C")
    wait_until(lambda: engine.queue_length() == 1)
    unloader, out_unload = start(pool.unload, "s")
    wait_until(lambda: pool.info("s").status == "unloaded")
    engine.release("A")
    finish(a)
    assert unloader.is_alive()  # B still uses an old pipeline
    engine.release("B")
    finish(b, unloader, queued)
    assert "error" not in out_unload
    assert {out_a["result"][1], out_b["result"][1]} == {0, 1}
    assert out_queued["result"][1] in (2, 3)  # a pipeline of the second load
    assert FakeEngine.builds == 4 and pool.info("s").status == "ready"
    assert engine.stats().failures == 0


def test_a_move_builds_two_pipelines_while_the_old_ones_serve_and_waits_for_them():
    pool = pool_of(devices=("CPU", "GPU"))
    engine = pool.ready("s")
    engine.hold("A")
    a, out_a = start(engine.work_on, "A")
    assert engine.event(engine.started, "A").wait(10)
    assert engine.work_on("B") == ("CPU", 1)  # the second old pipeline still serves
    mover, moved = start(pool.load, "s", "GPU")
    wait_until(lambda: pool.info("s").device == "GPU")
    assert mover.is_alive()  # it waits for A, which still uses an old pipeline
    engine.release("A")
    finish(a, mover)
    assert out_a["result"] == ("CPU", 0) and moved["result"].device == "GPU"
    assert engine.work_on("C") == ("GPU", 2) and FakeEngine.builds == 4


def test_idle_unloading_skips_a_model_with_one_instance_busy():
    pool = pool_of("defaults: {idle_unload_s: 60}\nmodels:\n  s: {task: asr, path: x, instances: 2}\n")
    engine = pool.ready("s")
    engine.last_used -= 120
    engine.hold("A")
    a, _ = start(engine.work_on, "A")
    assert engine.event(engine.started, "A").wait(10)
    engine.last_used -= 120
    assert pool.evict_idle() == [] and pool.info("s").status == "ready"
    engine.release("A")
    finish(a)
    engine.last_used -= 120
    assert pool.evict_idle() == ["s"]


def test_a_failed_build_of_the_second_instance_fails_the_load():
    class SecondFails(InstanceEngine):
        def _build(self, device: str) -> Any:
            pipeline = super()._build(device)
            if pipeline["id"] == 1:
                raise RuntimeError("out of memory for the second copy")
            return pipeline

    pool = fake_pool(TWO, engine_cls=SecondFails)
    with pytest.raises(Exception, match="out of memory for the second copy"):
        pool.load("s")
    assert pool.info("s").status == "failed"


def test_a_request_that_yields_its_turn_gives_its_pipeline_to_the_one_waiting():
    pool = pool_of()
    engine = pool.ready("s")
    for key in ("A1", "B1", "C1"):
        engine.hold(key)
    a, out_a = start(engine.pieces, "A", 2)
    b, out_b = start(engine.pieces, "B", 1)
    assert engine.event(engine.started, "A1").wait(10) and engine.event(engine.started, "B1").wait(10)
    c, out_c = start(engine.pieces, "C", 1)
    wait_until(lambda: engine.queue_length() == 1)
    engine.release("A1")  # A yields: C, waiting, takes A's pipeline; A waits for the next free one
    assert engine.event(engine.started, "C1").wait(10)
    wait_until(lambda: engine.queue_length() == 1)
    engine.release("B1")
    assert engine.event(engine.started, "A2").wait(10)
    engine.release("C1")
    finish(a, b, c)
    a1, a2 = out_a["result"]
    assert out_c["result"] == [a1]  # C ran on the pipeline A gave back
    assert a2 == out_b["result"][0]  # and A finished on the one B gave back
    assert not engine.is_busy()


# -- threads per pipeline --------------------------------------------------------------------------


def test_each_of_n_cpu_pipelines_gets_its_share_of_the_cores(monkeypatch):
    from openvino_ui.engines import base

    monkeypatch.setattr(base, "_usable_cores", lambda: 8)
    yaml_text = (
        "models:\n  s: {task: asr, path: x, instances: 3}\n  one: {task: asr, path: y}\n"
        "  own: {task: asr, path: z, instances: 2, properties: {INFERENCE_NUM_THREADS: 4}}\n"
    )
    pool = pool_of(yaml_text)
    assert pool.get("s").pipeline_properties("CPU")["INFERENCE_NUM_THREADS"] == 2
    assert "INFERENCE_NUM_THREADS" not in pool.get("s").pipeline_properties("GPU")  # a CPU property
    assert "INFERENCE_NUM_THREADS" not in pool.get("one").pipeline_properties("CPU")  # OpenVINO decides
    assert pool.get("own").pipeline_properties("CPU")["INFERENCE_NUM_THREADS"] == 4
    monkeypatch.setattr(base, "_usable_cores", lambda: 2)
    assert pool.get("s").pipeline_properties("CPU")["INFERENCE_NUM_THREADS"] == 1  # at least one


# -- dynamic embedding batches with two pipelines ---------------------------------------------------


class _HeldEmbedder:
    """A stand-in for TextEmbeddingPipeline: records each call and waits while the test holds it."""

    def __init__(self, ident: int, calls: list, gates: dict[str, threading.Event], entered: dict):
        self.ident, self.calls, self.gates, self.entered = ident, calls, gates, entered

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append((self.ident, list(texts)))
        self.entered[texts[0]].set()
        assert self.gates[texts[0]].wait(10), f"the test never released {texts[0]}"
        return [[float(len(text)), float(self.ident)] for text in texts]


def batching_engine(max_queue: str = "null"):
    calls: list = []
    gates = {key: threading.Event() for key in "abcd"}
    entered = {key: threading.Event() for key in "abcd"}
    ids = itertools.count()

    class Embedder(FakeEngine):
        task = "embedding"

        def _build(self, device: str) -> Any:
            return _HeldEmbedder(next(ids), calls, gates, entered)

    text = f"models:\n  e: {{task: embedding, path: x, instances: 2, max_queue: {max_queue}}}\n"
    engine = fake_pool(text, engine_cls=Embedder).ready("e")
    return engine, DocumentBatcher(engine, 64, 0.0, leaders=2), calls, gates, entered


def test_two_embedding_batches_run_at_once_and_followers_join_the_next_free_leader():
    engine, batcher, calls, gates, entered = batching_engine()
    a, out_a = start(batcher.embed, ["a"])
    assert entered["a"].wait(10)
    b, out_b = start(batcher.embed, ["b"])  # fewer than two leaders: it leads on the other pipeline
    assert entered["b"].wait(10)
    c, out_c = start(batcher.embed, ["c"])
    wait_until(lambda: batcher.waiting() == 1)
    d, out_d = start(batcher.embed, ["d", "dd"])
    wait_until(lambda: batcher.waiting() == 2)  # both follow: two leaders serve already
    gates["c"].set()
    gates["a"].set()  # a's leader hands over to c, who takes c and d in one call
    finish(a, c, d)
    gates["b"].set()
    finish(b)
    assert calls == [(0, ["a"]), (1, ["b"]), (0, ["c", "d", "dd"])]
    assert out_c["result"][0].tolist() == [[1.0, 0.0]]
    assert np.array_equal(out_d["result"][0], np.array([[1.0, 0.0], [2.0, 0.0]], dtype=np.float32))
    assert out_b["result"][0].tolist() == [[1.0, 1.0]]
    assert engine.stats().requests == 4 and not engine.is_busy() and batcher.waiting() == 0


def test_max_queue_refuses_a_follower_beyond_it_but_never_a_second_leader():
    engine, batcher, _, gates, entered = batching_engine(max_queue="0")
    a, _ = start(batcher.embed, ["a"])
    assert entered["a"].wait(10)
    b, _ = start(batcher.embed, ["b"])  # the second pipeline is free: not a waiter
    assert entered["b"].wait(10)
    with pytest.raises(ModelQueueFull):
        batcher.embed(["c"])
    gates["a"].set()
    gates["b"].set()
    finish(a, b)
    assert engine.stats().failures == 1


# -- models.yaml -----------------------------------------------------------------------------------


def parse(text: str):
    return parse_config(text, Path("/tmp/models.yaml"))


def test_instances_default_to_one_and_a_bi_encoder_follows_its_embedding_model():
    config = parse(
        "models:\n  a: {task: asr, path: x}\n  e: {task: embedding, path: y, instances: 3}\n"
        "  r: {task: rerank, method: bi_encoder, embedding_model: e}\n"
        "  t: {task: tts, path: z, instances: 64}\n"
    )
    assert [config.models[n].instances for n in ("a", "e", "r", "t")] == [1, 3, 3, 64]


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{task: llm, path: x, instances: 2}", "key 'instances': llm models serve many requests at once"),
        ("{task: vlm, path: x, instances: 1}", "key 'instances': vlm models .*raise batching.max_num_seqs"),
        ("{task: asr, path: x, instances: 0}", "key 'instances': Input should be greater than or equal to 1"),
        ("{task: tts, path: x, instances: 65}", "key 'instances': Input should be less than or equal to 64"),
        ("{task: embedding, path: x, instances: two}", "key 'instances': Input should be a valid integer"),
    ],
)
def test_bad_instances_are_refused_with_the_key_and_the_fix(entry, message):
    with pytest.raises(ConfigError, match=f"model 'm': {message}"):
        parse(f"models:\n  m: {entry}\n")


def test_a_bi_encoder_reranker_refuses_instances_of_its_own():
    text = (
        "models:\n  e: {task: embedding, path: y}\n"
        "  m: {task: rerank, method: bi_encoder, embedding_model: e, instances: 2}\n"
    )
    with pytest.raises(ConfigError, match="set instances on its embedding model 'e'"):
        parse(text)
