"""Continuous batching against the plain pipeline, and prefix caching on and off: the evidence for
`batching:` in models.yaml. Both sides are openvino-ui's own LLM engine (scheduler, incremental
detokenisation and all), timed from the outside the same way.

  batching-vs-plain-1user: one request at a time (128 tokens, EOS ignored): decode tok/s between
                           the first and last piece, and TTFT. Batching must not cost a lone user
                           speed (issue 13); if it did, low load would belong on the plain path.
  two-models-threads:      a chat model (8 streams) and an embedding model (4 clients) serving at
                           once: OpenVINO's default threads against one thread each.
  prefix-cache-5turn:      a 5-turn conversation that re-sends its history each turn, as every chat
                           client does (64 tokens per reply): TTFT of turns 2-5 and the whole
                           conversation's time, with enable_prefix_caching on against off.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric

_RNG = np.random.default_rng()
N_TOKENS = 128
TURN_TOKENS = 64
TURNS = ("Tell me about {}.", "Why is that?", "Give me an example.", "And what else?", "Summarise it.")
TOPICS = ("rivers", "mountains", "birds", "trains", "bread", "castles", "comets", "whales")


class EngineRunner:
    """openvino-ui's chat engine (from an EnginePool) on the Gemma int8 IR, with `batching` settings."""

    def __init__(self, path: Path, threads: int, batching: dict[str, Any] | bool, label: str):
        from ...config import parse_config
        from ...pool import EnginePool

        self.label = label
        entry = {
            "task": "llm",
            "path": str(path),
            "properties": {"INFERENCE_NUM_THREADS": threads},
            "batching": batching,
        }
        config = parse_config(
            _yaml({"defaults": {"cache_dir": None}, "models": {"chat": entry}}),
            Path(tempfile.gettempdir()) / "bench-batching.yaml",
        )
        self.pool = EnginePool(config)
        self.pool.load("chat")
        self.engine = self.pool.get("chat")

    def reply(self, messages: list[dict[str, str]], n: int) -> tuple[float, float, int, str]:
        """(TTFT s, decode span s, tokens, text) of one greedy reply of `n` tokens, EOS ignored."""
        from ...generation import Delta, GenerationParams

        params = GenerationParams(max_new_tokens=n, temperature=0.0, ignore_eos=True, repetition_penalty=1.0)
        start = time.perf_counter()
        first = last = start
        text = ""
        tokens = 0
        for event in self.engine.stream(messages, params):
            now = time.perf_counter()
            if isinstance(event, Delta):
                first = now if first == start else first
                last = now
            else:
                text, tokens = event.text, event.metrics.generated_tokens
        return first - start, last - first, tokens, text

    def close(self) -> None:
        self.pool.unload("chat")


class OneUserRunner(EngineRunner):
    def run(self) -> dict[str, float]:
        question = (
            f"Write a long story about {int(_RNG.integers(1_000_000))} {TOPICS[_RNG.integers(len(TOPICS))]}."
        )
        ttft, span, tokens, _ = self.reply([{"role": "user", "content": question}], N_TOKENS)
        return {"decode_tok_s": (tokens - 1) / span if span > 0 else 0.0, "ttft_ms": ttft * 1000}


class ConversationRunner(EngineRunner):
    def run(self) -> dict[str, float]:
        topic = f"{TOPICS[_RNG.integers(len(TOPICS))]} number {int(_RNG.integers(1_000_000))}"
        messages: list[dict[str, str]] = []
        ttfts = []
        start = time.perf_counter()
        for turn, question in enumerate(TURNS):
            messages.append({"role": "user", "content": question.format(topic)})
            ttft, _, _, text = self.reply(messages, TURN_TOKENS)
            messages.append({"role": "assistant", "content": text})
            if turn:
                ttfts.append(ttft)
        return {
            "later_turn_ttft_ms": statistics.mean(ttfts) * 1000,
            "conversation_s": time.perf_counter() - start,
        }


class TwoModelsRunner:
    """A chat model streaming to 8 users and an embedding model serving 4 clients at the same time,
    in one EnginePool, for SECONDS: how two models serving at once share the cores."""

    SECONDS = 10.0

    def __init__(self, chat: Path, embed: Path, threads: int | None, label: str):
        from ...config import parse_config
        from ...pool import EnginePool

        self.label = label
        properties = {} if threads is None else {"INFERENCE_NUM_THREADS": threads}
        models = {
            "chat": {"task": "llm", "path": str(chat), "properties": properties},
            "embed": {"task": "embedding", "path": str(embed), "properties": properties},
        }
        config = parse_config(
            _yaml({"defaults": {"cache_dir": None}, "models": models}),
            Path(tempfile.gettempdir()) / "bench-two-models.yaml",
        )
        self.pool = EnginePool(config)
        for name in models:
            self.pool.load(name)

    def run(self) -> dict[str, float]:
        import threading

        from ...generation import Finished, GenerationParams

        chat, embed = self.pool.get("chat"), self.pool.get("embed")
        params = GenerationParams(max_new_tokens=96, temperature=0.0, ignore_eos=True)
        deadline = time.monotonic() + self.SECONDS
        counts = {"tokens": 0, "embeds": 0}
        lock = threading.Lock()

        def chat_user() -> None:
            for _ in range(10_000):  # bounded; the deadline ends it first
                if time.monotonic() > deadline:
                    return
                question = f"Tell a story about {int(_RNG.integers(1_000_000))}."
                for event in chat.stream([{"role": "user", "content": question}], params):
                    if isinstance(event, Finished):
                        with lock:
                            counts["tokens"] += event.metrics.generated_tokens

        def embed_client() -> None:
            for _ in range(100_000):
                if time.monotonic() > deadline:
                    return
                embed.embed([f"a short text about number {int(_RNG.integers(1_000_000))}"])
                with lock:
                    counts["embeds"] += 1

        workers = [threading.Thread(target=chat_user) for _ in range(8)]
        workers += [threading.Thread(target=embed_client) for _ in range(4)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
        return {"chat_tok_s": counts["tokens"] / elapsed, "embed_req_s": counts["embeds"] / elapsed}

    def close(self) -> None:
        self.pool.close()


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data)


def cases(full: bool) -> list[Case]:
    from .. import assets

    return [
        Case(
            name="batching-vs-plain-1user",
            group="serving",
            engine="LLMEngine, continuous batching (ContinuousBatchingPipeline)",
            peer="LLMEngine, batching: off (LLMPipeline)",
            metrics=[Metric("decode_tok_s", "tok/s", target=1.0), Metric("ttft_ms", "ms", False)],
            make=lambda t: (
                OneUserRunner(assets.gemma_ov("int8"), t, True, "batching"),
                OneUserRunner(assets.gemma_ov("int8"), t, False, "plain"),
            ),
            notes="one user: does batching cost a lone user speed? (Gemma-3-270M int8, 128 tokens)",
        ),
        Case(
            name="prefix-cache-5turn",
            group="serving",
            engine="continuous batching, enable_prefix_caching: true",
            peer="continuous batching, enable_prefix_caching: false",
            metrics=[Metric("later_turn_ttft_ms", "ms", False), Metric("conversation_s", "s", False)],
            make=lambda t: (
                ConversationRunner(assets.gemma_ov("int8"), t, {"enable_prefix_caching": True}, "prefix on"),
                ConversationRunner(
                    assets.gemma_ov("int8"), t, {"enable_prefix_caching": False}, "prefix off"
                ),
            ),
            notes="a 5-turn chat re-sends its history each turn (64-token replies, a fresh topic per run)",
        ),
        Case(
            name="two-models-threads",
            group="serving",
            engine="chat + embeddings at once, OpenVINO's default threads (all cores each)",
            peer="chat + embeddings at once, INFERENCE_NUM_THREADS: 1 each",
            metrics=[Metric("chat_tok_s", "tok/s"), Metric("embed_req_s", "requests/s")],
            only_threads=(os.cpu_count() or 1,),
            make=lambda t: (
                TwoModelsRunner(assets.gemma_ov("int8"), assets.minilm_ov(), None, "default threads"),
                TwoModelsRunner(assets.gemma_ov("int8"), assets.minilm_ov(), 1, "1 thread each"),
            ),
            notes="8 chat streams (96 tokens, EOS ignored) and 4 embedding clients for 10 s in one pool",
        ),
    ]
