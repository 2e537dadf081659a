"""Bad requests to /v1/chat/completions and /v1/completions: each gets a 4xx (or the 503 of a model
that cannot load) with the OpenAI error body naming the field at fault, streamed or not, before
any stream starts; nothing of the request reaches the log, and the model stays loaded."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import openai
import pytest

from openvino_ui.errors import InvalidInput
from openvino_ui.generation import Delta, StreamEvent
from openvino_ui.rest.app import create_app
from openvino_ui.rest.settings import RestSettings
from openvino_ui.rest.v1 import sse
from openvino_ui.rest.v1.replies import ChatShape
from openvino_ui.rest.v1.sse import EventPump
from tests.api.test_openai_chat import FRANCE, ask, png_data_url

MARKER = "zq7MARKERx41"
CHAT, COMPLETIONS = "chat/completions", "completions"
GOOD = {"model": "tiny-chat", "messages": ask(FRANCE)}
QUESTION = {"type": "text", "text": "What color is this?"}
RED = {"type": "image_url", "image_url": {"url": png_data_url((255, 0, 0))}}
BLUE = {"type": "image_url", "image_url": {"url": png_data_url((0, 0, 255))}}


def said(role: str, content: object) -> dict:
    return {**GOOD, "messages": [{"role": role, "content": content}]}


def shown(url: str) -> dict:
    image = {"type": "image_url", "image_url": {"url": url}}
    return {"model": "tiny-vision", "messages": [{"role": "user", "content": [QUESTION, image]}]}


def prompt(**values: object) -> dict:
    return {"model": "tiny-chat", "prompt": "a", **values}


IMAGE_URL = "messages[0].content[1].image_url.url"
NOT_PNG = "data:image/png;base64," + base64.b64encode(b"no").decode()
AUDIO_PART = {"type": "input_audio", "input_audio": {}}
SCHEMA_OF_NOTHING = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 5}}}

# (name, route, body, status, param, a piece of the message)
# fmt: off
BAD: list[tuple[str, str, dict, int, str | None, str]] = [
    ("no model", CHAT, {"messages": ask(FRANCE)}, 400, "model", "required"),
    ("no messages", CHAT, {"model": "tiny-chat"}, 400, "messages", "required"),
    ("empty messages", CHAT, {**GOOD, "messages": []}, 400, "messages", "empty"),
    ("unknown model", CHAT, {**GOOD, "model": "nope"}, 404, "model", "not configured"),
    ("wrong task", CHAT, {**GOOD, "model": "tiny-embed"}, 400, "model", "'embedding' model"),
    ("model type", CHAT, {**GOOD, "model": 5}, 400, "model", "valid string"),
    ("messages type", CHAT, {**GOOD, "messages": "hi"}, 400, "messages", "valid list"),
    ("role", CHAT, said("robot", "x"), 400, "messages[0].role", "'system'"),
    ("content type", CHAT, said("user", 7), 400, "messages[0].content", "string or a list"),
    ("part type", CHAT, said("user", [AUDIO_PART]), 400, "messages[0].content[0].type", "'image_url'"),
    ("part shape", CHAT, said("user", [{"type": "text"}]), 400, "messages[0].content[0]", "text part"),
    ("ends with assistant", CHAT, {**GOOD, "messages": [*ask(FRANCE), {"role": "assistant", "content": "P"}]},
     400, "messages", "end"),
    ("empty user message", CHAT, {**GOOD, "messages": ask("  ")}, 400, "messages", "empty"),
    ("too long", CHAT, {**GOOD, "messages": ask("x" * 40_000)}, 400, "messages", "limit"),
    ("tool message", CHAT, {**GOOD, "messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]},
     400, "messages[0].role", "'assistant'"),
    ("tool calls", CHAT, {**GOOD, "messages": [{"role": "assistant", "tool_calls": []}, *ask(FRANCE)]},
     400, "messages[0].tool_calls", "not supported"),
    ("temperature type", CHAT, {**GOOD, "temperature": "hot"}, 400, "temperature", "number"),
    ("temperature range", CHAT, {**GOOD, "temperature": 3}, 400, "temperature", "between"),
    ("top_p range", CHAT, {**GOOD, "top_p": 0}, 400, "top_p", "top_p"),
    ("max_tokens", CHAT, {**GOOD, "max_tokens": 0}, 400, "max_tokens", "max_tokens must be"),
    ("max_completion_tokens", CHAT, {**GOOD, "max_completion_tokens": 10**9}, 400, "max_completion_tokens",
     "max_completion_tokens must be"),
    ("token limits differ", CHAT, {**GOOD, "max_tokens": 5, "max_completion_tokens": 6}, 400, "max_tokens",
     "differ"),
    ("seed", CHAT, {**GOOD, "seed": 1.5}, 400, "seed", "integer"),
    ("penalty", CHAT, {**GOOD, "presence_penalty": 9}, 400, "presence_penalty", "between"),
    ("too many stops", CHAT, {**GOOD, "stop": ["a", "b", "c", "d", "e"]}, 400, "stop", "at most 4"),
    ("stop type", CHAT, {**GOOD, "stop": 5}, 400, "stop", "list"),
    ("n", CHAT, {**GOOD, "n": 2}, 400, "n", "n must be 1"),
    ("logprobs type", CHAT, {**GOOD, "logprobs": 1.5}, 400, "logprobs", "boolean"),
    ("top_logprobs", CHAT, {**GOOD, "logprobs": True, "top_logprobs": 2}, 400, "top_logprobs", "0 or 1"),
    ("tools", CHAT, {**GOOD, "tools": [{"type": "function", "function": {"name": "f"}}]}, 400, "tools",
     "not supported"),
    ("tool_choice", CHAT, {**GOOD, "tool_choice": "auto"}, 400, "tool_choice", "not supported"),
    ("logit_bias", CHAT, {**GOOD, "logit_bias": {"1": 5}}, 400, "logit_bias", "not supported"),
    ("unknown field", CHAT, {**GOOD, "frobnicate": 1}, 400, "frobnicate", "Unknown field"),
    ("response_format", CHAT, {**GOOD, "response_format": {"type": "json_schema"}}, 400, "response_format",
     "json_schema"),
    ("bad schema", CHAT, {**GOOD, "response_format": SCHEMA_OF_NOTHING}, 400, "response_format",
     "JSON schema"),
    ("stream type", CHAT, {**GOOD, "stream": "yes"}, 400, "stream", "boolean"),
    ("image to an llm", CHAT, said("user", [QUESTION, RED]), 400, "model", "'vlm'"),
    ("image from the assistant", CHAT, {"model": "tiny-vision", "messages": [
        {"role": "assistant", "content": [RED]}, *ask(FRANCE)]}, 400, "messages[0].content[0].image_url",
     "user's messages"),
    ("vlm without an image", CHAT, {**GOOD, "model": "tiny-vision"}, 400, "messages", "image"),
    ("two images", CHAT, {**said("user", [QUESTION, RED, BLUE]), "model": "tiny-vision"}, 400, "messages",
     "exactly one"),
    ("remote image off", CHAT, shown("http://127.0.0.1:9/x.png"), 400, IMAGE_URL, "--allow-remote-images"),
    ("other scheme", CHAT, shown("file:///etc/hostname"), 400, IMAGE_URL, "data: URL"),
    ("bad data url", CHAT, shown("data:image/png;base64,@@@"), 400, IMAGE_URL, "base64"),
    ("data url not base64", CHAT, shown("data:image/png,abc"), 400, IMAGE_URL, "base64"),
    ("data url of text", CHAT, shown("data:text/plain;base64,aGk="), 400, IMAGE_URL, "not an image"),
    ("not an image", CHAT, shown(NOT_PNG), 400, "messages", "not an image"),
    ("model not loadable", CHAT, {**GOOD, "model": "missing-chat"}, 503, None, "failed to load"),
    ("prompt missing", COMPLETIONS, {"model": "tiny-chat"}, 400, "prompt", "required"),
    ("prompt tokens", COMPLETIONS, prompt(prompt=[1, 2, 3]), 400, "prompt", "token arrays"),
    ("two prompts", COMPLETIONS, prompt(prompt=["a", "b"]), 400, "prompt", "one"),
    ("empty prompt", COMPLETIONS, prompt(prompt=" "), 400, "prompt", "empty"),
    ("echo", COMPLETIONS, prompt(echo=True), 400, "echo", "not supported"),
    ("suffix", COMPLETIONS, prompt(suffix="b"), 400, "suffix", "suffix"),
    ("best_of", COMPLETIONS, prompt(best_of=3), 400, "best_of", "best_of"),
    ("completion logprobs", COMPLETIONS, prompt(logprobs=2), 400, "logprobs", "0 or 1"),
    ("completion vlm", COMPLETIONS, prompt(model="tiny-vision"), 400, "model", "'vlm' model"),
    ("completion unknown model", COMPLETIONS, prompt(model="nope"), 404, "model", "not configured"),
    ("completion n", COMPLETIONS, prompt(n=3), 400, "n", "n must be 1"),
    ("completion max_tokens", COMPLETIONS, prompt(max_tokens=-1), 400, "max_tokens", "max_tokens must be"),
]
# fmt: on


@pytest.mark.parametrize(
    ("route", "body", "status", "param", "words"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_requests_get_a_status_and_an_error_body(http, route, body, status, param, words):
    for stream in (False, True):
        response = http.post(route, json={**body, "stream": stream} if "stream" not in body else body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"  # never a stream
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["param"] == param, error
        assert words in error["message"], error
        # a message may quote a value (errors.quote: 80 characters at most), never a traceback
        assert len(error["message"]) < 600 and "Traceback" not in error["message"]


def test_malformed_json_and_bodies_that_are_not_objects(http):
    lone_surrogate = '{"model": "tiny-chat", "messages": [{"role": "user", "content": "\\ud800"}]}'
    for content in (b"{not json", b"[1, 2]", b"", b'"text"', lone_surrogate.encode()):
        for route in (CHAT, COMPLETIONS):
            response = http.post(route, content=content, headers={"Content-Type": "application/json"})
            assert response.status_code == 400, content
            error = response.json()["error"]
            assert error["type"] == "invalid_request_error" and error["message"]
            assert error["code"] == ("invalid_json" if content in (b"{not json", b"") else "invalid_value")


def test_the_sdk_raises_its_errors(sdk):
    with pytest.raises(openai.BadRequestError) as info:
        sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE), n=2)
    assert info.value.body["param"] == "n"
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="nope", messages=ask(FRANCE))
    with pytest.raises(openai.BadRequestError):
        sdk.completions.create(model="tiny-chat", prompt="a", echo=True)


@pytest.fixture
def server_log() -> Iterator[list[str]]:
    """What the server logs above DEBUG while the test runs."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno > logging.DEBUG:
                lines.append(logging.Formatter("%(name)s %(message)s").format(record))

    keep = Keep(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "sse_starlette")]
    for lg in loggers:
        lg.addHandler(keep)
    yield lines
    for lg in loggers:
        lg.removeHandler(keep)


def test_errors_leave_no_content_in_the_log_and_the_model_loaded(http, sdk, server_log):
    for _, route, body, *_ in BAD:
        marked = json.loads(json.dumps(body).replace(FRANCE, MARKER).replace('"a"', f'"{MARKER}"'))
        http.post(route, json=marked)
    assert not [line for line in server_log if MARKER in line]
    models = {m.id: m.model_extra for m in sdk.models.list().data}
    assert models["tiny-chat"]["status"] == "ready"
    reply = sdk.chat.completions.create(model="tiny-chat", messages=ask(FRANCE))
    assert reply.choices[0].message.content == "Paris."


def test_a_body_over_the_limit_is_a_413(served_app):
    app = create_app(
        served_app.pool,
        served_app.server.metrics,
        starting=lambda: False,
        settings=RestSettings(max_body_bytes=1024),
    )

    async def chunks(data: bytes) -> AsyncIterator[bytes]:  # no Content-Length: read until too much
        for start in range(0, len(data), 256):
            yield data[start : start + 256]

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app/v1/", timeout=60) as client:
            declared = await client.post(CHAT, json={"model": "tiny-chat", "messages": ask("x" * 2000)})
            chunked = await client.post(COMPLETIONS, content=chunks(b"{" + b" " * 2000 + b"}"))
            fits = await client.post(CHAT, json=GOOD)
            return [declared, chunked, fits]

    declared, chunked, fits = asyncio.run(run())
    for response in (declared, chunked):
        assert response.status_code == 413 and response.json()["error"]["type"] == "invalid_request_error"
    assert fits.status_code == 200 and fits.json()["choices"][0]["message"]["content"] == "Paris."


def test_an_error_after_the_stream_started_is_an_error_event():
    def failing(cancel: threading.Event) -> Iterator[StreamEvent]:
        yield Delta("Par")
        raise InvalidInput("The model gave up.", param="messages")

    def crashing(cancel: threading.Event) -> Iterator[StreamEvent]:
        yield Delta("Par")
        raise RuntimeError(f"inside OpenVINO, quoting {MARKER}")

    async def lines(start) -> list[dict]:
        cancel = threading.Event()
        pump = EventPump(lambda: start(cancel), cancel)
        first = await pump.next()
        found = [json.loads(line) async for line in sse._chunks(first, pump, ChatShape("m"), True)]
        assert cancel.is_set()  # closed: a stream still running would stop at its next token
        return found

    opening, *rest = asyncio.run(lines(failing))
    assert opening["choices"][0]["delta"]["role"] == "assistant"
    assert rest[-1] == {"error": {"message": "The model gave up.", "type": "invalid_request_error",
                                  "param": "messages", "code": "invalid_value"}}  # fmt: skip
    crashed = asyncio.run(lines(crashing))[-1]["error"]
    assert crashed["type"] == "server_error" and MARKER not in crashed["message"]
