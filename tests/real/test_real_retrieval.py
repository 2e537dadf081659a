"""The default embedding model (all-MiniLM-L6-v2, prepared from PyPI) and the bi-encoder reranker
over it, through the API: similar sentences score closer than unrelated ones; the right document
ranks first."""

import math

EATING = "A man is eating food."
BREAD = "A man is eating a piece of bread."
STOCKS = "The stock market fell sharply today."


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_minilm_scores_related_sentences_closer(real_app, prepared_models):
    prepared_models.require("all-minilm-l6-v2")
    vectors = real_app.client.predict([EATING, BREAD, STOCKS], "all-minilm-l6-v2", api_name="/embed")
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, abs_tol=1e-3) for v in vectors)
    related, unrelated = cosine(vectors[0], vectors[1]), cosine(vectors[0], vectors[2])
    assert related > unrelated + 0.3, (related, unrelated)  # measured 0.75 vs 0.00
    engine = real_app.pool.get("all-minilm-l6-v2")
    assert engine.pooling.pooling == "mean" and engine.pooling.normalize


def test_bi_encoder_reranker_finds_the_capital_of_france(real_app, prepared_models):
    prepared_models.require("all-minilm-l6-v2")
    documents = [
        "Berlin is the capital of Germany.",
        "The Eiffel Tower was finished in 1889.",
        "Paris is the capital of France.",
        "Cats sleep for most of the day.",
    ]
    results = real_app.client.predict(
        "What is the capital of France?", documents, "minilm-reranker", 4, api_name="/rerank"
    )
    assert results[0]["document"] == "Paris is the capital of France." and results[0]["index"] == 2
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
