"""Issue 13's load test: 16 concurrent clients mix streamed chat, completions, vision, embeddings,
reranking, transcription and speech through the REST API for 60 s (OPENVINO_UI_LOAD_S to change
it) while an operator unloads and reloads models under the traffic. Zero errors, every model
ready afterwards. Bounded in time and count; no timing is asserted (the figures are printed)."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest

from tests.api.test_openai_chat import FRANCE, ask, png_data_url

SECONDS = float(os.environ.get("OPENVINO_UI_LOAD_S", "60"))
CLIENTS = 16
MAX_CALLS = 2000  # per client: a bound on the loop besides the deadline
SPEECH = (Path(__file__).parents[2] / "assets" / "speech-en.wav").read_bytes()
RED = {"type": "image_url", "image_url": {"url": png_data_url((255, 0, 0))}}
# the models the operator unloads and loads again while the clients run
CYCLED = ("tiny-chat", "tiny-embed", "tiny-asr", "tiny-vision", "tiny-rerank")


class Client:
    """One user: an openai SDK and an httpx client of their own, and what they measured."""

    def __init__(self, base: str):
        self.sdk = openai.OpenAI(base_url=base + "v1", api_key="any", max_retries=0, timeout=120)
        self.http = httpx.Client(base_url=base + "v1/", timeout=120)
        self.ttft: list[float] = []

    def chat(self) -> None:
        started = time.perf_counter()
        stream = self.sdk.chat.completions.create(
            model="tiny-chat", messages=ask(FRANCE), stream=True, stream_options={"include_usage": True}
        )
        text, first = "", None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first = first or time.perf_counter()
                text += chunk.choices[0].delta.content
        assert text == "Paris.", text
        self.ttft.append((first or time.perf_counter()) - started)

    def complete(self) -> None:
        reply = self.sdk.completions.create(
            model="tiny-chat", prompt="Q: capital of France?\nA:", max_tokens=8
        )
        assert reply.choices[0].finish_reason in ("stop", "length")

    def vision(self) -> None:
        messages = [{"role": "user", "content": [{"type": "text", "text": "What color is this?"}, RED]}]
        reply = self.sdk.chat.completions.create(model="tiny-vision", messages=messages)
        assert "red" in reply.choices[0].message.content.lower()

    def embed(self) -> None:
        reply = self.sdk.embeddings.create(model="tiny-embed", input=["one text", "and another"])
        assert len(reply.data) == 2 and len(reply.data[0].embedding) > 0

    def rerank(self) -> None:
        body = {"model": "tiny-rerank", "query": "capital of France", "documents": ["Paris", "bread", "rain"]}
        response = self.http.post("rerank", json=body)
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]) == 3

    def transcribe(self) -> None:
        text = self.sdk.audio.transcriptions.create(
            model="tiny-asr", file=("speech.wav", SPEECH), response_format="text"
        )
        assert isinstance(text, str)

    def speak(self) -> None:
        audio = self.sdk.audio.speech.create(
            model="tiny-tts", input="Hello there.", voice="default", response_format="wav"
        )
        assert audio.content[:4] == b"RIFF" and len(audio.content) > 1000

    def close(self) -> None:
        self.sdk.close()
        self.http.close()


# Each client keeps doing one kind of request; chat, the main use, has the most clients.
KINDS = ["chat", "chat", "chat", "chat", "complete", "vision", "vision", "embed", "embed", "embed",
         "rerank", "rerank", "transcribe", "transcribe", "speak", "speak"]  # fmt: skip


def test_sixteen_clients_for_a_minute_with_models_reloaded_under_them(served_app, app_url):
    assert len(KINDS) == CLIENTS
    pool = served_app.pool
    deadline = time.monotonic() + SECONDS
    errors: list[str] = []
    done: Counter[str] = Counter()
    reloads: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def user(kind: str) -> list[float]:
        client = Client(app_url)
        call: Callable[[], None] = getattr(client, kind)
        try:
            for _ in range(MAX_CALLS):
                if time.monotonic() > deadline or stop.is_set():
                    break
                try:
                    call()
                except Exception as exc:  # every failure is collected and reported below
                    with lock:
                        errors.append(f"{kind}: {type(exc).__name__}: {str(exc)[:300]}")
                    stop.set()  # one failure fails the test: stop early
                    break
                with lock:
                    done[kind] += 1
            return client.ttft
        finally:
            client.close()

    def operator() -> None:
        """Unload and load again one model after another, while the clients run."""
        index = 0
        while not stop.wait(SECONDS / 12) and time.monotonic() < deadline - 2:
            name = CYCLED[index % len(CYCLED)]
            index += 1
            pool.unload(name)
            pool.load(name)
            reloads[name] += 1

    with ThreadPoolExecutor(CLIENTS + 1) as executor:
        admin = executor.submit(operator)
        users = [executor.submit(user, kind) for kind in KINDS]
        ttfts = [t for future in users for t in future.result(timeout=SECONDS + 300)]
        stop.set()
        admin.result(timeout=300)

    assert errors == []
    assert set(done) == set(KINDS), done
    for name in {*CYCLED, "tiny-tts"}:
        assert pool.info(name).status == "ready", name
        assert pool.info(name).stats.failures == 0, name
    assert sum(reloads.values()) >= 1
    ttfts.sort()
    print(
        f"\nload: {dict(done)} in {SECONDS:.0f} s, reloads {dict(reloads)}; chat TTFT p50 "
        f"{statistics.median(ttfts) * 1000:.0f} ms, p95 {ttfts[int(0.95 * (len(ttfts) - 1))] * 1000:.0f} ms"
    )


@pytest.fixture(autouse=True)
def _fresh_failure_counts(served_app):
    """Failures counted by earlier tests (they send bad input on purpose) are not this test's."""
    for name in (*CYCLED, "tiny-tts"):
        engine = served_app.pool.get(name)
        with engine._stats_lock:
            engine._stats.clear()
