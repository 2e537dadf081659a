"""/describe, /embed and /rerank through gradio_client, bad input included."""

import math

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from openvino_ui.fixtures.retrieval import RERANK_DOCUMENTS
from openvino_ui.fixtures.vision import FOLLOW_UP, follow_up_answer


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    paths = {}
    for name, rgb in {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}.items():
        paths[name] = folder / f"{name}.png"
        Image.new("RGB", (320, 240), rgb).save(paths[name])
    paths["text"] = folder / "notes.txt"
    paths["text"].write_text("not an image")
    return paths


def test_describe_streams_the_colour(client, pictures):
    job = client.submit(
        handle_file(str(pictures["green"])), "What color is this?", "tiny-vision", api_name="/describe"
    )
    values = list(job)
    assert values[-1] == "green"
    assert all(values[i + 1].startswith(values[i]) for i in range(len(values) - 1))
    assert job.outputs()[-1] == "green"


def test_describe_follow_up_and_defaults(client, pictures):
    history = [{"role": "user", "content": "What color is this?"}, {"role": "assistant", "content": "red"}]
    answer = client.predict(
        image=handle_file(str(pictures["red"])),
        question=FOLLOW_UP,
        model="tiny-vision",
        history=history,
        max_new_tokens=16,
        api_name="/describe",
    )
    assert answer == follow_up_answer("red")
    # the default question and model still give text
    assert isinstance(client.predict(handle_file(str(pictures["blue"])), api_name="/describe"), str)


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda p: (None, "What color is this?", "tiny-vision"), "No image was given"),
        (lambda p: (handle_file(str(p["text"])), "What color?", "tiny-vision"), "notes.txt) is not an image"),
        (lambda p: (handle_file(str(p["red"])), "   ", "tiny-vision"), "The question is empty"),
        (
            lambda p: (handle_file(str(p["red"])), "What?", "tiny-chat"),
            "is a 'llm' model, but this needs a 'vlm'",
        ),
        (
            lambda p: (handle_file(str(p["red"])), "What?", "tiny-vision", None, 10**9),
            "max_new_tokens must be",
        ),
        (lambda p: ({"path": "/etc/hostname"}, "What?", "tiny-vision"), "was not uploaded to this server"),
        (
            lambda p: (handle_file(str(p["red"])), "What?", "tiny-vision", [{"role": "robot"}]),
            "history[0] must be",
        ),
    ],
)
def test_describe_bad_input_is_a_clear_error(client, pictures, make_args, message):
    with pytest.raises(AppError) as info:
        client.predict(*make_args(pictures), api_name="/describe")
    assert message in str(info.value)


def test_embed_returns_unit_vectors(client):
    vectors = client.predict(["a cat sat on the mat", "dogs like to play"], "tiny-embed", api_name="/embed")
    assert len(vectors) == 2 and all(len(v) == 32 for v in vectors)
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, abs_tol=1e-4) for v in vectors)
    query = client.predict(texts=["where is the cat"], model="tiny-embed", kind="query", api_name="/embed")
    assert len(query) == 1 and len(query[0]) == 32


@pytest.mark.parametrize(
    "args, message",
    [
        (([], "tiny-embed"), "No texts were given"),
        ((["a"] * 9, "tiny-embed"), "9 texts were given; this model takes at most 8"),
        ((["a", ""], "tiny-embed"), "texts[1] is empty"),
        ((["a"], "tiny-chat"), "is a 'llm' model, but this needs a 'embedding' model"),
        ((["a"], "nope"), "Model 'nope' is not configured"),
    ],
)
def test_embed_bad_input_is_a_clear_error(client, args, message):
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name="/embed")
    assert message in str(info.value)


def test_rerank_puts_the_right_document_first(client):
    results = client.predict("capital of france", RERANK_DOCUMENTS, "tiny-rerank", 3, api_name="/rerank")
    assert [set(r) for r in results] == [{"index", "score", "document"}] * 3
    assert results[0]["index"] == 1 and results[0]["document"] == RERANK_DOCUMENTS[1]
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert (
        len(client.predict("where is the cat", RERANK_DOCUMENTS, "tiny-rerank", 1, api_name="/rerank")) == 1
    )


def test_bi_encoder_rerank_through_the_api(client):
    results = client.predict(
        query="a cat sat on the mat", documents=RERANK_DOCUMENTS, model="tiny-bi-rerank", api_name="/rerank"
    )
    assert results[0]["index"] == 0 and results[0]["score"] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    "args, message",
    [
        (("capital", [], "tiny-rerank"), "No documents were given"),
        (("", ["a"], "tiny-rerank"), "The query is empty"),
        (("q", ["a"] * 9, "tiny-rerank"), "9 documents were given; this model takes at most 8"),
        (("q", ["a"], "tiny-rerank", 0), "top_n must be between 1 and 8"),
        (("q", ["a"], "tiny-embed"), "is a 'embedding' model, but this needs a 'rerank' model"),
    ],
)
def test_rerank_bad_input_is_a_clear_error(client, args, message):
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name="/rerank")
    assert message in str(info.value)
