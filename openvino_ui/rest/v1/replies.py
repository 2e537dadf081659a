"""The OpenAI wire shapes of the replies: chat.completion and its chunks, text_completion, the model
list (plain pydantic models), and the shapes (sse.Shape) that write one request's reply and chunks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from ...generation import Finished


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
    logprobs: None = None
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
    logprobs: None = None
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
    logprobs: None = None
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
    """chat.completion replies and chat.completion.chunk events of one request."""

    model: str
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

    def piece(self, text: str, finish_reason: str | None) -> dict[str, Any]:
        delta = ChunkDelta(content=text) if text or finish_reason is None else ChunkDelta()
        return self._chunk([ChunkChoice(delta=delta, finish_reason=finish_reason)])

    def usage(self, finished: Finished) -> dict[str, Any]:
        return self._chunk([], usage_of(finished))

    def reply(self, finished: Finished) -> dict[str, Any]:
        choice = ChatChoice(
            message=ChatMessageOut(content=finished.text), finish_reason=finished.finish_reason
        )
        completion = ChatCompletion(
            id=self.id, created=self.created, model=self.model, choices=[choice], usage=usage_of(finished)
        )
        return completion.model_dump(mode="json")


def usage_of(finished: Finished) -> Usage:
    prompt, completion = finished.metrics.input_tokens, finished.metrics.generated_tokens
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@dataclass(frozen=True)
class CompletionShape:
    """text_completion replies and chunks (OpenAI streams the same object) of one request."""

    model: str
    id: str = field(default_factory=lambda: f"cmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))

    def _completion(self, choices: list[CompletionChoice], usage: Usage | None) -> dict[str, Any]:
        completion = Completion(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=usage
        )
        return completion.model_dump(mode="json")

    def opening(self) -> list[dict[str, Any]]:
        return []

    def piece(self, text: str, finish_reason: str | None) -> dict[str, Any]:
        return self._completion([CompletionChoice(text=text, finish_reason=finish_reason)], None)

    def usage(self, finished: Finished) -> dict[str, Any]:
        return self._completion([], usage_of(finished))

    def reply(self, finished: Finished) -> dict[str, Any]:
        choice = CompletionChoice(text=finished.text, finish_reason=finished.finish_reason)
        return self._completion([choice], usage_of(finished))
