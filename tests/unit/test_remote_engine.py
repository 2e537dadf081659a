"""Remote engines (models.yaml `remote`) against a fake OpenAI-compatible server run in this process
with uvicorn on 127.0.0.1: the wire formats of every task, streaming and its cancellation, errors,
timeouts, the API key header and the endpoint's reachability. No models, no openvino-genai calls."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from openvino_ui.config import parse_config
from openvino_ui.engines import engine_class
from openvino_ui.engines.base import State
from openvino_ui.errors import InvalidInput, ModelLoadFailed, RemoteFailed, RemoteTimeout, RemoteUnavailable
from openvino_ui.generation import Delta, Finished, GenerationParams
from openvino_ui.pool import EnginePool
from tests.conftest import free_port

KEY = "sekrit-remote-key"
MODELS = ("fake-chat", "fake-vision", "fake-embed", "fake-rerank", "fake-asr", "fake-tts")


@dataclass
class Fake:
    """What the fake server saw, and how it behaves."""

    url: str = ""  # its /v1 base, once served
    key: str | None = None  # the Bearer key it requires (None: none)
    bodies: list[dict[str, Any]] = field(default_factory=list)  # JSON bodies and form fields seen
    headers: list[str] = field(default_factory=list)  # Authorization headers seen
    fail: tuple[int, dict[str, Any]] | None = None  # answer every POST with this status and body
    stall: threading.Event = field(default_factory=threading.Event)  # set: POSTs wait until cleared
    endless: bool = False  # streams go on until the client leaves
    closed: threading.Event = field(default_factory=threading.Event)  # an endless stream ended


def sse(items: list[dict[str, Any]]) -> str:
    return "".join(f"data: {json.dumps(item)}\n\n" for item in items) + "data: [DONE]\n\n"


def fake_app(fake: Fake) -> Starlette:
    def refused(request: Request) -> Response | None:
        fake.headers.append(request.headers.get("authorization", ""))
        if fake.key is not None and request.headers.get("authorization") != f"Bearer {fake.key}":
            return JSONResponse(
                {"error": {"message": "Invalid API key", "type": "invalid_request_error"}}, 401
            )
        return None

    async def models(request: Request) -> Response:
        return refused(request) or JSONResponse({"object": "list", "data": [{"id": m} for m in MODELS]})

    async def post(request: Request) -> Response:
        if answer := refused(request):
            return answer
        for _ in range(500):  # a stalled server: at most 5 s
            if not fake.stall.is_set():
                break
            await asyncio.sleep(0.01)
        if request.headers.get("content-type", "").startswith("multipart/"):
            form = await request.form()
            body: dict[str, Any] = {k: form.getlist(k) if k.endswith("[]") else form[k] for k in form}
            body["file"] = await form["file"].read()
        else:
            body = await request.json()
        fake.bodies.append(body)
        if fake.fail is not None:
            return JSONResponse(fake.fail[1], fake.fail[0])
        return await ANSWERS[request.url.path.rsplit("/v1/", 1)[1]](fake, body)

    return Starlette(
        routes=[
            Route("/v1/models", models),
            *(Route(f"/v1/{path}", post, methods=["POST"]) for path in ANSWERS),
        ]
    )


async def chat(fake: Fake, body: dict[str, Any]) -> Response:
    if not body.get("stream"):
        return JSONResponse({"error": {"message": "stream only"}}, 400)
    chat_shape = "messages" in body

    def chunk(text: str, reason: str | None = None) -> dict[str, Any]:
        choice = {"delta": {"content": text}} if chat_shape else {"text": text}
        return {"choices": [{"index": 0, **choice, "finish_reason": reason}], "usage": None}

    if fake.endless:

        async def forever() -> Any:
            try:
                for i in range(500):  # bounded: 10 s at most
                    yield f"data: {json.dumps(chunk(f'w{i} '))}\n\n"
                    await asyncio.sleep(0.02)
            finally:
                fake.closed.set()

        return StreamingResponse(forever(), media_type="text/event-stream")
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    items = [chunk("Par"), chunk("is"), chunk(".", "length"), {"choices": [], "usage": usage}]
    return Response(sse(items), media_type="text/event-stream")


async def embeddings(fake: Fake, body: dict[str, Any]) -> Response:
    data = [
        {"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.5]}
        for i, t in enumerate(body["input"])
    ]
    data.reverse()  # out of order: the engine sorts by index
    return JSONResponse({"data": data, "usage": {"prompt_tokens": 11, "total_tokens": 11}})


async def rerank(fake: Fake, body: dict[str, Any]) -> Response:
    scores = [(i, 1.0 / (1 + len(d))) for i, d in enumerate(body["documents"])]
    scores.sort(key=lambda pair: -pair[1])
    return JSONResponse({"results": [{"index": i, "relevance_score": s} for i, s in scores[: body["top_n"]]]})


async def transcriptions(fake: Fake, body: dict[str, Any]) -> Response:
    if body["response_format"] == "json":
        return JSONResponse({"text": " hello world "})
    segments = [{"id": 0, "start": 0.0, "end": 1.5, "text": " hello world"}]
    words = [{"word": "hello", "start": 0.0, "end": 0.7}, {"word": "world", "start": 0.8, "end": 1.5}]
    return JSONResponse({"text": "hello world", "language": "english", "segments": segments, "words": words})


async def speech(fake: Fake, body: dict[str, Any]) -> Response:
    buffer = io.BytesIO()
    sf.write(buffer, np.full(2400, 0.25, dtype=np.float32), 24000, format="WAV", subtype="PCM_16")
    return Response(buffer.getvalue(), media_type="audio/wav")


ANSWERS = {
    "chat/completions": chat,
    "completions": chat,
    "embeddings": embeddings,
    "rerank": rerank,
    "audio/transcriptions": transcriptions,
    "audio/translations": transcriptions,
    "audio/speech": speech,
}


class Served:
    """The fake app on a uvicorn server in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, fake: Fake):
        self.port = free_port()
        config = uvicorn.Config(fake_app(fake), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(500):  # at most 5 s to start
            if self.server.started:
                break
            threading.Event().wait(0.01)
        assert self.server.started
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def fake() -> Any:
    state = Fake()
    served = Served(state)
    state.url = served.url
    yield state
    state.stall.clear()
    served.stop()


def engine_for(tmp_path: Path, task: str, remote: dict[str, Any], **entry: Any) -> Any:
    config = parse_config(
        yaml.safe_dump({"models": {"m": {"task": task, "remote": remote, **entry}}}), tmp_path / "models.yaml"
    )
    spec = config.models["m"]
    return engine_class(spec)("m", spec, queue_timeout_s=10)


def remote(fake: Fake, model: str, **more: Any) -> dict[str, Any]:
    return {"url": fake.url, "model": model, **more}


GREEDY = GenerationParams(max_new_tokens=5, temperature=0.0, seed=3, stop=("\n",))


# -- chat and completion -----------------------------------------------------------------------------


def test_streamed_chat_maps_sampling_and_usage(fake, tmp_path):
    engine = engine_for(tmp_path, "llm", remote(fake, "fake-chat"))
    events = list(engine.stream([{"role": "user", "content": "capital?"}], GREEDY))
    assert [e.text for e in events if isinstance(e, Delta)] == ["Par", "is", "."]
    done = events[-1]
    assert isinstance(done, Finished) and done.text == "Paris." and done.finish_reason == "length"
    assert done.metrics.generated_tokens == 3 and done.metrics.input_tokens == 7
    assert done.device == engine.device == f"remote:127.0.0.1:{fake.url.split(':')[2].split('/')[0]}"
    body = fake.bodies[-1]
    assert body["model"] == "fake-chat" and body["messages"] == [{"role": "user", "content": "capital?"}]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"], body["seed"], body["stop"]) == (5, 0.0, 3, ["\n"])
    assert body["top_k"] == 50 and body["repetition_penalty"] == 1.1
    assert engine.state is State.READY and engine.stats().requests == 1


def test_completion_reads_text_chunks(fake, tmp_path):
    engine = engine_for(tmp_path, "llm", remote(fake, "fake-chat"))
    done = list(engine.complete("The capital of France is", GREEDY))[-1]
    assert done.text == "Paris." and fake.bodies[-1]["prompt"] == "The capital of France is"


def test_a_closed_stream_closes_the_http_stream(fake, tmp_path):
    fake.endless = True
    engine = engine_for(tmp_path, "llm", remote(fake, "fake-chat"))
    stream = engine.stream([{"role": "user", "content": "go on"}], GREEDY)
    assert isinstance(next(stream), Delta)
    stream.close()  # the consumer left
    assert fake.closed.wait(10), "the remote kept streaming to nobody"
    assert engine.in_flight() == 0


def test_cancel_stops_the_stream(fake, tmp_path):
    fake.endless = True
    engine = engine_for(tmp_path, "llm", remote(fake, "fake-chat"))
    cancel = threading.Event()
    events = []
    for event in engine.stream([{"role": "user", "content": "go on"}], GREEDY, cancel):
        events.append(event)
        cancel.set()
    assert isinstance(events[-1], Finished) and events[-1].stopped
    assert fake.closed.wait(10)


def test_vision_sends_the_image_as_a_data_url(fake, tmp_path):
    engine = engine_for(tmp_path, "vlm", remote(fake, "fake-vision"))
    red = np.zeros((4, 4, 3), dtype=np.uint8)
    red[..., 0] = 255
    done = list(engine.stream([{"role": "user", "content": "colour?"}], [red], GREEDY))[-1]
    assert done.text == "Paris."
    image, text = fake.bodies[-1]["messages"][0]["content"]
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert text == {"type": "text", "text": "colour?"}


# -- retrieval and speech ------------------------------------------------------------------------------


def test_embeddings_in_order_with_usage_and_instruction(fake, tmp_path):
    engine = engine_for(tmp_path, "embedding", remote(fake, "fake-embed"), query_instruction="q: ")
    result = engine.embed(["a", "abc"])
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (2, 3) and result.dim == 3
    assert result.vectors[:, 0].tolist() == [1.0, 3.0]
    assert engine.count_tokens(["a", "abc"]) == 11 and len(fake.bodies) == 1  # from embed's usage
    engine.embed(["x"], kind="query")
    assert fake.bodies[-1]["input"] == ["q: x"]


def test_rerank_reads_cohere_results(fake, tmp_path):
    engine = engine_for(tmp_path, "rerank", remote(fake, "fake-rerank"))
    ranked = engine.rerank("q", ["long document", "short", "mid text"], 2)
    assert [(r.index, r.document) for r in ranked] == [(1, "short"), (2, "mid text")]
    assert fake.bodies[-1]["top_n"] == 2 and fake.bodies[-1]["query"] == "q"


def test_transcription_json_and_verbose(fake, tmp_path):
    engine = engine_for(tmp_path, "asr", remote(fake, "fake-asr"))
    samples = np.zeros(16000, dtype=np.float32)
    plain = engine.transcribe(samples, language="French")
    assert plain.text == "hello world" and plain.language == "fr" and plain.segments == ()
    sent = fake.bodies[-1]
    assert sent["language"] == "fr" and sent["response_format"] == "json" and sent["model"] == "fake-asr"
    assert sf.info(io.BytesIO(sent["file"])).samplerate == 16000
    timed = engine.transcribe(samples, timestamps="word")
    assert timed.segments == ((0.0, 1.5, "hello world"),) and len(timed.words) == 2
    assert timed.language == "en" and fake.bodies[-1]["timestamp_granularities[]"] == ["segment", "word"]
    with pytest.raises(InvalidInput):
        engine.check_request(None, "sing", "none")


def test_speech_decodes_the_wav(fake, tmp_path):
    engine = engine_for(tmp_path, "tts", remote(fake, "fake-tts"), default_voice="alto")
    speech = engine.synthesize("Hello there.", speed=1.5)
    assert speech.sample_rate == 24000 and speech.samples.size == 2400 and speech.voice == "alto"
    assert fake.bodies[-1] == {
        "input": "Hello there.",
        "response_format": "wav",
        "voice": "alto",
        "speed": 1.5,
        "model": "fake-tts",
    }
    assert engine.voices() == ["alto"]


# -- errors, timeouts, keys, reachability ----------------------------------------------------------------


def test_a_4xx_is_invalid_input_with_the_remotes_message(fake, tmp_path):
    engine = engine_for(tmp_path, "embedding", remote(fake, "fake-embed"))
    fake.fail = (
        400,
        {"error": {"message": "input is too long", "param": "input", "type": "invalid_request_error"}},
    )
    with pytest.raises(InvalidInput) as caught:
        engine.embed(["x"])
    assert fake.url in str(caught.value) and "input is too long" in str(caught.value)
    assert caught.value.param == "input" and engine.error is None  # the request's fault, not the endpoint's


def test_a_5xx_is_a_remote_failure_shown_on_the_model(fake, tmp_path):
    engine = engine_for(tmp_path, "rerank", remote(fake, "fake-rerank"))
    engine.load()
    fake.fail = (500, {"detail": "boom"})
    with pytest.raises(RemoteFailed) as caught:
        engine.rerank("q", ["a"], 1)
    assert caught.value.status == 502 and "HTTP 500: boom" in str(caught.value)
    assert engine.state is State.READY and fake.url in engine.error
    fake.fail = None
    engine.rerank("q", ["a"], 1)
    assert engine.error is None  # reachable again


def test_a_stalled_remote_times_out_naming_it(fake, tmp_path):
    engine = engine_for(tmp_path, "llm", remote(fake, "fake-chat", timeout_s=0.2))
    engine.load()
    fake.stall.set()
    with pytest.raises(RemoteTimeout) as caught:
        list(engine.stream([{"role": "user", "content": "hi"}], GREEDY))
    assert caught.value.status == 504 and fake.url in str(caught.value) and "timeout_s" in str(caught.value)


def test_the_key_goes_in_the_header_and_never_in_a_message(fake, tmp_path, monkeypatch):
    fake.key = KEY
    monkeypatch.setenv("FAKE_REMOTE_KEY", KEY)
    engine = engine_for(tmp_path, "embedding", remote(fake, "fake-embed", api_key_env="FAKE_REMOTE_KEY"))
    engine.embed(["x"])
    assert fake.headers and set(fake.headers) == {f"Bearer {KEY}"}
    monkeypatch.setenv("FAKE_REMOTE_KEY", "wrong-key-value")
    engine.unload()
    with pytest.raises(ModelLoadFailed) as caught:
        engine.load()
    message = str(caught.value)
    assert "refused the API key" in message and "FAKE_REMOTE_KEY" in message and fake.url in message
    assert "wrong-key-value" not in message and KEY not in message and "wrong-key-value" not in engine.error
    monkeypatch.delenv("FAKE_REMOTE_KEY")
    with pytest.raises(ModelLoadFailed, match="FAKE_REMOTE_KEY .* is not set"):
        engine.load()


def test_an_unreachable_endpoint_fails_its_load_naming_the_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v3"
    engine = engine_for(tmp_path, "llm", {"url": url})
    with pytest.raises(ModelLoadFailed) as caught:
        engine.load()
    assert url in str(caught.value) and "cannot be reached" in str(caught.value)
    info = engine.info()
    assert info.status == "failed" and url in info.error and info.model_dir == url


def test_a_model_the_remote_does_not_list_names_what_it_lists(fake, tmp_path):
    engine = engine_for(tmp_path, "llm", remote(fake, "nope"))
    with pytest.raises(ModelLoadFailed) as caught:
        engine.load()
    assert "'nope'" in str(caught.value) and "fake-chat, fake-vision" in str(caught.value)


def test_a_request_rechecks_a_failed_remote_and_marks_one_that_went_away(tmp_path):
    state = Fake()
    served = Served(state)
    state.url = served.url
    engine = engine_for(tmp_path, "embedding", remote(state, "fake-embed"))
    engine.embed(["x"])
    served.stop()
    with pytest.raises(RemoteUnavailable) as caught:
        engine.embed(["x"])
    assert caught.value.status == 503 and served.url in str(caught.value)
    assert engine.state is State.READY and "cannot be reached" in engine.info().error
    with pytest.raises(ModelLoadFailed, match="cannot be reached"):
        engine.load()  # Load checks a ready model again
    assert engine.state is State.READY and served.url in engine.error
    engine.unload()
    with pytest.raises(ModelLoadFailed):
        engine.embed(["x"])
    assert engine.state is State.FAILED
    again = Served(state)  # the server is back, on another port: point a fresh engine at it
    try:
        state.url = again.url
        fresh = engine_for(tmp_path, "embedding", remote(state, "fake-embed"))
        fresh.state, fresh.error = State.FAILED, "was down"
        assert fresh.embed(["x"]).dim == 3 and fresh.state is State.READY  # a request checked again
    finally:
        again.stop()


def test_the_pool_loads_a_remote_model_without_a_local_device(fake, tmp_path):
    text = yaml.safe_dump({"models": {"m": {"task": "llm", "remote": remote(fake, "fake-chat")}}})
    pool = EnginePool(parse_config(text, tmp_path / "models.yaml"))
    try:
        info = pool.load("m")
        assert info.status == "ready" and info.device.startswith("remote:127.0.0.1:")
        with pytest.raises(InvalidInput, match="no local device"):
            pool.load("m", "CPU")
        assert pool.ready("m", "llm").state is State.READY
    finally:
        pool.close()
