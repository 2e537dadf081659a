"""Speech recognition: the product's Whisper path (Whisper base int8 IR: WhisperPipeline greedy at
beam 1, our own beam search of engines/whisper/ at beam 5, as ASREngine serves them) vs
faster-whisper on the same CTranslate2 weights (int8 compute, its fastest CPU setting), beam 1 and
beam 5, on a 30 s English clip made with espeak-ng; and our beam search vs genai's own
(WhisperPipeline num_beams 5). RTF = processing time / audio duration. WER of each side against
the script is the quality check (jiwer).
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
    """`beam_loop`: beams > 1 run on our beam search, as ASREngine serves them (else genai's)."""

    def __init__(self, path: Path, threads: int, beam_loop: bool = True):
        super().__init__()
        import openvino_genai as og

        from ...engines import loaded_whisper

        self.og, self.path = og, Path(path)
        self.properties = {"INFERENCE_NUM_THREADS": threads}
        self.pipe = og.WhisperPipeline(str(path), "CPU", **self.properties)
        loaded = loaded_whisper(self.pipe, self.path, "CPU", self.properties)
        self.beam = loaded.beam_decoder() if beam_loop else None  # built here, not timed
        if beam_loop and self.beam is None:
            raise RuntimeError(f"{path}: our beam search cannot drive this IR")

    def transcribe(self, beams: int) -> str:
        if beams > 1 and self.beam is not None:
            return self.beam.transcribe(self.audio, "<|en|>", "transcribe", beams, 440).text
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
            engine="Whisper base int8 (WhisperPipeline greedy; our beam search)",
            peer="faster-whisper base (CT2 int8)",
            metrics=[Metric("rtf_beam1", "RTF", False, 1.0), Metric("rtf_beam5", "RTF", False, 1.0)],
            make=lambda t: (
                OVWhisperRunner(assets.whisper_ov(), t),
                isolated(FasterWhisperRunner, assets.whisper_ct2(), t),
            ),
            quality=_quality,
            notes="30 s espeak-ng clip; language en; greedy (beam 1) and beam 5 (our beam search)",
        ),
        Case(
            name="asr-ov-beam-search-vs-genai-beam-search",
            group="speech-recognition",
            engine="our beam search (engines/whisper), Whisper base int8",
            peer="WhisperPipeline num_beams (genai's sampler)",
            metrics=[Metric("rtf_beam5", "RTF", False, 1.0)],
            make=lambda t: (
                _BeamOnly(OVWhisperRunner(assets.whisper_ov(), t)),
                isolated(GenaiBeamRunner, assets.whisper_ov(), t),
            ),
            quality=_beam_quality,
            notes="30 s espeak-ng clip; language en; beam 5 on the same IR, same threads",
        ),
    ]


class _BeamOnly:
    """A runner timed at beam 5 only."""

    def __init__(self, runner: OVWhisperRunner):
        self.runner = runner

    def transcribe(self, beams: int) -> str:
        return self.runner.transcribe(beams)

    def run(self) -> dict[str, float]:
        t0 = time.perf_counter()
        self.runner.transcribe(5)
        return {"rtf_beam5": (time.perf_counter() - t0) / (len(self.runner.audio) / 16000)}

    def resolved(self) -> dict[str, Any]:
        return self.runner.resolved()

    def close(self) -> None:
        self.runner.close()


class GenaiBeamRunner(_BeamOnly):
    """The peer of the beam case: WhisperPipeline's own num_beams, in a child process like every peer."""

    def __init__(self, path: Path, threads: int):
        super().__init__(OVWhisperRunner(path, threads, beam_loop=False))


def _beam_quality(cand: Any, peer: Any) -> dict[str, Any]:
    ours, theirs = cand.transcribe(5), peer.transcribe(5)
    out: dict[str, Any] = {"engine_wer_beam5": round(wer(ours), 4), "peer_wer_beam5": round(wer(theirs), 4)}
    out["same_text"] = ours.strip() == theirs.strip()
    out["ok"] = out["engine_wer_beam5"] <= out["peer_wer_beam5"] + 0.02
    return out
