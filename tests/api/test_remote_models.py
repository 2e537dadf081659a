"""A real remote: a second openvino-ui (under --api-key) serves the tiny models, and a first one
serves them as `remote:` entries pointing at the second's /v1. The first is driven through
gradio_client and the openai SDK; each answer must equal what the second gives directly."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
import soundfile as sf
from PIL import Image

from tests.conftest import TEST_MODELS, close_app, free_port, launch_app, write_test_config

KEY = "remote-test-key-5f1c"
KEY_ENV, WRONG_ENV = "OPENVINO_UI_TEST_REMOTE_KEY", "OPENVINO_UI_TEST_WRONG_KEY"
SPEECH = Path(__file__).parents[2] / "assets" / "speech-en.wav"
FRANCE = "What is the capital of France?"
SERVED = ("tiny-chat", "tiny-embed", "tiny-asr", "tiny-vision", "tiny-rerank", "tiny-tts")
GREEDY = {"generation": {"temperature": 0.0, "max_new_tokens": 64}}


@pytest.fixture(scope="module")
def remote_app(tmp_path_factory):
    """The remote: a second openvino-ui serving the tiny models, every /v1 route behind a key."""
    models = {name: TEST_MODELS[name] for name in SERVED}
    app = launch_app(write_test_config(tmp_path_factory.mktemp("remote"), models), "--api-key", KEY)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def down_url():
    return f"http://127.0.0.1:{free_port()}/v1"


@pytest.fixture(scope="module")
def front_app(remote_app, down_url, tmp_path_factory):
    """The first openvino-ui: each task's model is a `remote:` entry on the remote's /v1."""
    saved = {name: os.environ.get(name) for name in (KEY_ENV, WRONG_ENV)}
    os.environ[KEY_ENV], os.environ[WRONG_ENV] = KEY, "not-the-key-9d2e"
    url = remote_app.url + "v1"

    def entry(task: str, model: str, env: str = KEY_ENV, **more: object) -> tuple[None, dict]:
        return None, {"task": task, "remote": {"url": url, "model": model, "api_key_env": env}, **more}

    models = {
        "remote-chat": entry("llm", "tiny-chat", **GREEDY),
        "remote-vision": entry("vlm", "tiny-vision", **GREEDY),
        "remote-embed": entry("embedding", "tiny-embed"),
        "remote-rerank": entry("rerank", "tiny-rerank"),
        "remote-asr": entry("asr", "tiny-asr"),
        "remote-tts": entry("tts", "tiny-tts"),
        "wrong-key-chat": entry("llm", "tiny-chat", env=WRONG_ENV),
        "down-embed": (None, {"task": "embedding", "remote": {"url": down_url}}),
    }
    app = launch_app(write_test_config(tmp_path_factory.mktemp("front"), models))
    yield app
    close_app(app)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def remote_sdk(remote_app):
    with openai.OpenAI(base_url=remote_app.url + "v1", api_key=KEY, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def front_sdk(front_app):
    with openai.OpenAI(base_url=front_app.url + "v1", api_key="any", max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def front_client(front_app):
    from gradio_client import Client

    return Client(front_app.url, verbose=False)


def test_streamed_chat_equals_the_remotes_answer(remote_sdk, front_sdk, front_client):
    direct = remote_sdk.chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": FRANCE}]
    )
    assert direct.choices[0].message.content == "Paris."
    stream = front_sdk.chat.completions.create(
        model="remote-chat",
        messages=[{"role": "user", "content": FRANCE}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Paris."
    assert chunks[-1].usage.completion_tokens == direct.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == direct.usage.prompt_tokens
    assert front_client.predict(FRANCE, "remote-chat", api_name="/chat") == "Paris."


def test_embeddings_equal_the_remotes_vectors(remote_sdk, front_sdk, front_client):
    texts = ["a cat on a mat", "a dog in the fog"]
    direct = remote_sdk.embeddings.create(model="tiny-embed", input=texts)
    through = front_sdk.embeddings.create(model="remote-embed", input=texts)
    np.testing.assert_allclose(
        [d.embedding for d in through.data], [d.embedding for d in direct.data], rtol=0, atol=1e-6
    )
    assert through.usage.prompt_tokens == direct.usage.prompt_tokens
    vectors = front_client.predict(texts, "remote-embed", "document", api_name="/embed")
    assert vectors is not None


def test_transcription_equals_the_remotes_text(remote_sdk, front_sdk, front_client):
    with SPEECH.open("rb") as audio:
        direct = remote_sdk.audio.transcriptions.create(model="tiny-asr", file=audio)
    with SPEECH.open("rb") as audio:
        through = front_sdk.audio.transcriptions.create(model="remote-asr", file=audio)
    assert through.text == direct.text and through.text
    from gradio_client import handle_file

    text, segments, *_ = front_client.predict(handle_file(str(SPEECH)), "remote-asr", api_name="/transcribe")
    assert isinstance(text, str) and isinstance(segments, list)


def png_data_url(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_vision_equals_the_remotes_answer(remote_sdk, front_sdk):
    content = [
        {"type": "text", "text": "What colour is this image?"},
        {"type": "image_url", "image_url": {"url": png_data_url((255, 0, 0))}},
    ]
    messages = [{"role": "user", "content": content}]
    direct = remote_sdk.chat.completions.create(model="tiny-vision", messages=messages)
    through = front_sdk.chat.completions.create(model="remote-vision", messages=messages)
    assert through.choices[0].message.content == direct.choices[0].message.content


def test_rerank_and_speech_equal_the_remotes(remote_app, front_app, remote_sdk, front_sdk):
    body = {"query": "a cat", "documents": ["a dog barks", "the cat sleeps", "stocks fell"], "top_n": 2}
    headers = {"Authorization": f"Bearer {KEY}"}
    direct = httpx.post(remote_app.url + "v1/rerank", json={**body, "model": "tiny-rerank"}, headers=headers)
    through = httpx.post(front_app.url + "v1/rerank", json={**body, "model": "remote-rerank"})
    assert through.status_code == 200, through.text
    pairs = [(r["index"], r["relevance_score"]) for r in through.json()["results"]]
    assert pairs == [(r["index"], r["relevance_score"]) for r in direct.json()["results"]]
    spoken = remote_sdk.audio.speech.create(
        model="tiny-tts", input="Hello there.", voice="", response_format="wav"
    )
    relayed = front_sdk.audio.speech.create(
        model="remote-tts", input="Hello there.", voice="", response_format="wav"
    )
    mine, rate = sf.read(io.BytesIO(relayed.content), dtype="float32")
    theirs, remote_rate = sf.read(io.BytesIO(spoken.content), dtype="float32")
    assert rate == remote_rate and mine.shape == theirs.shape and mine.size > 0
    np.testing.assert_array_equal(mine, theirs)  # the same 16-bit samples, relayed


def test_an_unreachable_endpoint_is_a_clear_error_naming_its_url(front_sdk, front_client, down_url):
    with pytest.raises(openai.APIStatusError) as caught:
        front_sdk.embeddings.create(model="down-embed", input=["x"])
    assert caught.value.status_code == 503 and down_url in caught.value.message
    assert "cannot be reached" in caught.value.message
    rows = {row["name"]: row for row in front_client.predict(api_name="/models")}
    assert rows["down-embed"]["status"] == "failed" and down_url in rows["down-embed"]["error"]
    assert rows["remote-chat"]["device"].startswith("remote:127.0.0.1:")


def test_a_wrong_key_is_a_clear_error_without_the_key(front_sdk, remote_app):
    with pytest.raises(openai.APIStatusError) as caught:
        front_sdk.chat.completions.create(
            model="wrong-key-chat", messages=[{"role": "user", "content": "hi"}]
        )
    message = caught.value.message
    assert caught.value.status_code == 503 and "refused the API key" in message and WRONG_ENV in message
    assert remote_app.url + "v1" in message  # the endpoint, e.g. http://127.0.0.1:PORT/v1
    assert "not-the-key-9d2e" not in message and KEY not in message
