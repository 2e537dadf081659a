"""Chat, completion and vision on a remote endpoint: `/chat/completions` and `/completions` with
`stream: true`, read as server-sent events and turned into the Delta / Finished events the local
engines yield (openvino_ui.generation), so the service and its adapters cannot tell them apart.

Sampling goes as the OpenAI API names it (max_tokens, temperature, top_p, seed, stop, penalties,
response_format for a JSON schema, logprobs) plus the extensions OVMS, vLLM, llama-server and
openvino-ui share (top_k, repetition_penalty, ignore_eos). The token counts come from the stream's
`usage` (`stream_options.include_usage`); a server that sends none is counted a token per piece.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from PIL import Image

from ...errors import InvalidInput
from ...generation import Delta, Finished, FinishReason, GenerationParams, TokenLogprob
from ...stats import GenerationMetrics
from .base import RemoteEngine
from .client import RemoteClient


class RemoteLLMEngine(RemoteEngine):
    """An `llm` model on a remote server: chat and raw completion."""

    task = "llm"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_num_seqs = self.spec.batching.max_num_seqs  # type: ignore[union-attr]

    def stream(
        self,
        messages: list[dict[str, str]],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        """Stream the assistant's reply to `messages` ({"role", "content"} dicts, oldest first)."""
        sink: list[GenerationMetrics] = []
        with self.serving(sink) as session, self.reaching():
            client: RemoteClient = session.pipeline
            body = {"messages": [dict(m) for m in messages], **sampling_body(params, chat=True)}
            yield from stream_remote(client, "chat/completions", body, True, session.device, cancel, sink)

    def complete(
        self, prompt: str, params: GenerationParams, cancel: threading.Event | None = None
    ) -> Iterator[Delta | Finished]:
        """Stream the continuation of `prompt` as it is (the remote's /completions)."""
        if params.json_schema is not None:
            raise InvalidInput(
                "json_schema is not offered for raw completions of a remote model; use chat.",
                param="json_schema",
            )
        sink: list[GenerationMetrics] = []
        with self.serving(sink) as session, self.reaching():
            client: RemoteClient = session.pipeline
            body = {"prompt": prompt, **sampling_body(params, chat=False)}
            yield from stream_remote(client, "completions", body, False, session.device, cancel, sink)


class RemoteVLMEngine(RemoteEngine):
    """A `vlm` model on a remote server: the images go as data: URLs in the first user turn."""

    task = "vlm"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_num_seqs = self.spec.batching.max_num_seqs  # type: ignore[union-attr]

    def stream(
        self,
        messages: list[dict[str, str]],
        images: Sequence[np.ndarray],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        """Stream the assistant's reply to `messages` about `images` (uint8 arrays, height x width x 3,
        already normalised by the service), shown in the first user turn as the local engine does."""
        turns: list[dict[str, Any]] = [dict(m) for m in messages]
        if images:
            parts = [{"type": "image_url", "image_url": {"url": png_data_url(image)}} for image in images]
            first = next((i for i, m in enumerate(turns) if m["role"] == "user"), None)
            if first is None:
                turns.append({"role": "user", "content": parts})
            else:
                turns[first]["content"] = [*parts, {"type": "text", "text": turns[first]["content"]}]
        sink: list[GenerationMetrics] = []
        with self.serving(sink) as session, self.reaching():
            client: RemoteClient = session.pipeline
            body = {"messages": turns, **sampling_body(params, chat=True)}
            yield from stream_remote(client, "chat/completions", body, True, session.device, cancel, sink)


def png_data_url(image: np.ndarray) -> str:
    """An RGB image as a base64 PNG data: URL (lossless: the remote sees the pixels we prepared)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def sampling_body(params: GenerationParams, chat: bool) -> dict[str, Any]:
    """The request fields of `params` (every value settled: the model's defaults are ours)."""
    body: dict[str, Any] = {
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
    }
    if params.top_k > 0:
        body["top_k"] = params.top_k
    if params.repetition_penalty != 1.0:
        body["repetition_penalty"] = params.repetition_penalty
    if params.frequency_penalty:
        body["frequency_penalty"] = params.frequency_penalty
    if params.presence_penalty:
        body["presence_penalty"] = params.presence_penalty
    if params.seed is not None:
        body["seed"] = params.seed
    if params.stop:
        body["stop"] = list(params.stop)
    if params.ignore_eos:
        body["ignore_eos"] = True
    if params.logprobs:
        body["logprobs"] = True if chat else 0  # completions: the chosen token's only
    if params.json_schema is not None:
        schema = {"name": "reply", "schema": json.loads(params.json_schema), "strict": True}
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    return body


def stream_remote(
    client: RemoteClient,
    path: str,
    body: dict[str, Any],
    chat: bool,
    device: str,
    cancel: threading.Event | None,
    sink: list[GenerationMetrics],
) -> Iterator[Delta | Finished]:
    """POST `body` (plus the model's name) to `path` and yield a Delta per piece, then Finished.

    `cancel` is checked as each piece arrives: set, it ends the stream (Finished.stopped) and closes
    the HTTP stream, as closing this generator does; the remote then stops generating."""
    started = time.perf_counter()
    if cancel is not None and cancel.is_set():  # cancelled while it waited for its turn: no work
        sink.append(GenerationMetrics(0.0, 0.0, 0.0, 0, 0))
        yield Finished(text="", metrics=sink[-1], device=device, stopped=True)
        return
    pieces: list[str] = []
    times: list[float] = []
    usage: dict[str, Any] = {}
    reason: FinishReason = "stop"
    stopped = False
    with client.events(path, {"model": client.model, **body}) as events:
        for event in events:
            if isinstance(event.get("usage"), dict):
                usage = event["usage"]
            for choice in event.get("choices") or ():
                text, logprobs = _piece(choice, chat)
                if choice.get("finish_reason") == "length":
                    reason = "length"
                if text or logprobs:
                    times.append(time.perf_counter())
                    pieces.append(text)
                    yield Delta(text, logprobs)
            if cancel is not None and cancel.is_set():
                stopped = True
                break
    sink.append(_metrics(started, times, usage))
    yield Finished(
        text="".join(pieces), metrics=sink[-1], device=device, stopped=stopped, finish_reason=reason
    )


def _piece(choice: dict[str, Any], chat: bool) -> tuple[str, tuple[TokenLogprob, ...]]:
    """The text of one choice of a chunk, and its tokens' log probabilities (if asked for)."""
    if chat:
        delta = choice.get("delta") or {}
        text = delta.get("content") or ""
        content = (choice.get("logprobs") or {}).get("content") or ()
        logprobs = tuple(TokenLogprob(str(c.get("token", "")), float(c.get("logprob", 0.0))) for c in content)
        return str(text), logprobs
    text = choice.get("text") or ""
    raw = choice.get("logprobs") or {}
    pairs = zip(raw.get("tokens") or (), raw.get("token_logprobs") or (), strict=False)
    return str(text), tuple(TokenLogprob(str(t), float(lp or 0.0)) for t, lp in pairs)


def _metrics(started: float, times: list[float], usage: dict[str, Any]) -> GenerationMetrics:
    """Speed from the arrival times of the pieces; counts from `usage` where the remote gave it."""
    tokens = int(usage.get("completion_tokens") or len(times))
    prompt = int(usage.get("prompt_tokens") or 0)
    if not times or tokens == 0:
        return GenerationMetrics(0.0, 0.0, 0.0, 0, prompt)
    first, last = times[0], times[-1]
    decode = last - first
    tpot = decode / (tokens - 1) if tokens > 1 else 0.0
    rate = (tokens - 1) / decode if tokens > 1 and decode > 0 else tokens / max(last - started, 1e-9)
    return GenerationMetrics((first - started) * 1000.0, tpot * 1000.0, rate, tokens, prompt)
