"""Serving: what the Gradio layer costs. The app (openvino_ui.server.Server, the same server
`openvino-ui serve` runs, around an EnginePool) runs in-process on a free port; a gradio_client
consumer is compared with calling the service it serves directly in Python (no HTTP, no queue),
in alternation.

  serving-stream: tokens/s of a streamed chat reply as the consumer sees it, between its first and
                  last update ((tokens - 1) / span), and the time from the request to the first
                  update. The prompt asks for a long list so that every reply runs to N tokens.
  serving-call:   latency of a cheap call (`/models`): the per-call cost of the queue + HTTP
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ...generation import Delta
from ..core import Case, Metric

_RNG = np.random.default_rng()
N_TOKENS = 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _App:
    """The app around one chat model, served on loopback; shared by both sides of a case."""

    def __init__(self, model_dir: Path, threads: int):
        from ...config import parse_config
        from ...pool import EnginePool
        from ...server import ServeOptions, Server
        from ...service import Service

        yaml = (
            f"defaults: {{cache_dir: null}}\nmodels:\n  chat:\n    task: llm\n    path: {model_dir}\n"
            f"    properties: {{INFERENCE_NUM_THREADS: {threads}}}\n"
        )
        self.config = parse_config(yaml, Path(tempfile.gettempdir()) / "bench-serving.yaml")
        self.pool = EnginePool(self.config)
        self.service = Service(self.pool)
        self.service.load("chat")
        options = ServeOptions(host="127.0.0.1", port=_free_port(), mcp=False)
        self.server = Server(self.pool, options).start()
        from gradio_client import Client

        self.client = Client(self.server.url, verbose=False)
        import openvino_genai as og

        self.tokenizer = og.Tokenizer(str(model_dir))

    def n_tokens(self, text: str) -> int:
        return int(self.tokenizer.encode(text, add_special_tokens=False).input_ids.get_shape()[1])

    def chat(self, prompt: str) -> Any:
        """The service's chat events for `prompt` with the case's sampling (what /chat streams)."""
        from ...service import ChatRequest

        messages = [{"role": "user", "content": prompt}]
        request = self.service.request(ChatRequest, model="chat", messages=messages, sampling=_PARAMS)
        return self.service.chat(request)

    def close(self) -> None:
        self.client.close()
        self.server.close()
        self.pool.close()


def _prompt() -> str:
    # Fresh every call (no prefix-cache reuse); Gemma-270M (greedy) answers it with a long list.
    return f"Write the numbers from 1 to 100, separated by commas. Reference {_RNG.integers(1_000_000)}."


_PARAMS = {"max_new_tokens": N_TOKENS, "temperature": 0.0, "repetition_penalty": 1.0}


class _StreamRunner:
    def __init__(self, app: _App, via_client: bool):
        self.app, self.via_client = app, via_client
        self.label = "gradio_client" if via_client else "direct"

    def _updates(self) -> tuple[float, list[float], str]:
        times, text = [], ""
        started = time.perf_counter()
        if self.via_client:
            job = self.app.client.submit(_prompt(), "chat", api_name="/chat", **_PARAMS)
            for text in job:  # noqa: B007 - the last value is the whole reply
                times.append(time.perf_counter())
        else:
            for event in self.app.chat(_prompt()):
                if isinstance(event, Delta):
                    text += event.text
                    times.append(time.perf_counter())
        return started, times, text

    def run(self) -> dict[str, float]:
        started, times, text = self._updates()
        n = self.app.n_tokens(text)
        span = times[-1] - times[0]
        return {
            "stream_tok_s": (n - 1) / span if span > 0 else float("nan"),
            "first_update_ms": (times[0] - started) * 1000,
            "updates": float(len(times)),
            "tokens": float(n),
        }

    def close(self) -> None:
        pass


class _CallRunner:
    def __init__(self, app: _App, via_client: bool):
        self.app, self.via_client = app, via_client
        self.label = "gradio_client" if via_client else "direct"

    def run(self) -> dict[str, float]:
        lat = []
        for _ in range(10):
            t0 = time.perf_counter()
            if self.via_client:
                self.app.client.predict(api_name="/models")
            else:
                self.app.service.models()
            lat.append((time.perf_counter() - t0) * 1000)
        return {"call_p50_ms": statistics.median(lat), "call_max_ms": max(lat)}

    def close(self) -> None:
        pass


class _Owner(_StreamRunner):
    """The candidate side also owns the app and closes it."""

    def close(self) -> None:
        self.app.close()


class _CallOwner(_CallRunner):
    def close(self) -> None:
        self.app.close()


def cases(full: bool) -> list[Case]:
    from .. import assets

    def stream(t: int) -> tuple[Any, Any]:
        app = _App(assets.gemma_ov("int8"), t)
        return _Owner(app, True), _StreamRunner(app, False)

    def call(t: int) -> tuple[Any, Any]:
        app = _App(assets.gemma_ov("int8"), t)
        return _CallOwner(app, True), _CallRunner(app, False)

    return [
        Case(
            name="serving-stream",
            group="serving",
            engine="chat via gradio_client (streamed)",
            peer="the same service called in-process",
            metrics=[Metric("stream_tok_s", "tok/s", True, 0.9), Metric("first_update_ms", "ms", False)],
            make=stream,
            notes=f"greedy, {N_TOKENS} new tokens, fresh prompt per call; Gemma-3-270M int8",
        ),
        Case(
            name="serving-call",
            group="serving",
            engine="/models via gradio_client",
            peer="Service.models() in-process",
            metrics=[Metric("call_p50_ms", "ms", False, None)],
            make=call,
            notes="per-call cost of the Gradio queue + HTTP on loopback (ratio < 1 is expected)",
        ),
    ]
