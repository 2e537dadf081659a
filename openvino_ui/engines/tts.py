"""Text to speech: openvino_genai.Text2SpeechPipeline with its two backends, Kokoro and SpeechT5.

Voices are speaker embeddings stored beside the model as `voices/<name>.bin` (raw float32):
Kokoro's are (510, 1, 256) style tables (a row per input length), SpeechT5's are 1x512 x-vectors.
SpeechT5 also has a built-in default x-vector, offered as the voice "default".
Long text is cut at sentence boundaries (textsplit.chunk_text), each piece synthesized on its own and
the pieces joined with short fades and pauses (audio.join_pieces), so joins never click.

Kokoro's English front end (misaki) reads its lexicons from the folder named by MISAKI_DATA_DIR;
`openvino-ui prepare` puts them in the model folder (`<model>/misaki_data/`), and this engine reads
them only from there (or from MISAKI_DATA_DIR when the user set it).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openvino as ov
import openvino_genai as og

from ..audio import join_pieces
from ..config import TTSSpec
from ..errors import InvalidInput
from ..languages import KOKORO_LANGUAGES, SPEECHT5_LANGUAGES
from ..textsplit import chunk_text
from .admission import Session
from .base import Engine

log = logging.getLogger(__name__)

Backend = Literal["kokoro", "speecht5"]
DEFAULT_VOICE = "default"  # SpeechT5's built-in x-vector
SPEED_RANGE = (0.5, 2.0)  # Kokoro's speed multiplier; SpeechT5 speaks at one speed only
# Where a Kokoro folder keeps misaki's lexicons (written by openvino_ui/prepare/misaki.py, which
# uses the same names), and the variable openvino-genai reads them through.
MISAKI_SUBDIR = "misaki_data"
MISAKI_LEXICON = "us_gold.json"
MISAKI_ENV = "MISAKI_DATA_DIR"
# Characters per synthesized piece: Kokoro's context is 510 phonemes (about 300 characters of
# English); SpeechT5's decoder length grows with the text, so shorter pieces keep it stable.
PIECE_CHARS: dict[str, int] = {"kokoro": 250, "speecht5": 200}


@dataclass(frozen=True, eq=False)
class Speech:
    """One synthesized text. `samples` is mono float32 in [-1, 1] at `sample_rate` Hz."""

    samples: np.ndarray = field(repr=False)
    sample_rate: int
    duration_s: float  # length of the audio
    synthesis_s: float  # wall time of synthesis
    rtf: float  # real-time factor: synthesis_s / duration_s (< 1 is faster than real time)
    voice: str
    language: str
    pieces: int  # how many pieces the text was cut into
    device: str


def backend_of(folder: Path | None) -> Backend:
    """Kokoro folders hold one `openvino_model.xml` and a hexgrad-style config.json (with 'istftnet');
    SpeechT5 folders hold encoder/decoder/postnet/vocoder models."""
    folder = Path(folder or ".")
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        config = {}
    if "istftnet" in config or "plbert" in config or config.get("model_type") == "kokoro":
        return "kokoro"
    return "speecht5"


def ensure_misaki_data(model_path: Path | None, name: str) -> None:
    """Point MISAKI_DATA_DIR at the model's own copy of misaki's lexicons (`<model>/misaki_data`,
    written by `openvino-ui prepare`), unless the user set the variable. It is process-wide: the
    last Kokoro model loaded decides (the files are the same)."""
    global _MISAKI_SET_BY_US
    if os.environ.get(MISAKI_ENV) and not _MISAKI_SET_BY_US:
        return
    folder = Path(model_path or ".") / MISAKI_SUBDIR
    if not (folder / MISAKI_LEXICON).is_file():
        raise RuntimeError(
            f"Kokoro needs the English lexicons of the 'misaki' package in {folder}: run "
            f"`openvino-ui prepare {name}` (it puts them there), or copy misaki's data/ folder there, "
            f"or set {MISAKI_ENV} to a folder holding us_gold.json, us_silver.json, gb_*.json"
        )
    os.environ[MISAKI_ENV] = str(folder)
    _MISAKI_SET_BY_US = True


_MISAKI_SET_BY_US = False


class TTSEngine(Engine):
    task = "tts"
    spec: TTSSpec

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.backend: Backend = backend_of(self.spec.path)
        self._voice_cache: dict[str, ov.Tensor] = {}

    # -- what the model offers (no load needed) ------------------------------------------------

    def voices(self) -> list[str]:
        """Voice names: the files voices/*.bin beside the model (SpeechT5 adds 'default')."""
        folder = Path(self.spec.path or ".") / "voices"
        found = sorted(p.stem for p in folder.glob("*.bin")) if folder.is_dir() else []
        return ([DEFAULT_VOICE] if self.backend == "speecht5" else []) + found

    def default_voice(self) -> str | None:
        voices = self.voices()
        if self.spec.default_voice in voices:
            return self.spec.default_voice
        return voices[0] if voices else None

    def languages(self) -> dict[str, str]:
        """Language code -> name that this backend's text front end handles."""
        return dict(KOKORO_LANGUAGES if self.backend == "kokoro" else SPEECHT5_LANGUAGES)

    def default_language(self) -> str:
        languages = self.languages()
        return (
            self.spec.default_language if self.spec.default_language in languages else next(iter(languages))
        )

    # -- lifecycle and synthesis ----------------------------------------------------------------

    def _build(self, device: str) -> Any:
        if self.backend == "kokoro":
            ensure_misaki_data(self.spec.path, self.name)
        self._voice_cache.clear()
        return og.Text2SpeechPipeline(str(self.spec.path), device, **self.pipeline_properties(device))

    def _check_files(self) -> None:
        super()._check_files()
        if self.backend == "kokoro" and not self.voices():
            raise FileNotFoundError(
                f"no voices in {Path(self.spec.path or '.') / 'voices'}: Kokoro needs at least one "
                "voices/<name>.bin (float32, 510x1x256)"
            )

    def check_request(
        self, text: str, voice: str | None, speed: float, language: str | None
    ) -> tuple[str, str]:
        """Validate a request; return (voice, language) with defaults applied."""
        if not (text or "").strip():
            raise InvalidInput("The text is empty; type something to speak.", param="text")
        voices = self.voices()
        voice = voice or self.default_voice()
        if voice is None or voice not in voices:
            raise InvalidInput(
                f"Unknown voice {voice!r} for model {self.name!r}; choose one of: "
                f"{', '.join(voices) or 'none'}.",
                param="voice",
            )
        languages = self.languages()
        language = (language or self.default_language()).strip().lower()
        if language not in languages:
            raise InvalidInput(
                f"Language {language!r} is not supported by model {self.name!r} ({self.backend}); choose one "
                f"of: {', '.join(languages)}.",
                param="language",
            )
        if self.backend == "kokoro":
            if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
                raise InvalidInput(
                    f"speed must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]}; got {speed:g}.",
                    param="speed",
                )
        elif abs(speed - 1.0) > 1e-6:
            raise InvalidInput(
                f"Model {self.name!r} (SpeechT5) speaks at one speed only; use speed=1.", param="speed"
            )
        return voice, language

    def _embedding(self, pipe: Any, voice: str) -> ov.Tensor | None:
        if voice == DEFAULT_VOICE and self.backend == "speecht5":
            return None
        if voice not in self._voice_cache:
            path = Path(self.spec.path or ".") / "voices" / f"{voice}.bin"
            data = np.fromfile(path, dtype=np.float32)
            shape = [int(d) for d in pipe.get_speaker_embedding_shape()]
            tail = int(np.prod(shape[1:])) if self.backend == "kokoro" else int(np.prod(shape))
            if data.size == 0 or data.size % tail:
                raise InvalidInput(
                    f"Voice file {path.name} holds {data.size} floats; this model needs a multiple of {tail} "
                    f"(shape {shape})."
                )
            data = data.reshape(-1, *shape[1:]) if self.backend == "kokoro" else data.reshape(shape)
            self._voice_cache[voice] = ov.Tensor(np.ascontiguousarray(data))
        return self._voice_cache[voice]

    def synthesize(
        self, text: str, voice: str | None = None, speed: float = 1.0, language: str | None = None
    ) -> Speech:
        """Speak `text` with `voice` (a name from voices(); None: the default) at `speed` (0.5-2.0,
        Kokoro only) in `language` (a code from languages(); None: the model's default)."""
        voice, language = self.check_request(text, voice, speed, language)
        pieces = chunk_text(text, PIECE_CHARS[self.backend])
        options: dict[str, Any] = (
            {"speed": float(speed), "language": language} if self.backend == "kokoro" else {}
        )
        with self.serving() as session:
            audio, rate, elapsed = self._speak_pieces(session, pieces, voice, options)
            device = session.device
        samples = join_pieces(audio, rate) if len(audio) > 1 else (audio[0] if audio else np.zeros(0))
        samples = np.nan_to_num(samples.astype(np.float32, copy=False))
        if samples.size == 0 or not rate:
            raise InvalidInput("The text gave no speech (nothing pronounceable in it); type some words.")
        duration = samples.size / rate if rate else 0.0
        return Speech(
            samples=samples,
            sample_rate=rate,
            duration_s=duration,
            synthesis_s=elapsed,
            rtf=elapsed / duration if duration else 0.0,
            voice=voice,
            language=language,
            pieces=len(pieces),
            device=device,
        )

    def _speak_pieces(
        self, session: Session, pieces: list[str], voice: str, options: dict[str, Any]
    ) -> tuple[list[np.ndarray], int, float]:
        """Synthesize each piece; return (audio per piece, sample rate, seconds spent synthesizing).

        Between pieces a waiting request gets its turn (session.yield_turn), so a one-sentence
        request never waits for a long text to finish. The seconds exclude those turns.
        """
        audio: list[np.ndarray] = []
        rate, elapsed = 0, 0.0
        for index, piece in enumerate(pieces):
            if index:
                session.yield_turn()
            pipe = session.pipeline  # may be another one after a turn: the model moved or reloaded
            embedding = self._embedding(pipe, voice)
            started = time.perf_counter()
            args = (piece,) if embedding is None else (piece, embedding)
            result = pipe.generate(*args, **options)
            elapsed += time.perf_counter() - started
            rate = int(result.output_sample_rate)
            audio.append(np.asarray(result.speeches[0].data, dtype=np.float32).ravel())
        return audio, rate, elapsed
