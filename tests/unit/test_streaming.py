"""Streaming: chunks arrive in order, and a consumer that stops ends generation within a token."""

import threading
import time
from types import SimpleNamespace

import openvino_genai as og
import pytest

from openvino_ui.engines.streaming import stream_generate
from openvino_ui.generation import Delta, Finished


def fake_result(n):
    stat = SimpleNamespace(mean=1.0)
    pm = SimpleNamespace(
        get_ttft=lambda: stat,
        get_tpot=lambda: stat,
        get_throughput=lambda: SimpleNamespace(mean=100.0),
        get_num_generated_tokens=lambda: n,
        get_num_input_tokens=lambda: 3,
    )
    return SimpleNamespace(perf_metrics=pm)


def token_source(total, delay=0.0, seen=None):
    """A fake pipeline.generate: calls the streamer per token until it says STOP."""

    def run(streamer):
        produced = 0
        for i in range(total):
            time.sleep(delay)
            produced += 1
            if streamer(f"t{i} ") != og.StreamingStatus.RUNNING:
                break
        if seen is not None:
            seen.append(produced)
        return fake_result(produced)

    return run


def test_events_in_order_then_finished_with_metrics():
    sink = []
    events = list(stream_generate(token_source(5), "CPU", sink=sink))
    assert [e.text for e in events[:-1]] == [f"t{i} " for i in range(5)]
    done = events[-1]
    assert isinstance(done, Finished) and done.text == "t0 t1 t2 t3 t4 " and not done.stopped
    assert done.metrics.generated_tokens == 5 and sink == [done.metrics]


def test_closing_the_stream_stops_generation_at_once():
    seen = []
    stream = stream_generate(token_source(10_000, delay=0.001, seen=seen), "CPU")
    assert isinstance(next(stream), Delta)
    started = time.perf_counter()
    stream.close()  # what Gradio does when the Stop button cancels the event or the tab closes
    assert time.perf_counter() - started < 1.0
    assert seen and seen[0] < 100  # the worker saw STOP long before the 10 000th token


def test_cancel_flag_stops_and_marks_the_result():
    cancel = threading.Event()
    events = []
    for event in stream_generate(token_source(10_000, delay=0.001), "CPU", cancel):
        events.append(event)
        if len(events) == 3:
            cancel.set()
    assert isinstance(events[-1], Finished) and events[-1].stopped
    assert len(events) < 10


def test_errors_in_generate_reach_the_consumer():
    def run(streamer):
        streamer("partial")
        raise RuntimeError("device lost")

    stream = stream_generate(run, "CPU")
    assert next(stream) == Delta("partial")
    with pytest.raises(RuntimeError, match="device lost"):
        list(stream)
