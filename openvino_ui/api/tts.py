"""The text-to-speech endpoint: speak text with a Kokoro or SpeechT5 model; returns a WAV file
(a Gradio adapter over Service.speak)."""

from gradio import FileData

from ..audio import write_wav
from ..service import Service, SpeakRequest
from .errors import user_errors


class TTSAPI:
    def __init__(self, service: Service):
        self.service = service

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
        request = self.service.request(
            SpeakRequest, text=text, model=model, voice=voice, speed=speed, language=language
        )
        speech = self.service.speak(request)
        path = write_wav(speech.samples, speech.sample_rate)
        return FileData(path=str(path), orig_name="speech.wav", mime_type="audio/wav")
