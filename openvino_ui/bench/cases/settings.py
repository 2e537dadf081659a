"""OpenVINO against itself (thread count, attention backend, precision, performance hint): the
evidence for the defaults in models.yaml, per engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import Case, Metric
from . import asr, embedding, llm, tts


def cases(full: bool) -> list[Case]:
    return _chat(full) + _embeddings() + _speech()


def _chat(full: bool) -> list[Case]:
    """OpenVINO against itself: evidence for the defaults in models.yaml."""
    from .. import assets

    plain = [
        Metric("decode_tok_s", "tok/s"),
        Metric("ttft128_ms", "ms", False),
        Metric("ttft512_ms", "ms", False),
    ]

    def setting(
        name: str, engine: tuple[str, dict[str, Any]], peer: tuple[str, dict[str, Any]], notes: str
    ) -> Case:
        """Gemma int8 under two sets of OpenVINO properties."""
        return Case(
            name=f"chat-ov-int8-{name}",
            group="settings",
            engine=f"genai int8 {engine[0]}",
            peer=f"genai int8 {peer[0]}",
            metrics=plain,
            make=lambda t: (
                llm.GenAIRunner(assets.gemma_ov("int8"), t, engine[1]),
                llm.GenAIRunner(assets.gemma_ov("int8"), t, peer[1]),
            ),
            notes=notes,
        )

    return [
        setting(
            "pa-vs-sdpa",
            ("ATTENTION_BACKEND=PA", {"ATTENTION_BACKEND": "PA"}),
            ("ATTENTION_BACKEND=SDPA", {"ATTENTION_BACKEND": "SDPA"}),
            "which attention backend should be the default",
        ),
        setting(
            "f32-vs-bf16",
            ("INFERENCE_PRECISION_HINT=f32", {"INFERENCE_PRECISION_HINT": "f32"}),
            ("default precision (bf16 here)", {}),
            "activation precision; the weights stay int8",
        ),
        setting(
            "no-dynquant-vs-default",
            ("DYNAMIC_QUANTIZATION_GROUP_SIZE=0", {"DYNAMIC_QUANTIZATION_GROUP_SIZE": 0}),
            ("default (activations quantized per group of 32)", {}),
            "int8 x int8 (VNNI) vs bf16 matmuls on the int8 weights",
        ),
        Case(
            name="chat-ov-int8-dynquant-measured-vs-32",
            group="settings",
            engine="genai int8 DYNAMIC_QUANTIZATION_GROUP_SIZE as measured on this machine",
            peer="genai int8 DYNAMIC_QUANTIZATION_GROUP_SIZE=32 (OpenVINO's default)",
            metrics=plain,
            make=lambda t: (
                llm.product_runner(assets.gemma_ov("int8"), t),
                llm.GenAIRunner(assets.gemma_ov("int8"), t, {"DYNAMIC_QUANTIZATION_GROUP_SIZE": 32}),
            ),
            notes="what the per-machine choice (openvino_ui.dynamic_quantization) buys; 1.0 if it keeps 32",
        ),
        setting(
            "kv-bf16-vs-u8",
            ("KV_CACHE_PRECISION=bf16", {"KV_CACHE_PRECISION": "bf16"}),
            ("default KV cache (u8)", {}),
            "KV cache compression costs (de)quantization per token on short contexts",
        ),
        one_thread_vs_all(
            "chat-ov-int8",
            "genai int8",
            plain,
            lambda threads: llm.GenAIRunner(assets.gemma_ov("int8"), threads),
            "INFERENCE_NUM_THREADS: 1 vs all (the OpenVINO default uses all)",
        ),
    ]


def _embeddings() -> list[Case]:
    """OpenVINO against itself: thread count and performance hint for the embedding model."""
    import os

    from .. import assets

    nproc = os.cpu_count() or 1
    plain = [Metric(f"{k}_{b}_sps", "sentences/s") for k in ("short", "long") for b in ("b1", "b32")]
    return [
        one_thread_vs_all(
            "embed-ov",
            "TextEmbeddingPipeline",
            plain,
            lambda threads: embedding.OVEmbedRunner(assets.minilm_ov(), threads),
        ),
        Case(
            name="embed-ov-throughput-vs-latency-hint",
            group="settings",
            engine="TextEmbeddingPipeline PERFORMANCE_HINT=THROUGHPUT",
            peer="PERFORMANCE_HINT=LATENCY",
            metrics=plain,
            only_threads=(nproc,),
            make=lambda t: (
                embedding.OVEmbedRunner(assets.minilm_ov(), t, {"PERFORMANCE_HINT": "THROUGHPUT"}),
                embedding.OVEmbedRunner(assets.minilm_ov(), t, {"PERFORMANCE_HINT": "LATENCY"}),
            ),
        ),
    ]


def _speech() -> list[Case]:
    """OpenVINO against itself: thread count for Whisper (greedy and our beam search) and Kokoro.
    Each engine's one request at a time uses all threads by default; whether one thread per request
    is better decides how `instances: N` should share the cores."""
    from .. import assets

    kinds = ("short", "medium")
    return [
        one_thread_vs_all(
            "asr-ov",
            "Whisper base int8",
            [Metric("rtf_beam1", "RTF", False), Metric("rtf_beam5", "RTF", False)],
            lambda threads: asr.OVWhisperRunner(assets.whisper_ov(), threads),
            "INFERENCE_NUM_THREADS: 1 vs all; 30 s clip, beam 1 (genai) and beam 5 (our beam search)",
        ),
        one_thread_vs_all(
            "tts-ov",
            "Kokoro-82M",
            [Metric(f"rtf_{k}", "RTF", False) for k in kinds],
            lambda threads: tts.OVKokoroRunner(assets.kokoro_model(), threads, kinds),
            "INFERENCE_NUM_THREADS: 1 vs all; the product's properties otherwise",
        ),
    ]


def one_thread_vs_all(
    prefix: str, label: str, metrics: list[Metric], runner: Callable[[int], Any], notes: str = ""
) -> Case:
    """An engine at 1 thread against itself at all threads (`runner(threads)` builds it), run
    only in the bench's 1-thread pass."""
    import os

    nproc = os.cpu_count() or 1
    return Case(
        name=f"{prefix}-1thread-vs-all",
        group="settings",
        engine=f"{label}, 1 thread",
        peer=f"{label}, {nproc} threads",
        metrics=metrics,
        only_threads=(1,),
        make=lambda t: (runner(1), runner(nproc)),
        notes=notes,
    )
