"""The OpenAI wire shapes of the replies: chat.completion and its chunks, text_completion, the model
list (plain pydantic models), and the shapes (sse.Shape) that write one request's reply and chunks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from ...generation import Finished, TokenLogprob


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatMessageOut
    logprobs: dict[str, Any] | None = None
    finish_reason: str


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    system_fingerprint: None = None


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    logprobs: dict[str, Any] | None = None
    finish_reason: str | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    system_fingerprint: None = None


class CompletionChoice(BaseModel):
    index: int = 0
    text: str
    logprobs: dict[str, Any] | None = None
    finish_reason: str | None = None


class Completion(BaseModel):
    """A completion, and each streamed chunk of one (OpenAI uses the same object for both)."""

    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    system_fingerprint: None = None


class ModelCard(BaseModel):
    """A model as GET /v1/models lists it; task, device and status are our extensions."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "openvino-ui"
    task: str
    device: str
    status: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# -- the replies of one request ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChatShape:
    """chat.completion replies and chat.completion.chunk events of one request.

    logprobs: the request asked for them; top_logprobs: how many alternatives per token it asked
    for (0 or 1: openvino-genai reports the chosen token only, so the one entry is that token).
    """

    model: str
    logprobs: bool = False
    top_logprobs: int = 0
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))

    def _chunk(self, choices: list[ChunkChoice], usage: Usage | None = None) -> dict[str, Any]:
        chunk = ChatCompletionChunk(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=usage
        )
        data = chunk.model_dump(mode="json")
        for choice in data["choices"]:  # a delta holds only what it says: {"content": "..."}, or {}
            choice["delta"] = {key: value for key, value in choice["delta"].items() if value is not None}
        return data

    def opening(self) -> list[dict[str, Any]]:
        return [self._chunk([ChunkChoice(delta=ChunkDelta(role="assistant", content=""))])]

    def piece(self, text: str, logprobs: Sequence[TokenLogprob], finish_reason: str | None) -> dict[str, Any]:
        delta = ChunkDelta(content=text) if text or finish_reason is None else ChunkDelta()
        choice = ChunkChoice(delta=delta, logprobs=self._logprobs(logprobs), finish_reason=finish_reason)
        return self._chunk([choice])

    def usage(self, finished: Finished) -> dict[str, Any]:
        return self._chunk([], usage_of(finished))

    def reply(self, finished: Finished, logprobs: Sequence[TokenLogprob] = ()) -> dict[str, Any]:
        choice = ChatChoice(
            message=ChatMessageOut(content=finished.text),
            logprobs=self._logprobs(logprobs),
            finish_reason=finished.finish_reason,
        )
        completion = ChatCompletion(
            id=self.id, created=self.created, model=self.model, choices=[choice], usage=usage_of(finished)
        )
        return completion.model_dump(mode="json")

    def _logprobs(self, tokens: Sequence[TokenLogprob]) -> dict[str, Any] | None:
        if not self.logprobs:
            return None
        content = []
        for token in tokens:
            item = _token_item(token)
            content.append({**item, "top_logprobs": [item] if self.top_logprobs else []})
        return {"content": content, "refusal": None}


def _token_item(token: TokenLogprob) -> dict[str, Any]:
    return {"token": token.token, "logprob": token.logprob, "bytes": list(token.token.encode("utf-8"))}


def usage_of(finished: Finished) -> Usage:
    prompt, completion = finished.metrics.input_tokens, finished.metrics.generated_tokens
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@dataclass
class CompletionShape:
    """text_completion replies and chunks (OpenAI streams the same object) of one request.

    logprobs: None (not asked for), 0 (the chosen tokens' log probabilities) or 1 (also a
    one-entry top_logprobs dict per token: the chosen token, the only one openvino-genai reports).
    """

    model: str
    logprobs: int | None = None
    id: str = field(default_factory=lambda: f"cmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))
    _offset: int = 0  # characters of completion text before the next token (text_offset)

    def _completion(self, choices: list[CompletionChoice], usage: Usage | None) -> dict[str, Any]:
        completion = Completion(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=usage
        )
        return completion.model_dump(mode="json")

    def opening(self) -> list[dict[str, Any]]:
        return []

    def piece(self, text: str, logprobs: Sequence[TokenLogprob], finish_reason: str | None) -> dict[str, Any]:
        choice = CompletionChoice(text=text, logprobs=self._logprobs(logprobs), finish_reason=finish_reason)
        return self._completion([choice], None)

    def usage(self, finished: Finished) -> dict[str, Any]:
        return self._completion([], usage_of(finished))

    def reply(self, finished: Finished, logprobs: Sequence[TokenLogprob] = ()) -> dict[str, Any]:
        choice = CompletionChoice(
            text=finished.text, logprobs=self._logprobs(logprobs), finish_reason=finished.finish_reason
        )
        return self._completion([choice], usage_of(finished))

    def _logprobs(self, tokens: Sequence[TokenLogprob]) -> dict[str, Any] | None:
        if self.logprobs is None:
            return None
        offsets = []
        for token in tokens:
            offsets.append(self._offset)
            self._offset += len(token.token)
        return {
            "tokens": [t.token for t in tokens],
            "token_logprobs": [t.logprob for t in tokens],
            "top_logprobs": [{t.token: t.logprob} for t in tokens] if self.logprobs else None,
            "text_offset": offsets,
        }
