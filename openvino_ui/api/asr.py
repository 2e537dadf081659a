"""The speech recognition endpoint: transcribe (or translate) an audio file with a Whisper model."""

import uuid
from pathlib import Path
from typing import Any, Literal

from gradio import FileData

from ..audio import load_audio, output_dir
from ..pool import EnginePool
from ..subtitles import to_srt, to_vtt
from .errors import user_errors
from .uploads import uploaded_file
from .validation import choice, option, pick_model

TASKS = ("transcribe", "translate")
TIMESTAMPS = ("none", "segment", "word")


class ASRAPI:
    def __init__(self, pool: EnginePool):
        self.pool = pool

    def options(self, model: str | None) -> dict[str, Any]:
        """What the chosen model offers (for the tab's controls); reads files, loads nothing."""
        engine: Any = self.pool.get(pick_model(self.pool, model, "asr"), "asr")
        info = engine.info_of_model()
        return {
            "multilingual": info.multilingual,
            "languages": list(info.languages),
            "can_translate": info.can_translate,
            # known only once loaded: a model whose export lacks cross-attention loads without words
            "word_timestamps": info.has_alignment_heads and engine.word_timestamps_available is not False,
        }

    def run(self, audio: Any, model: str | None, language: str | None, task: str, timestamps: str) -> Any:
        """Validate, read the audio (a path, FileData or a (rate, samples) recording), transcribe.

        Returns the engine's Transcript. Bad input is refused before the model is loaded.
        """
        name = pick_model(self.pool, model, "asr")
        engine: Any = self.pool.get(name, "asr")
        language = option(language, "language")
        task = choice(task, "task", TASKS)
        timestamps = choice(timestamps, "timestamps", TIMESTAMPS)
        engine.check_request(language, task, timestamps)
        samples = load_audio(audio, max_seconds=engine.spec.max_audio_s)
        ready: Any = self.pool.ready(name, "asr")
        return ready.transcribe(samples, language=language, task=task, timestamps=timestamps)

    @user_errors
    def transcribe(
        self,
        audio: FileData,
        model: str = "",
        language: str = "auto",
        task: Literal["transcribe", "translate"] = "transcribe",
        timestamps: Literal["none", "segment", "word"] = "segment",
    ) -> tuple[str, list[list], FileData | None, FileData | None, dict]:
        """Transcribe speech in an audio file (or translate it into English) with a Whisper model.

        Args:
            audio: the recording: WAV, FLAC, OGG or MP3, any sample rate, mono or stereo (in gradio_client:
                handle_file("speech.wav")). At most the model's max_audio_s seconds (models.yaml).
            model: an `asr` model name from `/models`; empty means the first one configured.
            language: "auto" to detect it, or a code such as "en", "fr", "de" (or a name, "French").
                English-only models accept only "auto" (or "en").
            task: "transcribe" keeps the spoken language; "translate" writes English (multilingual
                models only).
            timestamps: "none", "segment" (phrases; needed for subtitles) or "word" (adds per-word times).

        Returns:
            (text, segments, srt, vtt, info): the transcript; segments as [[start_s, end_s, text], ...]
            (empty for timestamps="none"); SubRip and WebVTT subtitle files (None without timestamps);
            info {"duration_s", "processing_s", "rtf", "language", "task", "device", "words"}, where rtf is
            processing time / audio duration, language is the code given or else the one Whisper detected,
            and words is [[start_s, end_s, word], ...] for timestamps="word".
        """
        # Only files uploaded to this server are read: a client must not name arbitrary local paths.
        path = uploaded_file(audio, "audio", "speech.wav")
        result = self.run(str(path), model, language, task, timestamps)
        srt, vtt = subtitle_files(result.segments)
        info = {
            "duration_s": round(result.duration_s, 3),
            "processing_s": round(result.processing_s, 3),
            "rtf": round(result.rtf, 4),
            "language": result.language or "unknown",
            "task": result.task,
            "device": result.device,
            "words": [list(w) for w in result.words],
        }
        return result.text, [list(s) for s in result.segments], _file(srt), _file(vtt), info


def subtitle_files(segments: Any) -> tuple[Path | None, Path | None]:
    """Write SRT and VTT files for `segments` ((start_s, end_s, text), ...); (None, None) if none."""
    if not segments:
        return None, None
    stem = output_dir() / f"transcript-{uuid.uuid4().hex[:10]}"
    srt, vtt = stem.with_suffix(".srt"), stem.with_suffix(".vtt")
    srt.write_text(to_srt(segments), encoding="utf-8")
    vtt.write_text(to_vtt(segments), encoding="utf-8")
    return srt, vtt


def _file(path: Path | None) -> FileData | None:
    return None if path is None else FileData(path=str(path), orig_name=path.name)
