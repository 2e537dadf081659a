"""Issue 13: continuous batching. The scheduler, the engine and the pool run for real around a fake
ContinuousBatchingPipeline (fake_batching.py); steps wait for events the test sets, never for time.
The tiny trained LLM checks the real pipeline in tests/unit/test_continuous_tiny.py."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from openvino_ui.engines.text_stream import Detokenizer, StopStrings
from openvino_ui.errors import ModelQueueFull
from openvino_ui.generation import Delta, Finished, GenerationParams

from .fake_batching import FakeBatchingEngine, FakeBatchingPipeline, FakeTokenizer
from .fakes import fake_pool, wait_until

GREEDY = GenerationParams(max_new_tokens=200, temperature=0.0)
ONE_SEQUENCE = "models:\n  a: {task: llm, path: x, max_queue: 0, batching: {max_num_seqs: 1}}\n"


@pytest.fixture(autouse=True)
def fresh_fakes():
    FakeBatchingEngine.make = FakeBatchingPipeline
    FakeBatchingEngine.built = []
    yield


def chat(engine, text: str, params: GenerationParams = GREEDY, cancel=None) -> tuple[list[str], Finished]:
    pieces, finished = [], None
    for event in engine.stream([{"role": "user", "content": text}], params, cancel):
        if isinstance(event, Delta):
            pieces.append(event.text)
        else:
            finished = event
    return pieces, finished


def echo(text: str) -> str:
    return f"User: {text}\nAssistant:"  # the fake model repeats its (plain) prompt


def test_concurrent_streams_share_steps_and_each_gets_its_own_text():
    FakeBatchingEngine.make = partial(FakeBatchingPipeline, start_when=4)
    pool = fake_pool(engine_cls=FakeBatchingEngine)
    engine = pool.ready("a")
    texts = [f"question {i} for the model" for i in range(4)]
    with ThreadPoolExecutor(4) as executor:
        results = list(executor.map(lambda t: chat(engine, t), texts))
    for text, (pieces, finished) in zip(texts, results, strict=True):
        assert "".join(pieces) == finished.text == echo(text)
        assert finished.metrics.generated_tokens == len(echo(text).encode())
        assert finished.metrics.input_tokens == len(echo(text).encode())
        assert finished.finish_reason == "stop" and not finished.stopped
    (pipe,) = FakeBatchingEngine.built
    assert pipe.batch_sizes[0] == 4  # all four decoded in the same steps, not one after another
    stats = pool.info("a").stats
    assert stats.requests == 4 and stats.failures == 0 and stats.avg_tpot_ms is not None
    assert not engine.is_busy()


def test_a_character_split_over_tokens_is_never_handed_out_in_halves():
    text = "héllo 日本語 🎉 done"
    pieces, finished = chat(fake_pool(engine_cls=FakeBatchingEngine).ready("a"), text)
    assert finished.text == echo(text)
    assert all("\ufffd" not in piece for piece in pieces)
    assert len(pieces) > 10  # streamed piece by piece, not at the end


def test_detokenizer_matches_decoding_everything_at_once():
    detok = Detokenizer(FakeTokenizer())
    data = "a€b😀c".encode()
    out = "".join(detok.add([byte]) for byte in data) + detok.flush()
    assert out == "a€b😀c"


def test_stop_strings_hold_back_only_what_may_start_one():
    stops = StopStrings({"\nUser:"})
    assert stops.feed("Hello") == "Hello"
    assert stops.feed(" there\n") == " there"  # "\n" may begin the stop string
    assert stops.feed("Us") == ""
    assert stops.feed("e") == ""
    assert stops.feed("d to") == "\nUsed to"  # it did not: all of it goes out
    assert stops.feed("\nUser: next") == "" and stops.found
    other = StopStrings(("END",))
    assert other.feed("abcEN") == "abc" and other.flush() == "EN"


def test_a_stop_string_ends_the_reply_before_it_and_frees_the_sequence():
    gate = threading.Event()
    text = "one two three"
    # the steps after the stop string's last token wait, so the sequence cannot run on to its end
    FakeBatchingEngine.make = partial(FakeBatchingPipeline, gate=gate, gate_after=len("User: one two"))
    engine = fake_pool(engine_cls=FakeBatchingEngine).ready("a")
    params = GenerationParams(max_new_tokens=200, temperature=0.0, stop=("two",))
    pieces, finished = chat(engine, text, params)
    assert finished.text == "User: one " and finished.finish_reason == "stop"
    gate.set()
    (handle,) = FakeBatchingEngine.built[0].handles
    wait_until(lambda: str(handle.status).endswith("CANCEL"))
    assert handle.todo  # cancelled with most of the echo still to generate
    wait_until(lambda: not engine.is_busy())


def test_max_new_tokens_ends_with_length():
    engine = fake_pool(engine_cls=FakeBatchingEngine).ready("a")
    pieces, finished = chat(engine, "a long question", GenerationParams(max_new_tokens=5, temperature=0.0))
    assert finished.text == "User:" and finished.finish_reason == "length"


def test_logprobs_come_with_the_tokens_they_belong_to():
    engine = fake_pool(engine_cls=FakeBatchingEngine).ready("a")
    params = GenerationParams(max_new_tokens=8, temperature=0.0, logprobs=True)
    events = list(engine.stream([{"role": "user", "content": "é"}], params))
    deltas = [e for e in events if isinstance(e, Delta)]
    tokens = [t for d in deltas for t in d.logprobs]
    assert len(tokens) == 8 and all(t.logprob == -0.5 for t in tokens)
    assert "".join(d.text for d in deltas) == "User: é"


def test_cancelling_one_stream_leaves_the_others_complete():
    gate = threading.Event()
    FakeBatchingEngine.make = partial(FakeBatchingPipeline, start_when=3, gate=gate)
    engine = fake_pool(engine_cls=FakeBatchingEngine).ready("a")
    stop = threading.Event()
    with ThreadPoolExecutor(3) as executor:
        kept = [executor.submit(chat, engine, f"keep {i}") for i in range(2)]
        cancelled = executor.submit(chat, engine, "cancel me please", GREEDY, stop)
        wait_until(lambda: len(FakeBatchingEngine.built[0].handles) == 3)
        stop.set()
        gate.set()
        results = [f.result(10)[1] for f in kept]
        gone = cancelled.result(10)[1]
    assert [r.text for r in results] == [echo("keep 0"), echo("keep 1")]
    assert gone.stopped and len(gone.text) < len(echo("cancel me please"))


def test_beyond_the_sequences_and_the_queue_a_request_is_refused_at_once():
    gate = threading.Event()
    FakeBatchingEngine.make = partial(FakeBatchingPipeline, gate=gate)
    pool = fake_pool(ONE_SEQUENCE, engine_cls=FakeBatchingEngine)
    engine = pool.ready("a")
    with ThreadPoolExecutor(1) as executor:
        first = executor.submit(chat, engine, "first")
        wait_until(lambda: engine.in_flight() == 1)  # what /metrics reports as requests_in_flight
        with pytest.raises(ModelQueueFull, match="max_queue"):
            chat(engine, "second")
        assert engine.queue_length() == 0
        gate.set()
        assert first.result(10)[1].text == echo("first")
    assert chat(engine, "third")[1].text == echo("third")
    assert pool.info("a").stats.failures == 1


def test_a_failed_step_fails_its_batch_and_the_next_request_gets_a_fresh_pipeline():
    FakeBatchingEngine.make = partial(FakeBatchingPipeline, fail_on_step=3)
    pool = fake_pool(engine_cls=FakeBatchingEngine)
    engine = pool.ready("a")
    with pytest.raises(RuntimeError, match="the step failed"):
        chat(engine, "unlucky")
    FakeBatchingEngine.make = FakeBatchingPipeline
    assert chat(engine, "lucky")[1].text == echo("lucky")
    assert len(FakeBatchingEngine.built) == 2 and pool.info("a").status == "ready"


def test_unload_lets_streams_in_flight_finish_and_the_next_request_loads_again():
    gate = threading.Event()
    FakeBatchingEngine.make = partial(FakeBatchingPipeline, gate=gate)
    pool = fake_pool(engine_cls=FakeBatchingEngine)
    engine = pool.ready("a")
    with ThreadPoolExecutor(2) as executor:
        stream = executor.submit(chat, engine, "in flight")
        wait_until(lambda: engine.is_busy())
        old = engine._loaded.pipeline
        unload = executor.submit(pool.unload, "a")
        wait_until(lambda: pool.info("a").status == "unloaded")
        assert not unload.done()  # it waits for the stream that still uses the old pipeline
        gate.set()
        assert stream.result(10)[1].text == echo("in flight")
        unload.result(10)
    old._thread.join(5)
    assert not old._thread.is_alive()  # the old scheduler thread has ended
    FakeBatchingEngine.make = FakeBatchingPipeline
    assert chat(engine, "after")[1].text == echo("after")
    assert len(FakeBatchingEngine.built) == 2
