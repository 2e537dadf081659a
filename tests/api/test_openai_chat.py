"""POST /v1/chat/completions and /v1/completions through the official openai SDK (sync and async)
against the app launched in-process: replies, streams, usage, structured output, sampling, vision,
cancellation by a closed stream, and every bad request answered with its status and error body."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jsonschema
import openai
import pytest
from PIL import Image

from openvino_ui.fixtures.text import ENDLESS_PROMPT, ENDLESS_WORD, JSON_QUESTION
from openvino_ui.rest.app import create_app
from openvino_ui.rest.settings import RestSettings
from openvino_ui.rest.v1 import images

FRANCE = "What is the capital of France?"
RAW_FRANCE = f"<|im_start|>user\n{FRANCE}<|im_end|>\n<|im_start|>assistant\n"
MARKER = "zq7MARKERx41"


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def png_data_url(rgb: tuple[int, int, int], side: int = 56) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), rgb).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def wait_until_free(served_app, name: str = "tiny-chat", timeout_s: float = 30.0) -> None:
    """Poll (bounded) until the model's engine holds no request."""
    engine = served_app.pool.get(name)
    deadline = time.monotonic() + timeout_s
    while engine.is_busy():
        assert time.monotonic() < deadline, f"{name} is still busy"
        time.sleep(0.01)


# -- chat ------------------------------------------------------------------------------------------


def test_chat_reply_with_usage(sdk):
    reply = sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE))
    assert reply.object == "chat.completion" and reply.model == "tiny-chat"
    assert reply.id.startswith("chatcmpl-")
    (choice,) = reply.choices
    assert choice.message.role == "assistant" and choice.message.content == "Paris."
    assert choice.finish_reason == "stop"
    usage = reply.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_system_and_assistant_turns_are_accepted(sdk):
    messages = [
        {"role": "system", "content": "You answer briefly."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello! How can I help?"}]},
        {"role": "user", "content": [{"type": "text", "text": FRANCE}]},
    ]
    reply = sdk.chat.completions.create(model="tiny-chat", messages=messages, user="someone", store=False)
    alone = sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE))
    # the tiny model learnt single turns only: what it answers here says nothing; the turns reached it
    assert isinstance(reply.choices[0].message.content, str) and reply.choices[0].finish_reason
    assert reply.usage.prompt_tokens > alone.usage.prompt_tokens + 10


def check_stream(chunks: list) -> str:
    """The text of a streamed chat reply with include_usage, after checking the chunks' shape."""
    *content, last = chunks
    assert content[0].choices[0].delta.role == "assistant"
    assert all(c.usage is None for c in content) and all(len(c.choices) == 1 for c in content)
    assert [c.choices[0].finish_reason for c in content][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in content[:-1])
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert last.choices == [] and last.usage.completion_tokens > 0
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    return "".join(c.choices[0].delta.content or "" for c in content)


def test_chat_stream_with_usage(sdk):
    stream = sdk.chat.completions.create(
        model="tiny-chat", messages=ask(FRANCE), stream=True, stream_options={"include_usage": True}
    )
    assert check_stream(list(stream)) == "Paris."


def test_chat_stream_without_usage_ends_with_the_finish_reason(http):
    body = {"model": "tiny-chat", "messages": ask(FRANCE), "stream": True}
    with http.stream("POST", "chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Paris."


def test_async_chat_stream(app_url):
    async def run() -> str:
        async with openai.AsyncOpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
            stream = await client.chat.completions.create(
                model="tiny-chat", messages=ask(FRANCE), stream=True, stream_options={"include_usage": True}
            )
            return check_stream([chunk async for chunk in stream])

    assert asyncio.run(run()) == "Paris."


def test_json_schema_reply_parses_and_validates(sdk):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "enum": ["Paris", "Berlin"]}},
        "required": ["city"],
        "additionalProperties": False,
    }
    reply = sdk.chat.completions.create(
        model="tiny-chat",
        messages=ask(JSON_QUESTION),
        max_tokens=60,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "capital", "schema": schema, "strict": True},
        },
    )
    assert reply.choices[0].finish_reason == "stop"
    value = json.loads(reply.choices[0].message.content)
    jsonschema.validate(value, schema)


def test_stop_strings_end_the_reply(sdk):
    plain = sdk.chat.completions.create(model="tiny-chat", messages=ask("What color is the sky?"))
    assert plain.choices[0].message.content == "The sky is blue."
    for stop in (" blue", [" blue", "zzz"]):
        reply = sdk.chat.completions.create(
            model="tiny-chat", messages=ask("What color is the sky?"), stop=stop
        )
        assert reply.choices[0].message.content == "The sky is"
        assert reply.choices[0].finish_reason == "stop"


def test_max_tokens_ends_with_length(sdk):
    for limit in ({"max_tokens": 2}, {"max_completion_tokens": 2}):
        reply = sdk.chat.completions.create(model="tiny-chat", messages=ask(ENDLESS_PROMPT), **limit)
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage.completion_tokens == 2


def test_seed_makes_sampling_reproducible(sdk):
    def sample() -> str:
        reply = sdk.chat.completions.create(
            model="tiny-chat", messages=ask(FRANCE), temperature=1.8, top_p=1.0, seed=1234, max_tokens=24
        )
        return reply.choices[0].message.content

    assert sample() == sample()


def test_penalties_are_accepted(sdk):
    reply = sdk.chat.completions.create(
        model="tiny-chat", messages=ask(FRANCE), frequency_penalty=0.5, presence_penalty=0.5, n=1
    )
    assert reply.choices[0].message.content


def test_logprobs_give_each_token_its_log_probability(sdk):
    reply = sdk.chat.completions.create(
        model="tiny-chat", messages=ask(FRANCE), logprobs=True, top_logprobs=1
    )
    content = reply.choices[0].logprobs.content
    assert "".join(t.token for t in content) == reply.choices[0].message.content == "Paris."
    assert len(content) == reply.usage.completion_tokens
    for token in content:
        assert token.logprob <= 0 and bytes(token.bytes).decode() == token.token
        assert [(t.token, t.logprob) for t in token.top_logprobs] == [(token.token, token.logprob)]
    plain = sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE))
    assert plain.choices[0].logprobs is None
    stream = sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE), logprobs=True, stream=True)
    streamed = [
        t
        for chunk in stream
        if chunk.choices and chunk.choices[0].logprobs
        for t in chunk.choices[0].logprobs.content
    ]
    assert [(t.token, t.logprob) for t in streamed] == [(t.token, t.logprob) for t in content]
    completion = sdk.completions.create(model="tiny-chat", prompt=RAW_FRANCE, logprobs=1)
    logprobs = completion.choices[0].logprobs
    assert "".join(logprobs.tokens) == completion.choices[0].text
    assert logprobs.text_offset[0] == 0 and len(logprobs.token_logprobs) == len(logprobs.tokens)
    assert logprobs.top_logprobs[0] == {logprobs.tokens[0]: logprobs.token_logprobs[0]}


def test_vision_with_a_data_url(sdk):
    content = [
        {"type": "text", "text": "What color is this?"},
        {"type": "image_url", "image_url": {"url": png_data_url((255, 0, 0)), "detail": "low"}},
    ]
    reply = sdk.chat.completions.create(model="tiny-vision", messages=[{"role": "user", "content": content}])
    assert "red" in reply.choices[0].message.content.lower()
    assert reply.usage.prompt_tokens > 0
    stream = sdk.chat.completions.create(
        model="tiny-vision", messages=[{"role": "user", "content": content}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "red"
    # a system ("developer") message reaches the model's template (the tiny model never saw one)
    system = {"role": "developer", "content": "Name the colour."}
    told = sdk.chat.completions.create(
        model="tiny-vision", messages=[system, {"role": "user", "content": content}]
    )
    assert told.usage.prompt_tokens > reply.usage.prompt_tokens


def test_concurrent_requests_take_turns(app_url):
    async def run() -> list[str]:
        async with openai.AsyncOpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
            replies = await asyncio.gather(
                *(client.chat.completions.create(model="tiny-chat", messages=ask(FRANCE)) for _ in range(3)),
                client.completions.create(model="tiny-chat", prompt=RAW_FRANCE),
            )
        return [r.choices[0].message.content for r in replies[:3]] + [replies[3].choices[0].text]

    assert asyncio.run(run()) == ["Paris."] * 4


# -- completions -----------------------------------------------------------------------------------


def test_completion_of_a_raw_prompt(sdk):
    reply = sdk.completions.create(model="tiny-chat", prompt=RAW_FRANCE)
    assert reply.object == "text_completion" and reply.id.startswith("cmpl-")
    assert reply.choices[0].text == "Paris." and reply.choices[0].finish_reason == "stop"
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert sdk.completions.create(model="tiny-chat", prompt=[RAW_FRANCE]).choices[0].text == "Paris."


def test_completion_stream(sdk):
    stream = sdk.completions.create(
        model="tiny-chat", prompt=RAW_FRANCE, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    *pieces, last = chunks
    assert "".join(c.choices[0].text for c in pieces) == "Paris."
    assert pieces[-1].choices[0].finish_reason == "stop"
    assert last.choices == [] and last.usage.completion_tokens > 0
    limited = sdk.completions.create(model="tiny-chat", prompt=RAW_FRANCE, max_tokens=1)
    assert limited.choices[0].finish_reason == "length"


# -- cancellation ----------------------------------------------------------------------------------


def test_closing_a_stream_frees_the_model(sdk, served_app):
    stream = sdk.chat.completions.create(
        model="tiny-chat", messages=ask(ENDLESS_PROMPT), stream=True, max_tokens=100_000
    )
    received = ""
    for chunk in stream:
        received += chunk.choices[0].delta.content or ""
        if received.count(ENDLESS_WORD.strip()) >= 3:
            break
    assert served_app.pool.get("tiny-chat").is_busy()  # still generating: nobody stopped it yet
    stream.close()
    wait_until_free(served_app)
    assert (
        sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE)).choices[0].message.content
        == "Paris."
    )


def test_async_client_closing_a_completion_stream_frees_the_model(app_url, served_app):
    async def run() -> None:
        async with openai.AsyncOpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
            stream = await client.chat.completions.create(
                model="tiny-chat", messages=ask(ENDLESS_PROMPT), stream=True, max_tokens=100_000
            )
            async for _ in stream:
                break
            await stream.close()

    asyncio.run(run())
    wait_until_free(served_app)


def test_a_client_that_leaves_a_reply_it_waits_for_frees_the_model(app_url, served_app):
    # not streamed: the server notices the closed connection (the ASGI disconnect), not a failed send
    body = json.dumps({"model": "tiny-chat", "messages": ask(ENDLESS_PROMPT), "max_tokens": 100_000})
    host, port = app_url.removeprefix("http://").strip("/").split(":")
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n{body}".encode())
        engine = served_app.pool.get("tiny-chat")
        deadline = time.monotonic() + 30
        while not engine.is_busy():  # generating now
            assert time.monotonic() < deadline
            time.sleep(0.01)
    wait_until_free(served_app)


def test_a_full_model_answers_429_with_retry_after_before_streaming(sdk, http, served_app):
    engine = served_app.pool.get("tiny-chat")
    stream = sdk.chat.completions.create(
        model="tiny-chat", messages=ask(ENDLESS_PROMPT), stream=True, max_tokens=100_000
    )
    next(iter(stream))  # the model is now serving this stream
    scheduler = engine._loaded.pipeline
    saved = engine.max_queue, scheduler.max_num_seqs
    try:
        engine.max_queue, scheduler.max_num_seqs = 0, 1  # one sequence at a time, and none may wait
        body = {"model": "tiny-chat", "messages": ask(FRANCE), "stream": True}
        response = http.post("chat/completions", json=body)
        assert response.status_code == 429 and response.headers["retry-after"] == "1"
        error = response.json()["error"]
        assert error["code"] == "model_queue_full" and "max_queue" in error["message"]
    finally:
        engine.max_queue, scheduler.max_num_seqs = saved
        stream.close()
    wait_until_free(served_app)


# -- image URLs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_site() -> Iterator[str]:
    """A local web server: /red.png is a solid red PNG, anything else a 404."""
    buffer = io.BytesIO()
    Image.new("RGB", (56, 56), (255, 0, 0)).save(buffer, format="PNG")
    png = buffer.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            found = self.path == "/red.png"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_remote_images_when_allowed(served_app, image_site, monkeypatch):
    app = create_app(
        served_app.pool,
        served_app.server.metrics,
        starting=lambda: False,
        settings=RestSettings(allow_remote_images=True),
    )

    def body(url: str) -> dict:
        content = [
            {"type": "text", "text": "What color is this?"},
            {"type": "image_url", "image_url": {"url": url}},
        ]
        return {"model": "tiny-vision", "messages": [{"role": "user", "content": content}]}

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app/v1/", timeout=60) as client:
            good = await client.post("chat/completions", json=body(f"{image_site}/red.png"))
            missing = await client.post("chat/completions", json=body(f"{image_site}/nothing.png"))
            unreachable = await client.post("chat/completions", json=body("http://127.0.0.1:9/red.png"))
            scheme = await client.post("chat/completions", json=body("file:///etc/passwd"))
            monkeypatch.setattr(images, "MAX_REMOTE_BYTES", 100)
            large = await client.post("chat/completions", json=body(f"{image_site}/red.png"))
            return [good, missing, unreachable, scheme, large]

    good, *bad = asyncio.run(run())
    assert good.status_code == 200, good.text
    assert "red" in good.json()["choices"][0]["message"]["content"]
    words = ["HTTP 404", "could not be downloaded", "data: URL", "larger than 100 bytes"]
    for response, expected in zip(bad, words, strict=True):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["param"] == "messages[0].content[1].image_url.url" and expected in error["message"]
