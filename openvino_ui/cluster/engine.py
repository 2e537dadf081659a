"""The proxy engines: what the pool holds for a model with `replicas` or `autoscaling`.

Each subclasses the local engine of its task, so what reads the model's files without a pipeline
(an ASR model's languages, a TTS model's voices, token counts) works as it does locally (the model
folder must be at the same path on this machine and on the replicas' nodes). What needs the
pipeline goes to the replicas: loading deploys the model (one Serve application, named after it),
unloading deletes it, and each typed method calls a replica through the DeploymentHandle.

The base class's admission and statistics apply as to a local batching engine: a request takes a
place in the deployment (up to max_num_seqs over all replicas plus max_queue) and is counted when
it ends. Every request goes through this proxy, so its statistics are those of all the replicas
together (per replica, the Models tab shows how many requests this process sent each).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from ..config import AnySpec
from ..engines.asr import ASREngine, Timestamps, Transcript
from ..engines.base import Engine, ModelInfo, State
from ..engines.embedding import EmbeddingEngine
from ..engines.llm import LLMEngine
from ..engines.rerank import CrossEncoderRerankEngine
from ..engines.tts import Speech, TTSEngine
from ..engines.vlm import VLMEngine
from ..generation import Delta, Finished, GenerationParams
from ..placement import ClusterSettings
from ..retrieval import Embeddings, RankedDocument
from ..stats import GenerationMetrics
from .handle import ModelDeployment


class RayServed(Engine):
    """What every proxy engine adds to its task's engine (first in the bases: its _build wins)."""

    # The pool's factory passes models.yaml's defaults.cluster to engines that say they need it.
    needs_cluster = True

    def __init__(self, *args: Any, cluster: ClusterSettings | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cluster = cluster

    @classmethod
    def _pipelines_per_load(cls, spec: AnySpec) -> int:
        return 1  # one deployment per load, whatever `instances` says: each replica builds them

    def _check_files(self) -> None:
        """The replicas check the model's files, on their nodes."""

    def _build(self, device: str) -> ModelDeployment:
        from .handle import deploy
        from .runtime import connect

        if self.cluster is None:
            raise RuntimeError(
                "defaults.cluster is not set: add `cluster: {address: local}` (or auto, or "
                "ray://host:10001) under defaults in models.yaml"
            )
        connect(self.cluster)
        spec = self.spec.model_copy(update={"device": device})
        deployment = deploy(self.name, spec, self.properties, self.queue_timeout_s)
        self._deployed(deployment.info)
        return deployment

    def _deployed(self, info: dict[str, Any]) -> None:
        """Learn from a replica's `info` what its engine found out at load (ASR overrides it)."""

    def deployment(self) -> ModelDeployment | None:
        loaded = self._loaded
        return None if loaded is None else loaded.pipeline

    def info(self) -> ModelInfo:
        from .runtime import connected
        from .status import replicas

        deployment = self.deployment()
        rows = ()
        if deployment is not None and connected() and self.state is State.READY:
            rows = replicas(self.name, dict(deployment.served_by))
        return replace(super().info(), replicas=rows)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self.serving() as session:
            return session.pipeline.call(method, *args, **kwargs)

    def _stream(
        self, method: str, args: tuple[Any, ...], cancel: threading.Event | None
    ) -> Iterator[Delta | Finished]:
        sink: list[GenerationMetrics] = []
        with self.serving(sink) as session:
            for event in session.pipeline.stream(method, args, cancel):
                if isinstance(event, Finished):
                    sink.append(event.metrics)
                yield event


class RayLLMEngine(RayServed, LLMEngine):
    def stream(
        self,
        messages: list[dict[str, str]],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        return self._stream("stream", (messages, params), cancel)

    def complete(
        self, prompt: str, params: GenerationParams, cancel: threading.Event | None = None
    ) -> Iterator[Delta | Finished]:
        return self._stream("complete", (prompt, params), cancel)


class RayVLMEngine(RayServed, VLMEngine):
    def stream(
        self,
        messages: list[dict[str, str]],
        images: Sequence[np.ndarray],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        return self._stream("stream", (messages, list(images), params), cancel)


class RayEmbeddingEngine(RayServed, EmbeddingEngine):
    def embed(self, texts: Sequence[str], kind: Literal["document", "query"] = "document") -> Embeddings:
        if kind not in ("document", "query"):
            raise ValueError(f"kind must be 'document' or 'query', got {kind!r}")
        if not texts:
            raise ValueError("embed needs at least one text")
        return self._call("embed", list(texts), kind=kind)


class RayRerankEngine(RayServed, CrossEncoderRerankEngine):
    def rerank(self, query: str, documents: Sequence[str], top_n: int) -> list[RankedDocument]:
        if not documents:
            return []
        return self._call("rerank", query, list(documents), top_n)


class RayASREngine(RayServed, ASREngine):
    def _deployed(self, info: dict[str, Any]) -> None:
        self.word_timestamps_available = info.get("word_timestamps")

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        task: str = "transcribe",
        timestamps: Timestamps = "none",
        max_new_tokens: int | None = None,
        initial_prompt: str | None = None,
        temperature: float = 0.0,
        beam_size: int | None = None,
    ) -> Transcript:
        # refused here, before the audio travels
        self.check_request(language, task, timestamps, beam_size, temperature)
        options = dict(
            language=language,
            task=task,
            timestamps=timestamps,
            max_new_tokens=max_new_tokens,
            initial_prompt=initial_prompt,
            temperature=temperature,
            beam_size=beam_size,
        )
        return self._call("transcribe", np.ascontiguousarray(samples, dtype=np.float32), **options)


class RayTTSEngine(RayServed, TTSEngine):
    def synthesize(
        self, text: str, voice: str | None = None, speed: float = 1.0, language: str | None = None
    ) -> Speech:
        self.check_request(text, voice, speed, language)
        return self._call("synthesize", text, voice=voice, speed=speed, language=language)


PROXIES: dict[str, type[Engine]] = {
    "llm": RayLLMEngine,
    "vlm": RayVLMEngine,
    "embedding": RayEmbeddingEngine,
    "rerank": RayRerankEngine,
    "asr": RayASREngine,
    "tts": RayTTSEngine,
}


def ray_engine_class(spec: AnySpec) -> type[Engine]:
    """The proxy engine of `spec`'s task (engines/__init__.py's engine_class calls this for a model
    with `replicas` or `autoscaling`). Ray itself is imported only when the model loads."""
    return PROXIES[spec.task]
