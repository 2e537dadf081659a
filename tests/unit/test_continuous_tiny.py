"""Issue 13 on the real ContinuousBatchingPipeline with the tiny trained LLM: concurrent greedy
streams give the texts of the same requests one after another (and of the plain pipeline);
cancelling one of four leaves the other three complete; logprobs and a refused JSON schema."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines.continuous import BatchScheduler
from openvino_ui.engines.llm import LLMEngine
from openvino_ui.errors import InvalidInput
from openvino_ui.fixtures import fixture_path
from openvino_ui.fixtures.text import ENDLESS_PROMPT, ENDLESS_WORD
from openvino_ui.generation import Delta, Finished, GenerationParams

GREEDY = GenerationParams(max_new_tokens=40, temperature=0.0)
QUESTIONS = ["What is the capital of France?", "What is the capital of Japan?", "hello", ENDLESS_PROMPT]


@pytest.fixture(scope="module")
def engines() -> dict[str, LLMEngine]:
    path = fixture_path("tiny-llm")
    text = (
        f"models:\n  cb: {{task: llm, path: {path}}}\n  plain: {{task: llm, path: {path}, batching: off}}\n"
    )
    config = parse_config(text, Path("/tmp/models.yaml"))
    built = {name: LLMEngine(name, spec) for name, spec in config.models.items()}
    for engine in built.values():
        engine.load()
    yield built
    for engine in built.values():
        engine.unload()


def reply(engine: LLMEngine, question: str, params=GREEDY, cancel=None, started=None) -> Finished:
    for event in engine.stream([{"role": "user", "content": question}], params, cancel):
        if isinstance(event, Delta) and started is not None:
            started.set()
        if isinstance(event, Finished):
            return event
    raise AssertionError("no Finished event")


def test_the_default_engine_batches_and_batching_off_keeps_the_plain_pipeline(engines):
    assert isinstance(engines["cb"]._loaded.pipeline, BatchScheduler)
    assert not isinstance(engines["plain"]._loaded.pipeline, BatchScheduler)


def test_four_concurrent_greedy_streams_equal_the_same_requests_one_after_another(engines):
    cb = engines["cb"]
    one_by_one = [reply(cb, q).text for q in QUESTIONS]
    with ThreadPoolExecutor(4) as executor:
        together = list(executor.map(lambda q: reply(cb, q).text, QUESTIONS))
    assert together == one_by_one
    assert one_by_one == [reply(engines["plain"], q).text for q in QUESTIONS]
    assert one_by_one[0] == "Paris."


def test_cancelling_one_of_four_streams_leaves_the_other_three_complete(engines):
    cb = engines["cb"]
    expected = [reply(cb, q).text for q in QUESTIONS[:3]]
    stop, started = threading.Event(), threading.Event()
    endless = GenerationParams(max_new_tokens=100_000, temperature=0.0)
    with ThreadPoolExecutor(4) as executor:
        cancelled = executor.submit(reply, cb, ENDLESS_PROMPT, endless, stop, started)
        assert started.wait(30)
        others = [executor.submit(reply, cb, q) for q in QUESTIONS[:3]]
        stop.set()
        gone = cancelled.result(30)
        assert [f.result(30).text for f in others] == expected
    assert gone.stopped and gone.text.count(ENDLESS_WORD.strip()) >= 1
    assert gone.metrics.generated_tokens < 100_000


def test_logprobs_are_one_per_token_and_the_plain_pipeline_refuses_them(engines):
    params = GenerationParams(max_new_tokens=6, temperature=0.0, logprobs=True)
    events = list(engines["cb"].stream([{"role": "user", "content": QUESTIONS[0]}], params))
    tokens = [t for e in events if isinstance(e, Delta) for t in e.logprobs]
    finished = events[-1]
    assert len(tokens) == finished.metrics.generated_tokens > 0
    assert all(t.logprob <= 0 for t in tokens)
    with pytest.raises(InvalidInput, match="logprobs need continuous batching"):
        list(engines["plain"].stream([{"role": "user", "content": "hi"}], params))


def test_a_schema_the_grammar_compiler_refuses_fails_only_its_own_request(engines):
    cb = engines["cb"]
    bad = GenerationParams(
        max_new_tokens=8, temperature=0.0, json_schema='{"type": "string", "pattern": "(?=a)"}'
    )
    started = threading.Event()
    endless = GenerationParams(max_new_tokens=60, temperature=0.0)
    with ThreadPoolExecutor(1) as executor:
        running = executor.submit(reply, cb, ENDLESS_PROMPT, endless, None, started)
        assert started.wait(30)
        with pytest.raises(InvalidInput, match="lookaround"):
            reply(cb, "hi", bad)
        assert running.result(30).finish_reason == "length"
    good = GenerationParams(max_new_tokens=30, temperature=0.0, json_schema='{"type": "object"}')
    assert reply(cb, "hi", good).text.startswith("{")


def test_ignore_eos_runs_to_the_token_limit_on_both_pipelines(engines):
    params = GenerationParams(max_new_tokens=24, temperature=0.0, ignore_eos=True)
    for name in ("cb", "plain"):
        finished = reply(engines[name], QUESTIONS[0], params)
        assert finished.metrics.generated_tokens == 24 and finished.finish_reason == "length", name


def test_streaming_detokenisation_is_fast_where_it_decodes_exactly_as_the_model(tmp_path):
    import shutil

    import openvino_genai as og

    from openvino_ui.engines.text_stream import Detokenizer, fast_tokenizer

    folder = fixture_path("tiny-llm")
    reference = og.Tokenizer(str(folder))
    fast = fast_tokenizer(folder, reference)
    assert fast is not None  # its tokenizer.json decodes exactly as its OpenVINO detokenizer
    text = "Héllo 日本語 🎉 done"
    ids = [int(t) for t in reference.encode(text).input_ids.data[0]]
    for decoder in (Detokenizer(reference, fast), Detokenizer(reference)):
        pieces = [decoder.add([t]) for t in ids] + [decoder.flush()]
        assert "".join(pieces) == reference.decode(ids, skip_special_tokens=True)
        assert not any("\ufffd" in piece for piece in pieces)
    assert fast_tokenizer(tmp_path, reference) is None  # no tokenizer.json: OpenVINO's detokenizer
    shutil.copy(fixture_path("tiny-vlm") / "tokenizer.json", tmp_path / "tokenizer.json")
    assert fast_tokenizer(tmp_path, reference) is None  # another model's: it decodes differently
