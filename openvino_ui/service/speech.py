"""Speech: transcribe (or translate) audio with an `asr` model, speak text with a `tts` model.

Audio comes in as a local path, the bytes of an encoded file (WAV, FLAC, OGG, MP3, ...) or a
Recording (samples and their rate); it is read as 16 kHz mono float32 and checked (length, silence)
before the model is loaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..audio import prepare_samples, read_audio_file
from ..config import ASRSpec
from ..errors import InvalidInput
from .core import ServiceBase
from .requests import AudioInput, Recording, SpeakRequest, TranscribeRequest
from .results import ASROptions, TTSOptions
from .validation import pick_model

if TYPE_CHECKING:
    from ..engines.asr import Transcript
    from ..engines.tts import Speech


class SpeechService(ServiceBase):
    def transcribe(self, request: TranscribeRequest) -> Transcript:
        """Recognize the speech in `request.audio` (any length: Whisper works in 30 s windows).

        language None or "auto" detects it (the Transcript says which); task "translate" gives
        English text (multilingual models only); timestamps "segment" or "word" fill the segments
        (and words); prompt is Whisper's initial prompt (names, spellings, style); temperature 0
        decodes greedily, above 0 samples; beam_size above 1 searches that many beams (None: the
        model's beam_size). Refused before loading: an option the model cannot do,
        audio it cannot take.
        """
        name, spec = self.resolve(request)
        assert isinstance(spec, ASRSpec)
        engine = self._asr(name)
        engine.check_request(
            request.language, request.task, request.timestamps, request.beam_size, request.temperature
        )
        try:
            samples = read_audio(request.audio, spec.max_audio_s)
        except InvalidInput as exc:  # whatever is wrong with the audio, the audio is at fault
            exc.param = exc.param or "audio"
            raise
        return self._asr(name, ready=True).transcribe(
            samples,
            language=request.language,
            task=request.task,
            timestamps=request.timestamps,
            initial_prompt=request.prompt,
            temperature=request.temperature,
            beam_size=request.beam_size,
        )

    def asr_options(self, model: str | None = None) -> ASROptions:
        """What `model` (an `asr` model; None: the first) offers; reads its files, loads nothing."""
        engine = self._asr(pick_model(self.pool, model, "asr"))
        info = engine.info_of_model()
        return ASROptions(
            multilingual=info.multilingual,
            languages=tuple(info.languages),
            can_translate=info.can_translate,
            # known only once loaded: a model whose export lacks cross-attention loads without words
            word_timestamps=info.has_alignment_heads and engine.word_timestamps_available is not False,
            beam_size=int(getattr(engine.spec, "beam_size", 1) or 1),
        )

    def speak(self, request: SpeakRequest) -> Speech:
        """Synthesize `request.text`: mono float32 samples at the model's rate (Speech).

        voice None: the model's default voice; language None: its default_language; speed 0.5 to 2
        (Kokoro; SpeechT5 speaks at 1.0 only). Long text is spoken sentence by sentence.
        """
        name, _ = self.resolve(request)
        engine = self._tts(name)
        engine.check_request(request.text, request.voice, request.speed, request.language)
        return self._tts(name, ready=True).synthesize(
            request.text, voice=request.voice, speed=request.speed, language=request.language
        )

    def tts_options(self, model: str | None = None) -> TTSOptions:
        """What `model` (a `tts` model; None: the first) offers; reads its files, loads nothing."""
        engine = self._tts(pick_model(self.pool, model, "tts"))
        return TTSOptions(
            backend=engine.backend,
            voices=tuple(engine.voices()),
            default_voice=engine.default_voice(),
            languages=tuple(engine.languages().items()),
            default_language=engine.default_language(),
            speed=engine.backend == "kokoro",
            max_chars=engine.spec.max_chars,
        )


def read_audio(audio: AudioInput, max_seconds: float | None) -> np.ndarray:
    """`audio` as 16 kHz mono float32; InvalidInput for what is not readable speech."""
    if isinstance(audio, Recording):
        return prepare_samples(audio.samples, audio.rate, max_seconds)
    if isinstance(audio, bytes):
        with tempfile.TemporaryDirectory(prefix="openvino-ui-audio-") as folder:
            path = Path(folder) / "upload"  # messages name it: "'upload' is not an audio file ..."
            path.write_bytes(audio)
            return read_audio_file(path, max_seconds)
    return read_audio_file(audio, max_seconds)
