"""The typed requests of the service: one per operation, frozen, checked with our messages.

Build them with `Kind.of(spec, **values)` or `Service.request(Kind, **values)` (service/schema.py).
Files come in as local paths, bytes or arrays: where they come from (an upload folder, a multipart
body) is the adapter's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import ValidationInfo, field_validator

from ..config import MAX_WHISPER_BEAMS, AnySpec, EmbeddingSpec, LLMSpec, RerankSpec, Task, TTSSpec, VLMSpec
from ..errors import InvalidInput, describe
from ..images import ImageSource
from .sampling import SamplingOptions
from .schema import Request, spec_of
from .validation import (
    MAX_TEXT_CHARS,
    check_unicode,
    choice,
    integer,
    model_name,
    number,
    option,
    require_text,
    string,
    text_list,
)

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = ("user", "assistant", "system")
IMAGE_ROLES: tuple[str, ...] = ("user", "assistant")
ImageInput = ImageSource  # a path, encoded bytes, a PIL image or pixels (openvino_ui.images)
# A transcription prompt longer than this is a mistake (Whisper reads only its last 223 tokens).
MAX_PROMPT_CHARS = 4000


@dataclass(frozen=True, eq=False)
class Recording:
    """Audio samples as a microphone gives them: (frames,) or (frames, channels), any PCM dtype."""

    rate: int
    samples: np.ndarray


AudioInput = str | Path | bytes | Recording  # a path, an encoded file (WAV, FLAC, OGG, MP3), samples


class ModelRequest(Request):
    """A request for one model of its TASK; `model` None means the first such model configured."""

    TASK: ClassVar[Task]  # the task of the models that serve it
    model: str | None = None

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, value: Any) -> str | None:
        return model_name(value)


# -- text generation -------------------------------------------------------------------------------


class ChatMessage(Request):
    """One turn of a conversation."""

    role: Role
    content: str


def chat_messages(value: Any, what: str, roles: tuple[str, ...] = ROLES) -> tuple[ChatMessage, ...]:
    """Turns as ChatMessages: from ChatMessages or {"role", "content"} dicts (other keys ignored);
    a malformed turn is an InvalidInput naming it, e.g. "history[1] must be {...}"."""
    shape = "{'role': " + " | ".join(repr(r) for r in roles) + ", 'content': str}"
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{what} must be a list of {shape} dicts; got {describe(value)}.", param=what)
    turns = []
    for i, turn in enumerate(value):
        if isinstance(turn, ChatMessage):
            turn = {"role": turn.role, "content": turn.content}
        if (
            not isinstance(turn, dict)
            or not isinstance(turn.get("role"), str)
            or turn["role"] not in roles
            or not isinstance(turn.get("content"), str)
        ):
            raise InvalidInput(f"{what}[{i}] must be {shape}; got {describe(turn)}.", param=what)
        check_unicode(turn["content"], f"{what}[{i}]['content']", what)
        turns.append(ChatMessage(role=turn["role"], content=turn["content"]))
    return tuple(turns)


def sampling_options(value: Any, info: ValidationInfo) -> Any:
    """SamplingOptions from a dict of values (None: all defaults), checked against the model."""
    if value is None:
        return SamplingOptions()
    if isinstance(value, dict):
        return SamplingOptions.of(spec_of(info), **value)
    return value


class _Conversation(ModelRequest):
    """What chat and describe share: the turns so far, the last one the user's, and sampling."""

    turn: ClassVar[str] = "message"  # what the last user turn is called in messages
    roles: ClassVar[tuple[str, ...]] = ROLES

    messages: tuple[ChatMessage, ...]
    sampling: SamplingOptions = SamplingOptions()

    @field_validator("messages", mode="before")
    @classmethod
    def _messages(cls, value: Any) -> tuple[ChatMessage, ...]:
        turns = chat_messages(value, "messages", cls.roles)
        last = turns[-1] if turns else None
        if last is None or last.role != "user":
            raise InvalidInput(
                f"messages must end with the user's {cls.turn}; got {describe(value)}.", param="messages"
            )
        require_text(last.content, cls.turn)
        return turns

    @field_validator("sampling", mode="before")
    @classmethod
    def _sampling(cls, value: Any, info: ValidationInfo) -> Any:
        return sampling_options(value, info)

    def check(self, spec: AnySpec) -> None:
        limit = spec.limits.max_input_chars if isinstance(spec, LLMSpec | VLMSpec) else None
        if limit is None:
            return
        require_text(self.messages[-1].content, self.turn, limit)
        check_conversation_length(self.prompt_turns(spec), limit)
        self.sampling.check(spec)

    def prompt_turns(self, spec: AnySpec) -> list[dict[str, str]]:
        """The turns the model is given: {"role", "content"} dicts, the new turn stripped."""
        turns = [{"role": m.role, "content": m.content} for m in self.messages]
        turns[-1]["content"] = turns[-1]["content"].strip()
        return turns


class ChatRequest(_Conversation):
    """Chat with an `llm` model. A system message (even an empty one) replaces the model's
    configured system_prompt; without one, that prompt (if any) comes first."""

    TASK: ClassVar[Task] = "llm"

    def prompt_turns(self, spec: AnySpec) -> list[dict[str, str]]:
        turns = super().prompt_turns(spec)
        has_system = any(t["role"] == "system" for t in turns)
        default = spec.system_prompt if isinstance(spec, LLMSpec) and not has_system else ""
        turns = [{"role": "system", "content": default}] + turns if default else turns
        return [
            {"role": "system", "content": t["content"].strip()} if t["role"] == "system" else t
            for t in turns
            if t["role"] != "system" or t["content"].strip()
        ]


class DescribeRequest(_Conversation):
    """Ask a `vlm` model about an image; `messages` are the turns about it, ending with the question."""

    TASK: ClassVar[Task] = "vlm"
    turn: ClassVar[str] = "question"
    roles: ClassVar[tuple[str, ...]] = IMAGE_ROLES

    image: ImageInput

    @field_validator("image", mode="before")
    @classmethod
    def _image(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str | bytes) and not value):
            raise InvalidInput("No image was given; upload, paste or capture one first.", param="image")
        return value


class VisionChatRequest(DescribeRequest):
    """A DescribeRequest whose messages may hold system messages too (as OpenAI's chat completions
    send them): they go to the model's chat template; empty ones are dropped."""

    roles: ClassVar[tuple[str, ...]] = ROLES

    def prompt_turns(self, spec: AnySpec) -> list[dict[str, str]]:
        turns = super().prompt_turns(spec)
        return [
            {"role": "system", "content": t["content"].strip()} if t["role"] == "system" else t
            for t in turns
            if t["role"] != "system" or t["content"].strip()
        ]


class CompletionRequest(ModelRequest):
    """Continue a raw prompt with an `llm` model: no chat template, the text as it is."""

    TASK: ClassVar[Task] = "llm"

    prompt: str
    sampling: SamplingOptions = SamplingOptions()

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidInput(f"prompt must be a string; got {describe(value)}.", param="prompt")
        if not value.strip():
            raise InvalidInput("The prompt is empty; type some text first.", param="prompt")
        check_unicode(value, "prompt")
        return value

    @field_validator("sampling", mode="before")
    @classmethod
    def _sampling(cls, value: Any, info: ValidationInfo) -> Any:
        return sampling_options(value, info)

    def check(self, spec: AnySpec) -> None:
        if isinstance(spec, LLMSpec) and len(self.prompt) > spec.limits.max_input_chars:
            raise InvalidInput(
                f"The prompt has {len(self.prompt)} characters; the limit is {spec.limits.max_input_chars} "
                "(set per model in models.yaml).",
                param="prompt",
            )
        self.sampling.check(spec)


def check_conversation_length(turns: list[dict[str, str]], max_chars: int) -> None:
    """The whole conversation (system prompt, history, new turn) must fit the model's input limit."""
    total = sum(len(t["content"]) for t in turns)
    if total > max_chars:
        raise InvalidInput(
            f"The conversation has {total} characters; the limit is {max_chars}. Start a new one or "
            "shorten it (the limit is set per model in models.yaml).",
            param="messages",
        )


# -- speech ----------------------------------------------------------------------------------------


class TranscribeRequest(ModelRequest):
    """Transcribe (or translate into English) speech with an `asr` (Whisper) model."""

    TASK: ClassVar[Task] = "asr"

    audio: AudioInput
    language: str | None = None  # None or "auto": detect it
    task: Literal["transcribe", "translate"] = "transcribe"
    timestamps: Literal["none", "segment", "word"] = "none"
    prompt: str | None = None  # Whisper's initial prompt: text the transcript continues from
    temperature: float = 0.0  # 0: greedy decoding; up to 1: sampled
    beam_size: int | None = None  # beams to search; None: the model's (models.yaml beam_size, 1 unless set)

    @field_validator("beam_size", mode="before")
    @classmethod
    def _beam_size(cls, value: Any) -> int | None:
        if value is None or value == "" or value == 0:  # 0: the UI's and Gradio API's "model default"
            return None
        if isinstance(value, float) and value.is_integer():  # a slider's or a form's 5.0
            value = int(value)
        return integer(value, "beam_size", 1, MAX_WHISPER_BEAMS, also=", or 0 for the model's own")

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return string(value, "prompt", max_chars=MAX_PROMPT_CHARS)

    @field_validator("temperature", mode="before")
    @classmethod
    def _temperature(cls, value: Any) -> float:
        return number(value, "temperature", 0.0, 1.0)

    @field_validator("audio", mode="before")
    @classmethod
    def _audio(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str | bytes) and not value):
            raise InvalidInput(
                "No audio was given; upload a file or record with the microphone.", param="audio"
            )
        if isinstance(value, tuple) and len(value) == 2:  # Gradio's microphone: (rate, samples)
            return Recording(value[0], np.asarray(value[1]))
        return value

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> str | None:
        return option(value, "language")

    @field_validator("task", mode="before")
    @classmethod
    def _task(cls, value: Any) -> str:
        return choice(value, "task", ("transcribe", "translate"))

    @field_validator("timestamps", mode="before")
    @classmethod
    def _timestamps(cls, value: Any) -> str:
        return choice(value, "timestamps", ("none", "segment", "word"))


class SpeakRequest(ModelRequest):
    """Speak text with a `tts` model; None voice / language: the model's defaults."""

    TASK: ClassVar[Task] = "tts"

    text: str
    voice: str | None = None
    speed: float = 1.0  # its range depends on the backend: the engine checks it
    language: str | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> str:
        spec = spec_of(info)
        return require_text(value, "text", spec.max_chars if isinstance(spec, TTSSpec) else MAX_TEXT_CHARS)

    @field_validator("voice", "language", mode="before")
    @classmethod
    def _option(cls, value: Any, info: ValidationInfo) -> str | None:
        return option(value, str(info.field_name))

    @field_validator("speed", mode="before")
    @classmethod
    def _speed(cls, value: Any) -> float:
        return number(value, "speed")

    def check(self, spec: AnySpec) -> None:
        if isinstance(spec, TTSSpec):
            require_text(self.text, "text", spec.max_chars)


# -- retrieval -------------------------------------------------------------------------------------


class EmbedRequest(ModelRequest):
    """Embed texts with an `embedding` model; kind "query" for search queries."""

    TASK: ClassVar[Task] = "embedding"

    texts: tuple[str, ...]
    kind: Literal["document", "query"] = "document"

    @field_validator("texts", mode="before")
    @classmethod
    def _texts(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        spec = spec_of(info)
        return text_list(value, "texts", spec.max_texts if isinstance(spec, EmbeddingSpec) else None, "text")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return choice(value, "kind", ("document", "query"))

    def check(self, spec: AnySpec) -> None:
        if isinstance(spec, EmbeddingSpec):
            text_list(self.texts, "texts", spec.max_texts, "text")


ALSO_TOP_N = ", or None for the model's top_n"


class RerankRequest(ModelRequest):
    """Order documents by relevance to a query with a `rerank` model; top_n None: the model's."""

    TASK: ClassVar[Task] = "rerank"

    query: str
    documents: tuple[str, ...]
    top_n: int | None = None

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str:
        return require_text(value, "query", MAX_TEXT_CHARS)

    @field_validator("documents", mode="before")
    @classmethod
    def _documents(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        spec = spec_of(info)
        limit = spec.max_documents if isinstance(spec, RerankSpec) else None
        return text_list(value, "documents", limit, "document")

    @field_validator("top_n", mode="before")
    @classmethod
    def _top_n(cls, value: Any, info: ValidationInfo) -> int | None:
        spec = spec_of(info)
        high = spec.max_documents if isinstance(spec, RerankSpec) else None
        return None if value is None else integer(value, "top_n", 1, high, ALSO_TOP_N)

    def check(self, spec: AnySpec) -> None:
        if isinstance(spec, RerankSpec):
            text_list(self.documents, "documents", spec.max_documents, "document")
            if self.top_n is not None:
                integer(self.top_n, "top_n", 1, spec.max_documents, ALSO_TOP_N)
