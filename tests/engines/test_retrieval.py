"""Embedding and reranking engines on the tiny fixtures: unit-norm vectors of the right shape, the
trained cross-encoder puts the right document first, the bi-encoder ranks by cosine similarity."""

from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines.base import State
from openvino_ui.errors import ModelLoadFailed
from openvino_ui.fixtures import fixture_path
from openvino_ui.fixtures.retrieval import RERANK_DOCUMENTS, RERANK_QUERIES
from openvino_ui.retrieval import Embeddings, RankedDocument


@pytest.fixture(scope="module")
def pool():
    from openvino_ui.pool import EnginePool

    yaml = f"""
models:
  emb: {{task: embedding, path: '{fixture_path("tiny-embedding")}'}}
  emb-cls: {{task: embedding, path: '{fixture_path("tiny-embedding")}', pooling: cls, normalize: false}}
  cross: {{task: rerank, path: '{fixture_path("tiny-reranker")}', max_documents: 16}}
  bi: {{task: rerank, method: bi_encoder, embedding_model: emb}}
  broken-emb: {{task: embedding, path: /does/not/exist}}
  bi-broken: {{task: rerank, method: bi_encoder, embedding_model: broken-emb}}
"""
    pool = EnginePool(parse_config(yaml, Path("/tmp/m.yaml")))
    yield pool
    pool.close()


def test_embeddings_are_unit_norm_float32_rows(pool):
    engine = pool.ready("emb", "embedding")
    result = engine.embed(["a cat sat on the mat", "dogs like to play", "a cat sat on the mat"])
    assert isinstance(result, Embeddings)
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (3, 32) and result.dim == 32
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(result.vectors[0], result.vectors[2], atol=1e-5)
    assert result.seconds > 0
    assert engine.pooling.pooling == "mean" and engine.pooling.normalize  # read from the fixture's files


def test_query_kind_and_spec_overrides(pool):
    query = pool.ready("emb", "embedding").embed(["where is the cat"], kind="query")
    assert query.vectors.shape == (1, 32)
    raw = pool.ready("emb-cls", "embedding")
    assert raw.pooling.pooling == "cls" and not raw.pooling.normalize
    norms = np.linalg.norm(raw.embed(["a cat", "dogs"]).vectors, axis=1)
    assert not np.allclose(norms, 1.0)


@pytest.mark.parametrize("query, best", list(RERANK_QUERIES.items()))
def test_cross_encoder_puts_the_right_document_first(pool, query, best):
    results = pool.ready("cross", "rerank").rerank(query, RERANK_DOCUMENTS, top_n=3)
    assert all(isinstance(r, RankedDocument) for r in results)
    assert results[0].index == best and results[0].document == RERANK_DOCUMENTS[best]
    assert results[0].score > 0.9 and all(r.score < 0.1 for r in results[1:])
    assert sorted(r.index for r in results) == [0, 1, 2]


def test_cross_encoder_top_n(pool):
    results = pool.ready("cross", "rerank").rerank("capital of france", RERANK_DOCUMENTS * 3, top_n=2)
    assert len(results) == 2 and results[0].score >= results[1].score
    assert {r.document for r in results} == {RERANK_DOCUMENTS[1]}


def test_bi_encoder_ranks_by_cosine_similarity(pool):
    engine = pool.ready("bi", "rerank")
    docs = ["dogs like to play in the park", "a cat sat on the mat", "paris is the capital of france"]
    results = engine.rerank("a cat sat on the mat", docs, top_n=3)
    # the document identical to the query has cosine 1 (random weights: only that is assertable)
    assert results[0].index == 1 and results[0].score == pytest.approx(1.0, abs=1e-4)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert len(engine.rerank("a cat", docs, top_n=1)) == 1


def test_bi_encoder_loads_its_embedding_model_and_keeps_stats(pool):
    embedder = pool.get("emb")
    embedder.unload()
    engine = pool.get("bi")
    engine.unload()
    engine.load()
    assert embedder.state is State.READY and engine.info().model_dir is None
    before = engine.stats().requests
    engine.rerank("a cat", ["a cat", "dogs"], top_n=2)
    assert engine.stats().requests == before + 1 and not engine.is_busy()


def test_bi_encoder_with_a_broken_embedding_model_fails_to_load_clearly(pool):
    with pytest.raises(ModelLoadFailed, match="broken-emb"):
        pool.ready("bi-broken", "rerank")
    assert pool.get("bi-broken").state is State.FAILED
