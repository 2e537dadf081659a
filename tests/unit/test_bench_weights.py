"""The bench cases behind `weight_format: auto` (openvino_ui/bench/cases/weights.py): int8 against
fp16 weights of the same model, each side judged by the quality bar (nothing is built here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openvino_ui.bench import assets
from openvino_ui.bench.cases import asr, embedding, load_cases, weights


class Transcriber:
    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, beams: int) -> str:
        return self.text


def test_the_cases_build_an_int8_and_an_fp16_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "minilm_ov", lambda fmt="int8": Path(f"minilm-{fmt}"))
    monkeypatch.setattr(assets, "whisper_ov", lambda fmt="int8": Path(f"whisper-{fmt}"))
    monkeypatch.setattr(embedding, "OVEmbedRunner", lambda path, threads: (path.name, threads))
    monkeypatch.setattr(asr, "OVWhisperRunner", lambda path, threads: (path.name, threads))
    cases = {c.name: c for c in load_cases(("settings",), full=False) if "fp16-weights" in c.name}
    assert cases["embed-ov-int8-vs-fp16-weights"].make(2) == (("minilm-int8", 2), ("minilm-fp16", 2))
    whisper = cases["asr-ov-whisper-int8-vs-fp16-weights"]
    assert whisper.make(1) == (("whisper-int8", 1), ("whisper-fp16", 1))
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
