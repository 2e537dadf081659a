"""Cross-encoder reranking requests that arrive together are scored in one batch of query-document
pairs (issue 13), on the trained tiny cross-encoder: different queries share one call, results
equal each request reranked alone, and the pair scorer is used only where it agrees with
openvino_genai's TextRerankPipeline. Deterministic: the test holds the model's turn and releases it
once every request waits for a batch."""

import threading
from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines import cross_encoder
from openvino_ui.engines.cross_encoder import PairScorer
from openvino_ui.fixtures import fixture_path
from openvino_ui.fixtures.retrieval import RERANK_DOCUMENTS
from tests.unit.fakes import wait_until

DOCUMENTS = [*RERANK_DOCUMENTS, "Paris is the capital of France.", "Cats sleep most of the day."]
REQUESTS = [
    ("a cat", DOCUMENTS[:3]),
    ("dogs", DOCUMENTS[1:4]),
    ("where is paris?", DOCUMENTS[:2]),
    ("a cat", DOCUMENTS[2:5]),
]


@pytest.fixture(scope="module")
def pool():
    from openvino_ui.pool import EnginePool

    path = fixture_path("tiny-reranker")
    yaml = f"""
models:
  solo: {{task: rerank, path: '{path}', batching: off, top_n: 8}}
  batched: {{task: rerank, path: '{path}', batch_wait_ms: 0, top_n: 8}}
  small: {{task: rerank, path: '{path}', batch_wait_ms: 0, max_batch_texts: 5, top_n: 8}}
"""
    pool = EnginePool(parse_config(yaml, Path("/tmp/m.yaml")))
    yield pool
    pool.close()


class Counting:
    """Wraps the loaded pipeline: records the number of pairs of every batch call."""

    def __init__(self, real):
        self.real = real
        self.calls: list[int] = []

    def score(self, pairs):
        self.calls.append(len(pairs))
        return self.real.score(pairs)


def counting(engine, monkeypatch) -> Counting:
    wrapper = Counting(engine._loaded.pipeline)
    engine._loaded.pipeline = wrapper
    monkeypatch.setattr(engine.batcher, "call", lambda pipeline, pairs: pipeline.score(pairs))
    return wrapper


def held_requests(engine, requests) -> list:
    results: list = [None] * len(requests)
    hold = engine.serving()
    hold.__enter__()  # the model is busy: every request below waits for a batch

    def submit(i: int) -> None:
        query, documents = requests[i]
        try:
            results[i] = engine.rerank(query, list(documents), 8)
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = []
    for i in range(len(requests)):
        threads.append(threading.Thread(target=submit, args=(i,)))
        threads[-1].start()
        wait_until(lambda n=i + 1: engine.batcher.waiting() == n)
    hold.__exit__(None, None, None)
    for thread in threads:
        thread.join(30)
    return results


def scores(ranked) -> dict[int, float]:
    return {doc.index: doc.score for doc in ranked}


def test_the_pair_scorer_agrees_with_the_pipeline_and_is_used(pool):
    engine = pool.ready("batched", "rerank")
    assert isinstance(engine._loaded.pipeline, PairScorer)
    solo = pool.ready("solo", "rerank")
    assert solo.batcher is None and not isinstance(solo._loaded.pipeline, PairScorer)


def test_requests_with_different_queries_share_one_call_and_match_alone(pool, monkeypatch):
    solo, engine = pool.ready("solo", "rerank"), pool.ready("batched", "rerank")
    expected = [scores(solo.rerank(q, list(docs), 8)) for q, docs in REQUESTS]
    wrapper = counting(engine, monkeypatch)
    before = engine.stats().requests
    results = held_requests(engine, REQUESTS)
    assert wrapper.calls == [sum(len(docs) for _, docs in REQUESTS)]  # one call for all four
    for result, want in zip(results, expected, strict=True):
        got = scores(result)
        assert got.keys() == want.keys()
        assert max(abs(got[i] - want[i]) for i in got) <= 1e-5
        assert [d.index for d in result] == sorted(got, key=lambda i: -got[i])  # best first
    assert engine.stats().requests == before + 1 + len(REQUESTS)  # +1: the holder


def test_a_batch_never_exceeds_max_batch_texts_pairs(pool, monkeypatch):
    engine = pool.ready("small", "rerank")
    wrapper = counting(engine, monkeypatch)
    results = held_requests(engine, REQUESTS)
    assert wrapper.calls == [3, 5, 3]  # whole requests, oldest first, at most 5 pairs
    assert [len(r) for r in results] == [3, 3, 2, 3]


def test_a_model_the_scorer_disagrees_with_keeps_the_pipeline_and_merges_per_query(pool, monkeypatch):
    monkeypatch.setattr(cross_encoder, "TOLERANCE", -1.0)  # no scorer can agree: the fallback
    engine = pool.get("small", "rerank")
    engine.unload()
    engine = pool.ready("small", "rerank")
    assert not isinstance(engine._loaded.pipeline, PairScorer)
    solo = pool.ready("solo", "rerank")
    results = held_requests(engine, REQUESTS)
    for (query, docs), result in zip(REQUESTS, results, strict=True):
        want = scores(solo.rerank(query, list(docs), 8))
        got = scores(result)
        assert max(abs(got[i] - want[i]) for i in got) <= 1e-6


def test_pair_scores_are_probabilities():
    path = fixture_path("tiny-reranker")
    import openvino_genai as og

    config = og.TextRerankPipeline.Config()
    config.top_n = 8
    pipeline = og.TextRerankPipeline(str(path), "CPU", config)
    scorer = cross_encoder.pair_scorer(path, "CPU", {}, pipeline)
    assert scorer is not None
    values = scorer.score([("a cat", doc) for doc in DOCUMENTS])
    assert values.shape == (len(DOCUMENTS),) and np.all((values > 0) & (values < 1))
