"""The text-to-speech endpoint: speak text with a Kokoro or SpeechT5 model; returns a WAV file."""

from typing import Any

from gradio import FileData

from ..audio import write_wav
from ..pool import EnginePool
from .errors import user_errors
from .validation import number, option, pick_model, require_text


class TTSAPI:
    def __init__(self, pool: EnginePool):
        self.pool = pool

    def options(self, model: str | None) -> dict[str, Any]:
        """What the chosen model offers (for the tab's controls); reads files, loads nothing."""
        engine: Any = self.pool.get(pick_model(self.pool, model, "tts"), "tts")
        return {
            "backend": engine.backend,
            "voices": engine.voices(),
            "default_voice": engine.default_voice(),
            "languages": engine.languages(),
            "default_language": engine.default_language(),
            "speed": engine.backend == "kokoro",
            "max_chars": engine.spec.max_chars,
        }

    def run(self, text: str, model: str | None, voice: str | None, speed: float, language: str | None) -> Any:
        """Validate and synthesize; returns the engine's Speech. Bad input never loads the model."""
        name = pick_model(self.pool, model, "tts")
        engine: Any = self.pool.get(name, "tts")
        text = require_text(text, "text", engine.spec.max_chars)
        voice, language = option(voice, "voice"), option(language, "language")
        speed = number(speed, "speed")  # its range depends on the backend: the engine checks it
        engine.check_request(text, voice, speed, language)
        ready: Any = self.pool.ready(name, "tts")
        return ready.synthesize(text, voice=voice, speed=speed, language=language)

    @user_errors
    def speak(
        self, text: str, model: str = "", voice: str = "", speed: float = 1.0, language: str = ""
    ) -> FileData:
        """Speak text aloud with a text-to-speech model.

        Args:
            text: what to say (not empty; at most the model's max_chars characters, 5000 by default, set
                per model in models.yaml). Long text is spoken sentence by sentence, with short pauses.
            model: a `tts` model name from `/models`; empty means the first one configured.
            voice: a voice of that model (the files voices/<name>.bin beside it; SpeechT5 also has
                "default"); empty means the model's default voice. An unknown name lists the choices.
            speed: speaking rate multiplier, 0.5 to 2.0 (Kokoro); SpeechT5 models accept only 1.0.
            language: Kokoro: en-us, en-gb, es, fr-fr, hi, it, pt-br; SpeechT5: en-us. Empty means the
                model's default_language.

        Returns:
            A mono 16-bit WAV file at the model's sample rate (Kokoro 24 kHz, SpeechT5 16 kHz).
        """
        speech = self.run(text, model, voice, speed, language)
        path = write_wav(speech.samples, speech.sample_rate)
        return FileData(path=str(path), orig_name="speech.wav", mime_type="audio/wav")
