"""Weight formats against each other on this CPU: the measurements `weight_format: auto` decides by
(openvino_ui.auto_format). int8 against fp16 and fp32 weights of all-MiniLM-L6-v2
(TextEmbeddingPipeline) and of Whisper base (WhisperPipeline, encoder and decoder), and Kokoro's
w8a8 against its int8, at 1 thread and all threads; ratio > 1 means the first-named is faster.
A CPU without bf16 (AVX2, plain AVX-512) computes in f32, so int8 and fp16 weights are unpacked
to f32 on every call, which fp32 weights skip.

A variant counts only if it passes the product's quality bar, on both sides: cosine >= 0.99 to
the fp32 PyTorch reference for embeddings, word error rates within 0.02 of each other for Whisper,
Kokoro's Whisper round trip within 0.05 of each other.
Run: `openvino-ui bench --areas settings --case fp16-weights --case fp32-weights --case w8a8`, then
add a row per model to auto_format.TABLE citing the record (`case` t=N) and the CPU family the probe reports.
"""

from __future__ import annotations

from typing import Any

from ..core import Case, Metric
from . import asr, embedding, tts

COSINE_BAR = 0.99
WER_MARGIN = 0.02


def _embedding_quality(cand: Any, peer: Any) -> dict[str, Any]:
    out = embedding._quality(cand, peer)  # both sides' min cosine to the fp32 reference
    out["ok"] = min(out["engine_min_cosine"], out["peer_min_cosine"]) >= COSINE_BAR
    return out


def _asr_quality(cand: Any, peer: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        f"{side}_wer_beam1": round(asr.wer(runner.transcribe(1)), 4)
        for side, runner in (("engine", cand), ("peer", peer))
    }
    # Either variant may turn out the faster one, so neither may be worse than the other.
    out["ok"] = abs(out["engine_wer_beam1"] - out["peer_wer_beam1"]) <= WER_MARGIN
    return out


def _tts_quality(cand: Any, peer: Any) -> dict[str, Any]:
    """The Whisper round trip of both variants: the same length of audio, and neither's WER more
    than 0.05 above the other's (either may be the faster one)."""
    out = tts._quality(cand, peer)
    out["ok"] = (
        abs(out["engine_audio_s"] / out["peer_audio_s"] - 1) < 0.05
        and abs(out["engine_wer"] - out["peer_wer"]) <= tts.WER_MARGIN
    )
    return out


def cases(full: bool) -> list[Case]:
    from .. import assets

    sentences = [Metric(f"{k}_{b}_sps", "sentences/s") for k in ("short", "long") for b in ("b1", "b32")]
    rtf = [Metric("rtf_beam1", "RTF", False), Metric("rtf_beam5", "RTF", False)]

    def embed(other: str) -> Case:
        return Case(
            name=f"embed-ov-int8-vs-{other}-weights",
            group="settings",
            engine="TextEmbeddingPipeline MiniLM, int8 weights",
            peer=f"{other} weights",
            metrics=sentences,
            make=lambda t: (
                embedding.OVEmbedRunner(assets.minilm_ov("int8"), t),
                embedding.OVEmbedRunner(assets.minilm_ov(other), t),
            ),
            quality=_embedding_quality,
            notes=f"weight_format: auto evidence (int8 vs {other} weights, default precision)",
        )

    def whisper(other: str) -> Case:
        return Case(
            name=f"asr-ov-whisper-int8-vs-{other}-weights",
            group="settings",
            engine="WhisperPipeline base, int8 weights",
            peer=f"{other} weights",
            metrics=rtf,
            make=lambda t: (
                asr.OVWhisperRunner(assets.whisper_ov("int8"), t),
                asr.OVWhisperRunner(assets.whisper_ov(other), t),
            ),
            quality=_asr_quality,
            notes=f"weight_format: auto evidence (int8 vs {other} weights; 30 s espeak-ng clip)",
        )

    kokoro_kinds = tuple(tts.TEXTS) if full else ("short", "medium")
    kokoro = Case(
        name="tts-ov-kokoro-w8a8-vs-int8",
        group="settings",
        engine="Kokoro-82M w8a8 (static int8 vocoder, compiled f32)",
        peer="int8 (int8 weights, the CPU's default precision)",
        metrics=[Metric(f"rtf_{k}", "RTF", False) for k in kokoro_kinds],
        make=lambda t: (
            tts.OVKokoroRunner(assets.kokoro_model("w8a8"), t, kokoro_kinds),
            tts.OVKokoroRunner(assets.kokoro_model("int8"), t, kokoro_kinds),
        ),
        quality=_tts_quality,
        notes="weight_format: auto evidence (Kokoro's two variants; same phoneme ids and voice)",
    )
    return [embed("fp16"), whisper("fp16"), embed("fp32"), whisper("fp32"), kokoro]
