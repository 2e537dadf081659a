"""The bench cases behind `weight_format: auto` (openvino_ui/bench/cases/weights.py): int8 against
fp16 weights of the same model, each side judged by the quality bar (nothing is built here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openvino_ui.bench import assets
from openvino_ui.bench.cases import asr, embedding, load_cases, weights


class Transcriber:
    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, beams: int) -> str:
        return self.text


def test_the_cases_build_an_int8_and_an_fp16_or_fp32_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "minilm_ov", lambda fmt="int8": Path(f"minilm-{fmt}"))
    monkeypatch.setattr(assets, "whisper_ov", lambda fmt="int8": Path(f"whisper-{fmt}"))
    monkeypatch.setattr(embedding, "OVEmbedRunner", lambda path, threads: (path.name, threads))
    monkeypatch.setattr(asr, "OVWhisperRunner", lambda path, threads: (path.name, threads))
    cases = {c.name: c for c in load_cases(("settings",), full=False) if "-weights" in c.name}
    for other in ("fp16", "fp32"):
        embed = cases[f"embed-ov-int8-vs-{other}-weights"]
        assert embed.make(2) == (("minilm-int8", 2), (f"minilm-{other}", 2))
        whisper = cases[f"asr-ov-whisper-int8-vs-{other}-weights"]
        assert whisper.make(1) == (("whisper-int8", 1), (f"whisper-{other}", 1))
        assert all(not metric.higher_is_better for metric in whisper.metrics)  # RTF


def test_whisper_variants_must_transcribe_alike() -> None:
    good, bad = Transcriber(asr.SCRIPT), Transcriber(asr.SCRIPT[:200])
    assert weights._asr_quality(good, good)["ok"]
    assert not weights._asr_quality(good, bad)["ok"] and not weights._asr_quality(bad, good)["ok"]


def test_embedding_variants_must_both_pass_the_cosine_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    cosines = {"engine_min_cosine": 0.999, "peer_min_cosine": 0.98}
    monkeypatch.setattr(embedding, "_quality", lambda cand, peer: dict(cosines))
    assert not weights._embedding_quality(None, None)["ok"]  # the fp16 side fails: nothing counts
    cosines["peer_min_cosine"] = 0.995
    assert weights._embedding_quality(None, None)["ok"]


def test_every_engine_has_a_thread_count_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 thread vs all threads, per engine (issue 16: thread settings per engine): chat, embeddings,
    Whisper and Kokoro, each run only in the bench's 1-thread pass."""
    monkeypatch.setattr(assets, "whisper_ov", lambda fmt="int8": Path(f"whisper-{fmt}"))
    monkeypatch.setattr(assets, "kokoro_model", lambda: Path("kokoro.xml"))
    monkeypatch.setattr(asr, "OVWhisperRunner", lambda path, threads: (path.name, threads))
    from openvino_ui.bench.cases import tts

    monkeypatch.setattr(tts, "OVKokoroRunner", lambda path, threads, kinds: (path.name, threads))
    cases = {c.name: c for c in load_cases(("settings",), full=False) if "1thread-vs-all" in c.name}
    assert set(cases) == {f"{e}-1thread-vs-all" for e in ("chat-ov-int8", "embed-ov", "asr-ov", "tts-ov")}
    assert all(c.only_threads == (1,) for c in cases.values())
    nproc = os.cpu_count()
    assert cases["asr-ov-1thread-vs-all"].make(1) == (("whisper-int8", 1), ("whisper-int8", nproc))
    assert cases["tts-ov-1thread-vs-all"].make(1) == (("kokoro.xml", 1), ("kokoro.xml", nproc))
