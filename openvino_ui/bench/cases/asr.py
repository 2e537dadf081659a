"""Speech recognition: openvino-genai WhisperPipeline (the product's Whisper base int8 IR) vs
faster-whisper on the same CTranslate2 weights (int8 compute, its fastest CPU setting), beam 1 and
beam 5, on a 30 s English clip made with espeak-ng. RTF = processing time / audio duration.
WER of each side against the script is the quality check (jiwer).
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric
from ..isolation import isolated
from ..probe import ov_resolved

SCRIPT = (
    "Speech recognition turns spoken language into written text. This clip was made by a speech "
    "synthesizer so that the benchmark needs no recordings. The weather today is mild with a light wind "
    "from the west. Trains leave the central station every twenty minutes in the morning and every half "
    "hour in the evening. The library opens at nine and closes at six on weekdays. Please remember to "
    "bring your ticket, a pen and a bottle of water for the journey."
)
CLIP_S = 30.0


def clip() -> np.ndarray:
    """The 30 s, 16 kHz mono float32 clip (espeak-ng, padded with silence), cached."""
    import soundfile as sf

    from ..assets import cache_root

    path = cache_root() / "asr-clip-30s.wav"
    if not path.exists():
        import soxr

        raw = path.with_suffix(".raw.wav")
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), SCRIPT], check=True)
        audio, sr = sf.read(raw, dtype="float32")
        audio = soxr.resample(audio, sr, 16000)[: int(CLIP_S * 16000)]
        audio = np.pad(audio, (0, int(CLIP_S * 16000) - len(audio)))
        sf.write(path, audio, 16000)
        raw.unlink()
    audio, _ = sf.read(path, dtype="float32")
    return audio


def wer(text: str) -> float:
    import jiwer

    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9' ]+", " ", s.lower()).strip()

    return float(jiwer.wer(norm(SCRIPT), norm(text)))


class _ASRRunner:
    label = "asr"

    def __init__(self) -> None:
        self.audio = clip()

    def transcribe(self, beams: int) -> str:
        raise NotImplementedError

    def run(self) -> dict[str, float]:
        out = {}
        for beams in (1, 5):
            t0 = time.perf_counter()
            self.transcribe(beams)
            out[f"rtf_beam{beams}"] = (time.perf_counter() - t0) / (len(self.audio) / 16000)
        return out

    def close(self) -> None:
        pass


class OVWhisperRunner(_ASRRunner):
    def __init__(self, path: Path, threads: int):
        super().__init__()
        import openvino_genai as og

        self.og, self.path = og, Path(path)
        self.properties = {"INFERENCE_NUM_THREADS": threads}
        self.pipe = og.WhisperPipeline(str(path), "CPU", **self.properties)

    def transcribe(self, beams: int) -> str:
        cfg = self.pipe.get_generation_config()
        cfg.language, cfg.task, cfg.num_beams, cfg.max_new_tokens = "<|en|>", "transcribe", beams, 440
        if beams > 1:
            cfg.num_return_sequences = 1
        return str(self.pipe.generate(self.audio.tolist(), cfg).texts[0])

    def resolved(self) -> dict[str, Any]:
        return ov_resolved(str(self.path / "openvino_encoder_model.xml"), self.properties)


class FasterWhisperRunner(_ASRRunner):
    def __init__(self, ct2: Path, threads: int, compute_type: str = "int8"):
        super().__init__()
        from faster_whisper import WhisperModel

        self.threads, self.compute_type = threads, compute_type
        self.model = WhisperModel(
            str(ct2), device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=1
        )

    def transcribe(self, beams: int) -> str:
        segments, _ = self.model.transcribe(
            self.audio,
            language="en",
            task="transcribe",
            beam_size=beams,
            vad_filter=False,
            without_timestamps=True,
            condition_on_previous_text=False,
            temperature=0.0,
        )
        return " ".join(s.text for s in segments)

    def resolved(self) -> dict[str, Any]:
        return {"cpu_threads": self.threads, "compute_type": self.compute_type}


def _quality(cand: Any, peer: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side, runner in (("engine", cand), ("peer", peer)):
        for beams in (1, 5):
            text = runner.transcribe(beams)
            out[f"{side}_wer_beam{beams}"] = round(wer(text), 4)
        out[f"{side}_text"] = text[:200]
    # parity: our WER may not be worse than the peer's by more than 2 points
    out["ok"] = out["engine_wer_beam1"] <= out["peer_wer_beam1"] + 0.02
    return out


def cases(full: bool) -> list[Case]:
    from .. import assets

    return [
        Case(
            name="asr-ov-whisper-base-vs-faster-whisper",
            group="speech-recognition",
            engine="WhisperPipeline base int8",
            peer="faster-whisper base (CT2 int8)",
            metrics=[Metric("rtf_beam1", "RTF", False, 1.0), Metric("rtf_beam5", "RTF", False, 1.0)],
            make=lambda t: (
                OVWhisperRunner(assets.whisper_ov(), t),
                isolated(FasterWhisperRunner, assets.whisper_ct2(), t),
            ),
            quality=_quality,
            notes="30 s espeak-ng clip; language en; greedy (beam 1) and beam 5",
        )
    ]
