"""The OpenAI wire shapes of the chat completions and completions requests, as pydantic models, and
how a request body becomes one (every problem an InvalidInput naming the OpenAI field at fault).
The replies' shapes are in replies.py.

What a request may carry is stated here once:
* each model's fields: what we serve (values checked by the service: SamplingOptions' bounds);
* NO_OPS: fields a client may send that change nothing here (accepted, documented, never used);
  inside a request, so are a message's `name`, an image part's `detail`, json_schema's `strict`
  (the schema is always enforced) and stream_options' `include_obfuscation`;
* UNSUPPORTED: fields we know but do not serve, refused with the reason (never silently ignored);
* any other field: refused as unknown.
Extensions beside OpenAI's fields (as vLLM and OVMS take them): top_k and repetition_penalty.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ...errors import InvalidInput, describe, quote

# Fields OpenAI clients send that change nothing here: accepted and not used.
NO_OPS: frozenset[str] = frozenset(
    {
        "user",
        "store",
        "metadata",
        "service_tier",
        "parallel_tool_calls",
        "prompt_cache_key",
        "safety_identifier",
    }
)
# Fields we know and do not serve, with the reason a client is told (a 400 naming the field).
_TOOLS = "tools and function calling are not supported yet"
UNSUPPORTED: Mapping[str, str] = {
    "tools": _TOOLS,
    "tool_choice": _TOOLS,
    "functions": _TOOLS,
    "function_call": _TOOLS,
    "tool_calls": _TOOLS,
    "tool_call_id": _TOOLS,
    "logit_bias": "token biases are not supported",
    "audio": "audio output is not supported",
    "modalities": "only text output is supported",
    "prediction": "predicted outputs are not supported",
    "web_search_options": "web search is not supported",
    "reasoning_effort": "reasoning controls are not supported",
    "verbosity": "verbosity controls are not supported",
    "refusal": "refusals cannot be replayed to a model here",
    "input_audio": "audio input is not supported",
}


class Wire(BaseModel):
    """A request shape: strict JSON types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


W = TypeVar("W", bound=Wire)
_SHAPE = "wire_shape"


def shape_error(message: str) -> PydanticCustomError:
    """A nested value of the wrong shape; the message follows the field's path and a colon."""
    return PydanticCustomError(_SHAPE, message)


# -- chat messages ----------------------------------------------------------------------------------


class ImageURL(Wire):
    url: str = Field(min_length=1)
    detail: Literal["auto", "low", "high"] | None = None  # a hint for OpenAI's tiling: no-op here


class ContentPart(Wire):
    """{"type": "text", "text": ...} or {"type": "image_url", "image_url": {"url": ...}}."""

    type: Literal["text", "image_url"]
    text: str | None = None
    image_url: ImageURL | None = None

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.type == "text" and (self.text is None or self.image_url is not None):
            raise shape_error("a text part is {'type': 'text', 'text': str}")
        if self.type == "image_url" and (self.image_url is None or self.text is not None):
            raise shape_error("an image part is {'type': 'image_url', 'image_url': {'url': str}}")
        return self


class Message(Wire):
    """One turn; "developer" is OpenAI's newer name for "system". `name` is a no-op."""

    role: Literal["system", "developer", "user", "assistant"]
    content: list[ContentPart] | None = None  # a plain string arrives as one text part
    name: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [{"type": "text", "text": value}]
        if value is not None and not isinstance(value, list):
            raise shape_error(f"expected a string or a list of content parts; got {describe(value)}")
        return value

    @property
    def text(self) -> str:
        """The text parts, one after another (a newline between parts)."""
        return "\n".join(p.text for p in self.content or () if p.text is not None)

    @property
    def image_urls(self) -> list[str]:
        return [p.image_url.url for p in self.content or () if p.image_url is not None]


# -- the sampling fields both endpoints share ---------------------------------------------------------


class StreamOptions(Wire):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None  # padding against side channels: no-op here


class Sampling(Wire):
    model: str = Field(min_length=1)
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None  # extension
    repetition_penalty: float | None = None  # extension
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    stop: list[str] | None = None  # a single string arrives as a list of one
    n: int | None = None
    ignore_eos: bool | None = None  # extension (vLLM's, llama-server's): run to max_tokens

    @field_validator("stop", mode="before")
    @classmethod
    def _stop(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("n")
    @classmethod
    def _n(cls, value: int | None) -> int | None:
        if value not in (None, 1):
            raise InvalidInput(
                f"n must be 1: this server returns one choice per request; got {value}.", param="n"
            )
        return value

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def max_new_tokens(self) -> int | None:
        return self.max_tokens

    def max_tokens_field(self) -> str:
        """The name under which the client gave the token limit (for error messages)."""
        return "max_tokens"

    def sampling(self) -> dict[str, Any]:
        """The service's SamplingOptions values (None: the model's default)."""
        return {
            "max_new_tokens": self.max_new_tokens(),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "repetition_penalty": self.repetition_penalty,
            "frequency_penalty": self.frequency_penalty,
            "presence_penalty": self.presence_penalty,
            "seed": self.seed,
            "stop": tuple(self.stop) if self.stop else None,
            "ignore_eos": bool(self.ignore_eos),
        }

    def renames(self) -> dict[str, str]:
        """The service's names of fields as this request called them (for an error's `param`)."""
        return {"max_new_tokens": self.max_tokens_field(), "json_schema": "response_format"}


# -- chat completions -------------------------------------------------------------------------------


class JSONSchemaFormat(Wire):
    name: str = Field(min_length=1, max_length=64)
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None  # the schema is always enforced here
    description: str | None = None


class ResponseFormat(Wire):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JSONSchemaFormat | None = None

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if (self.type == "json_schema") != (self.json_schema is not None):
            raise shape_error(
                "expected {'type': 'json_schema', 'json_schema': {'name': str, 'schema': {...}}}, "
                "{'type': 'json_object'} or {'type': 'text'}"
            )
        return self

    def schema_text(self) -> str | None:
        """The JSON schema that constrains the reply: any JSON object for json_object."""
        if self.type == "json_object":
            return '{"type": "object"}'
        if self.json_schema is not None:
            return json.dumps(self.json_schema.schema_ if self.json_schema.schema_ is not None else {})
        return None


class ChatCompletionRequest(Sampling):
    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    response_format: ResponseFormat | None = None

    @field_validator("messages", mode="before")
    @classmethod
    def _messages(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise InvalidInput("messages is empty; send at least the user's message.", param="messages")
        return value

    @model_validator(mode="after")
    def _logprobs(self) -> Self:
        if self.top_logprobs is not None and self.top_logprobs > 1:
            raise InvalidInput(
                f"top_logprobs must be 0 or 1 (only the chosen token's log probability exists); got "
                f"{self.top_logprobs}.",
                param="top_logprobs",
            )
        if self.top_logprobs and not self.logprobs:
            raise InvalidInput("top_logprobs needs logprobs: true.", param="top_logprobs")
        if self.max_tokens is not None and self.max_completion_tokens not in (None, self.max_tokens):
            raise InvalidInput(
                "max_tokens and max_completion_tokens differ; send max_completion_tokens only.",
                param="max_tokens",
            )
        return self

    def max_new_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    def max_tokens_field(self) -> str:
        return "max_completion_tokens" if self.max_completion_tokens is not None else "max_tokens"

    def sampling(self) -> dict[str, Any]:
        schema = self.response_format.schema_text() if self.response_format else None
        return {**super().sampling(), "json_schema": schema, "logprobs": bool(self.logprobs)}


# -- completions -----------------------------------------------------------------------------------


class CompletionRequest(Sampling):
    prompt: list[str] = Field(min_length=1, max_length=1)  # a single string arrives as a list of one
    logprobs: int | None = None
    echo: bool | None = None
    suffix: str | None = None
    best_of: int | None = None

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            raise InvalidInput(
                "prompt must be a string (or a list of one string); token arrays are not supported.",
                param="prompt",
            )
        if isinstance(value, list) and len(value) > 1:
            raise InvalidInput(
                f"prompt must be one string: this server completes one prompt per request; got {len(value)}.",
                param="prompt",
            )
        return value

    @model_validator(mode="after")
    def _unsupported(self) -> Self:
        if self.echo:
            raise InvalidInput("echo is not supported: the reply holds the completion only.", param="echo")
        if self.suffix:
            raise InvalidInput("suffix is not supported (no fill-in-the-middle).", param="suffix")
        if self.best_of not in (None, 1):
            raise InvalidInput("best_of must be 1: one completion is generated per request.", param="best_of")
        if self.logprobs is not None and not 0 <= self.logprobs <= 1:
            raise InvalidInput(
                f"logprobs must be 0 or 1 (only the chosen token's log probability exists); got "
                f"{self.logprobs}.",
                param="logprobs",
            )
        return self

    def sampling(self) -> dict[str, Any]:
        return {**super().sampling(), "logprobs": self.logprobs is not None}


# -- reading a request -----------------------------------------------------------------------------


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object (400 if it is not one). Its size was checked before it is read
    (rest/limits.py: 413 over RestSettings.max_body_bytes)."""
    body = await request.body()
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidJSON("The body is not valid JSON; send a JSON object.") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"The body must be a JSON object; got {_kind(value)}.")
    return value


class InvalidJSON(InvalidInput):
    code = "invalid_json"


def parse(kind: type[W], body: dict[str, Any]) -> W:
    """`body` as a `kind` request: NO_OPS dropped, every other problem an InvalidInput naming it."""
    values = {key: value for key, value in body.items() if key not in NO_OPS}
    try:
        return kind.model_validate(values)
    except ValidationError as exc:
        raise invalid(exc) from None


def invalid(exc: ValidationError) -> InvalidInput:
    """The first problem pydantic found, as an InvalidInput whose param is the OpenAI field path."""
    error = exc.errors(include_url=False)[0]
    path = field_path(error["loc"])
    name = str(error["loc"][-1]) if error["loc"] else ""
    param = path or None
    if error["type"] == "extra_forbidden":
        reason = UNSUPPORTED.get(name)
        if reason is not None:
            return InvalidInput(f"{path} is not supported: {reason}.", param=param)
        return InvalidInput(f"Unknown field {quote(path)}.", param=param)
    if error["type"] == "missing":
        return InvalidInput(f"{path} is required.", param=param)
    if error["type"] == _SHAPE:
        return InvalidInput(f"{path}: {error['msg']}.", param=param)
    reason = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return InvalidInput(f"{path or 'The body'}: {reason}; got {describe(error.get('input'))}.", param=param)


def field_path(loc: Sequence[int | str]) -> str:
    """pydantic's error location as the wire names it: ("messages", 0, "content") -> messages[0].content."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}" if path else part
    return path


def _kind(value: Any) -> str:
    return describe(value).rsplit(" (", 1)[-1].rstrip(")") if value is not None else "null"
