"""POST /v1/embeddings through the official openai SDK (sync and async) and LangChain, POST
/v1/rerank (the Cohere / Jina shape) with httpx, every bad input with its status and body, and the
body-size limit (413) of every /v1 route."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import httpx
import numpy as np
import openai
import pytest
import soundfile as sf

from openvino_ui.fixtures.retrieval import RERANK_DOCUMENTS, RERANK_QUERIES
from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

TEXTS = ["a cat sat on the mat", "the stock market fell today", "hello"]


def assert_error(
    response: httpx.Response, status: int, param: str | None, *words: str, code: str = ""
) -> dict:
    """The response is `status` with an OpenAI error body naming `param` (and saying `words`)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param, error
    for word in words:
        assert word in error["message"], error
    if code:
        assert error["code"] == code, error
    return error


def expected_tokens(texts: list[str]) -> int:
    """The tokens tiny-embed reads, counted by the `tokenizers` library from its tokenizer.json."""
    from tokenizers import Tokenizer

    from openvino_ui.fixtures import fixture_path

    tokenizer = Tokenizer.from_file(str(fixture_path("tiny-embedding") / "tokenizer.json"))
    return sum(len(tokenizer.encode(text).ids) for text in texts)


# -- embeddings -----------------------------------------------------------------------------------


def test_embeddings_float_and_base64_decode_equal(sdk, http):
    floats = sdk.embeddings.create(model="tiny-embed", input=TEXTS, encoding_format="float")
    assert floats.object == "list" and floats.model == "tiny-embed"
    assert [d.index for d in floats.data] == [0, 1, 2] and all(d.object == "embedding" for d in floats.data)
    vectors = np.array([d.embedding for d in floats.data], dtype=np.float32)
    assert vectors.shape == (3, 32)
    # the SDK asks for base64 when no format is given and decodes it itself
    default = sdk.embeddings.create(model="tiny-embed", input=TEXTS)
    assert np.array_equal(np.array([d.embedding for d in default.data], dtype=np.float32), vectors)
    # raw base64: little-endian float32 bytes
    raw = http.post("embeddings", json={"model": "tiny-embed", "input": TEXTS, "encoding_format": "base64"})
    assert raw.status_code == 200
    decoded = [np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in raw.json()["data"]]
    assert np.array_equal(np.stack(decoded), vectors)


def test_embeddings_usage_counts_the_model_tokens(sdk):
    result = sdk.embeddings.create(model="tiny-embed", input=TEXTS, encoding_format="float")
    assert result.usage.prompt_tokens == expected_tokens(TEXTS) == result.usage.total_tokens
    one = sdk.embeddings.create(model="tiny-embed", input="hello", encoding_format="float")
    assert len(one.data) == 1 and one.usage.prompt_tokens == expected_tokens(["hello"])


def test_embeddings_default_model_and_input_type(http):
    document = http.post("embeddings", json={"input": "a cat"}).json()
    assert document["model"] == "tiny-embed"  # the first embedding model configured
    query = http.post("embeddings", json={"input": "a cat", "input_type": "query", "user": "u1"})
    assert query.status_code == 200 and len(query.json()["data"][0]["embedding"]) == 32


def test_embeddings_async_sdk(app_url):
    async def run() -> list[list[float]]:
        async with openai.AsyncOpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
            results = await asyncio.gather(
                *(client.embeddings.create(model="tiny-embed", input=[t]) for t in TEXTS)
            )
            return [r.data[0].embedding for r in results]

    vectors = asyncio.run(run())
    assert len(vectors) == 3 and all(len(v) == 32 for v in vectors)


def test_langchain_openai_embeddings(app_url, sdk):
    from langchain_openai import OpenAIEmbeddings

    embeddings = OpenAIEmbeddings(
        model="tiny-embed", base_url=app_url + "v1", api_key="any", check_embedding_ctx_length=False
    )
    documents = embeddings.embed_documents(TEXTS)
    query = embeddings.embed_query(TEXTS[0])
    reference = sdk.embeddings.create(model="tiny-embed", input=TEXTS).data
    assert np.allclose(documents, [d.embedding for d in reference])
    assert np.allclose(query, reference[0].embedding)


@pytest.mark.parametrize(
    ("body", "status", "param", "words"),
    [
        ({"model": "tiny-embed", "input": [[1, 2, 3]]}, 400, "input", ["token arrays"]),
        ({"model": "tiny-embed", "input": [1, 2, 3]}, 400, "input", ["token arrays"]),
        ({"model": "tiny-embed", "input": ["x"] * 9}, 400, "input", ["9 texts", "at most 8"]),
        ({"model": "tiny-embed", "input": ""}, 400, "input", ["empty"]),
        ({"model": "tiny-embed", "input": []}, 400, "input", ["at least one"]),
        ({"model": "tiny-embed", "input": 42}, 400, "input", ["list of strings"]),
        ({"model": "tiny-embed", "input": ["ok", None]}, 400, "input", ["input[1]"]),
        ({"model": "tiny-embed"}, 400, "input", ["required"]),
        ({"model": "tiny-embed", "input": "x", "dimensions": 8}, 400, "dimensions", ["must be 32"]),
        ({"model": "tiny-embed", "input": "x", "dimensions": "8"}, 400, "dimensions", ["integer"]),
        ({"model": "tiny-embed", "input": "x", "encoding_format": "int8"}, 400, "encoding_format", ["float"]),
        ({"model": "tiny-embed", "input": "x", "input_type": "search"}, 400, "input_type", ["query"]),
        ({"model": "tiny-embed", "input": "x", "user": 5}, 400, "user", ["string"]),
        ({"model": "tiny-embed", "input": "x", "truncate": True}, 400, "truncate", ["Unsupported"]),
        ({"model": "tiny-rerank", "input": "x"}, 400, "model", ["'rerank' model"]),
        ({"model": "no-such", "input": "x"}, 404, "model", ["not configured"]),
        ({"model": 7, "input": "x"}, 400, "model", ["model name"]),
    ],
)
def test_embeddings_bad_input(http, body, status, param, words):
    assert_error(http.post("embeddings", json=body), status, param, *words)


def test_embeddings_bad_bodies(http, sdk):
    assert_error(
        http.post("embeddings", content=b"{not json"), 400, None, "not valid JSON", code="invalid_json"
    )
    assert_error(http.post("embeddings", json=["a"]), 400, None, "JSON object")
    with pytest.raises(openai.BadRequestError) as info:
        sdk.embeddings.create(model="tiny-embed", input=[[1, 2]])
    assert info.value.status_code == 400 and "token arrays" in info.value.message


# -- rerank ---------------------------------------------------------------------------------------

DOCUMENTS = RERANK_DOCUMENTS  # what the tiny cross-encoder was trained on: a cat, paris, dogs


@pytest.mark.parametrize("model", ["tiny-rerank", "tiny-bi-rerank"])
def test_rerank_sorted_results_with_indices(http, model):
    response = http.post("rerank", json={"model": model, "query": "where is the cat", "documents": DOCUMENTS})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == model and isinstance(body["id"], str)
    results = body["results"]
    assert sorted(r["index"] for r in results) == [0, 1, 2]  # top_n left out: every document
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all("document" not in r for r in results)


def test_rerank_cross_encoder_finds_the_answer_and_returns_documents(http):
    body = {
        "model": "tiny-rerank",
        "query": "capital of france",
        "documents": [DOCUMENTS[0], {"text": DOCUMENTS[1]}, DOCUMENTS[2]],
        "top_n": 2,
        "return_documents": True,
    }
    results = http.post("rerank", json=body).json()["results"]
    assert len(results) == 2
    best = RERANK_QUERIES["capital of france"]
    assert results[0]["index"] == best and results[0]["document"] == {"text": DOCUMENTS[best]}
    assert results[1]["document"] == {"text": DOCUMENTS[results[1]["index"]]}
    assert 0.0 <= results[1]["relevance_score"] <= results[0]["relevance_score"] <= 1.0


def test_rerank_open_webui_request(http):
    """What Open WebUI's external reranker sends: {model, query, documents, top_n}; it reads
    results[].index and relevance_score. A top_n above the number of documents returns them all."""
    body = {"model": "tiny-rerank", "query": "what do dogs like", "documents": DOCUMENTS, "top_n": 5}
    results = http.post("rerank", json=body).json()["results"]
    assert len(results) == 3 and results[0]["index"] == RERANK_QUERIES["what do dogs like"]


@pytest.mark.parametrize(
    ("body", "status", "param", "words"),
    [
        ({"query": "q", "documents": DOCUMENTS, "top_n": 0}, 400, "top_n", ["at least 1"]),
        ({"query": "q", "documents": DOCUMENTS, "top_n": "2"}, 400, "top_n", ["integer"]),
        ({"query": "q", "documents": []}, 400, "documents", ["No documents"]),
        ({"query": "q", "documents": [1]}, 400, "documents", ["documents[0]"]),
        ({"query": "q", "documents": [{"title": "x"}]}, 400, "documents", ["'text'"]),
        ({"query": "q", "documents": ["d"] * 9}, 400, "documents", ["9 documents", "at most 8"]),
        ({"query": "q", "documents": "one"}, 200, None, []),
        ({"query": "", "documents": DOCUMENTS}, 400, "query", ["empty"]),
        ({"documents": DOCUMENTS}, 400, "query", ["empty"]),
        ({"query": "q", "documents": DOCUMENTS, "return_documents": "yes"}, 400, "return_documents", []),
        ({"query": "q", "documents": DOCUMENTS, "rank_fields": ["a"]}, 400, "rank_fields", ["Unsupported"]),
        ({"model": "tiny-embed", "query": "q", "documents": DOCUMENTS}, 400, "model", ["'embedding' model"]),
        ({"model": "nope", "query": "q", "documents": DOCUMENTS}, 404, "model", ["not configured"]),
    ],
)
def test_rerank_bad_input(http, body, status, param, words):
    response = http.post("rerank", json={"model": "tiny-rerank", **body} if "model" not in body else body)
    if status == 200:  # one string is a list of one document
        assert response.status_code == 200 and len(response.json()["results"]) == 1
        return
    assert_error(response, status, param, *words)


# -- body size ------------------------------------------------------------------------------------

LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def small_limit_app(tmp_path_factory):
    models = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-asr")}
    app = launch_app(write_test_config(tmp_path_factory.mktemp("limit"), models), "--max-body-size", "1mb")
    yield app
    close_app(app)


def big_wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, int(seconds * 16000)).astype(np.float32)
    sf.write(buffer, noise, 16000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_a_body_over_the_limit_is_413_before_it_is_read(small_limit_app):
    url = small_limit_app.url + "v1/"
    text = "word " * (LIMIT // 5 + 100)
    response = httpx.post(url + "embeddings", json={"model": "tiny-embed", "input": text}, timeout=60)
    error = assert_error(response, 413, None, "1 MiB", "--max-body-size", code="request_too_large")
    assert error["type"] == "invalid_request_error"
    # under the limit the same route answers
    assert httpx.post(url + "embeddings", json={"input": "word " * 1000}, timeout=60).status_code == 200


def test_a_chunked_body_is_cut_off_at_the_limit(small_limit_app):
    def chunks() -> Any:
        yield b'{"model": "tiny-embed", "input": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = httpx.post(small_limit_app.url + "v1/embeddings", content=chunks(), timeout=60)
    assert_error(response, 413, None, "longer", code="request_too_large")


def test_a_multipart_upload_over_the_limit_is_413(small_limit_app):
    url = small_limit_app.url + "v1/audio/transcriptions"
    files = {"file": ("long.wav", big_wav(40.0), "audio/wav")}  # 1.28 MB
    assert_error(httpx.post(url, files=files, data={"model": "tiny-asr"}, timeout=60), 413, None)
    small = {"file": ("short.wav", big_wav(2.0), "audio/wav")}
    assert httpx.post(url, files=small, data={"model": "tiny-asr"}, timeout=120).status_code == 200


def test_the_limit_is_only_for_v1(small_limit_app):
    assert httpx.get(small_limit_app.url + "health", timeout=30).status_code == 200


def test_unknown_v1_paths_and_methods_answer_in_the_error_shape(http):
    missing = http.get("no-such-route")
    assert_error(missing, 404, None, "No route /v1/no-such-route")
    wrong_method = http.get("embeddings")
    assert_error(wrong_method, 405, None, "GET is not allowed", "use POST")
    assert wrong_method.headers["allow"] == "POST"
