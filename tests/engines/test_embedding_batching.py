"""Dynamic batching of document embeddings on the tiny fixture: requests that wait while the model
is busy are served by one pipeline call, within max_batch_texts, each counted as its own request,
each getting the same vectors as when embedded alone. Deterministic: the test holds the model's
turn and releases it only once every request waits for a batch."""

import threading
from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.fixtures import fixture_path
from tests.unit.fakes import wait_until

TEXTS = [
    "a cat sat on the mat",
    "dogs like to play in the park",
    "paris is the capital of france",
    "the quick brown fox jumps over the lazy dog",
    "embedding models turn text into vectors",
    "short",
]


@pytest.fixture(scope="module")
def pool():
    from openvino_ui.pool import EnginePool

    path = fixture_path("tiny-embedding")
    yaml = f"""
models:
  solo: {{task: embedding, path: '{path}', batching: off}}
  batched: {{task: embedding, path: '{path}', batch_wait_ms: 0}}
  small: {{task: embedding, path: '{path}', max_batch_texts: 4, batch_wait_ms: 0}}
  patient: {{task: embedding, path: '{path}', batch_wait_ms: 100}}
"""
    pool = EnginePool(parse_config(yaml, Path("/tmp/m.yaml")))
    yield pool
    pool.close()


class Counting:
    """Wraps the real pipeline: records the size of every embed_documents call; fails on 'bad'."""

    def __init__(self, real):
        self.real = real
        self.calls: list[int] = []

    def embed_documents(self, texts):
        self.calls.append(len(texts))
        if "bad" in texts:
            raise RuntimeError("cannot embed this")
        return self.real.embed_documents(texts)


def counting(engine) -> Counting:
    wrapper = Counting(engine._loaded.pipeline)
    engine._loaded.pipeline = wrapper
    return wrapper


def held_requests(engine, requests: list[list[str]]) -> list:
    """Submit `requests` from one thread each while the test holds the model, then release it."""
    results: list = [None] * len(requests)
    hold = engine.serving()
    hold.__enter__()  # the pipeline is busy: every request below waits for a batch

    def submit(i: int) -> None:
        try:
            results[i] = engine.embed(requests[i])
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = []
    for i in range(len(requests)):  # one at a time, so the order of the batches is known
        threads.append(threading.Thread(target=submit, args=(i,)))
        threads[-1].start()
        wait_until(lambda n=i + 1: engine.batcher.waiting() == n)
    hold.__exit__(None, None, None)
    for thread in threads:
        thread.join()
    return results


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_concurrent_embed_requests_share_one_pipeline_call(pool):
    solo, engine = pool.ready("solo", "embedding"), pool.ready("batched", "embedding")
    assert solo.batcher is None and engine.batcher is not None
    requests = [TEXTS[:2], TEXTS[2:3], TEXTS[3:6], TEXTS[1:2]]
    expected = [solo.embed(texts).vectors for texts in requests]
    wrapper = counting(engine)
    before = engine.stats().requests
    results = held_requests(engine, requests)
    assert wrapper.calls == [7]  # one merged call for all four requests
    for result, want in zip(results, expected, strict=True):
        assert result.vectors.shape == want.shape
        assert np.all(cosine(result.vectors, want) >= 0.9999)
    stats = engine.stats()
    assert stats.requests == before + 1 + len(requests) and stats.failures == 0  # +1: the holder
    assert not engine.is_busy() and engine.batcher.waiting() == 0


def test_a_batch_never_exceeds_max_batch_texts(pool):
    engine = pool.ready("small", "embedding")
    wrapper = counting(engine)
    requests = [TEXTS[0:2], TEXTS[2:4], TEXTS[4:6], TEXTS[0:1], TEXTS[1:6]]
    results = held_requests(engine, requests)
    # oldest first, whole requests, at most 4 texts; a request over the limit goes alone
    assert wrapper.calls == [4, 3, 5]
    assert [r.vectors.shape[0] for r in results] == [2, 2, 2, 1, 5]
    assert np.allclose(results[3].vectors[0], results[0].vectors[0], atol=1e-5)


def test_a_failing_batch_is_retried_request_by_request(pool):
    engine = pool.ready("batched", "embedding")
    wrapper = counting(engine)
    before = engine.stats()
    results = held_requests(engine, [TEXTS[:2], ["bad"], TEXTS[2:3]])
    assert wrapper.calls == [4, 2, 1, 1]  # merged call failed; then each request alone
    assert isinstance(results[1], RuntimeError)
    assert results[0].vectors.shape == (2, 32) and results[2].vectors.shape == (1, 32)
    after = engine.stats()
    assert after.requests == before.requests + 4 and after.failures == before.failures + 1


class CountingCondition(threading.Condition):
    """A Condition that counts its timed waits (the leader's wait for company)."""

    def __init__(self):
        super().__init__(threading.Lock())
        self.timed_waits = 0

    def wait(self, timeout=None):
        if timeout is not None:
            self.timed_waits += 1
        return super().wait(timeout)


def test_a_lone_client_never_waits_for_company_and_a_crowd_does(pool):
    engine = pool.ready("patient", "embedding")
    engine.batcher._cond = waits = CountingCondition()
    for text in TEXTS:  # one client, one request after another: nobody to wait for
        engine.embed([text])
    assert waits.timed_waits == 0 and not engine.batcher._crowded
    held_requests(engine, [TEXTS[:1], TEXTS[1:2], TEXTS[2:3]])  # these came together
    assert engine.batcher._crowded
    engine.embed([TEXTS[0]])  # the model is idle and requests lately came together: it waits
    assert waits.timed_waits >= 1


def test_token_counts_come_fast_where_tokenizer_json_counts_as_the_model(pool, tmp_path):
    import openvino_genai as og

    from openvino_ui.engines.embedding import _count_with, fast_counter

    engine = pool.get("batched", "embedding")
    counter = engine._token_counter()
    assert not hasattr(counter, "func")  # not the OpenVINO fallback (a functools.partial)
    reference = og.Tokenizer(str(engine.spec.path))
    for texts in (TEXTS, ["word " * 3000], ["ünïcödé 日本語 🎉"], [""]):
        assert counter(list(texts)) == _count_with(reference, None, list(texts))
    # a tokenizer.json that counts otherwise is not used
    (tmp_path / "tokenizer.json").write_text(
        '{"version": "1.0", "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}'
    )
    assert fast_counter(tmp_path, None, reference) is None
