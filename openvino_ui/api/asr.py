"""The speech recognition endpoint: transcribe (or translate) an audio file with a Whisper model
(a Gradio adapter over Service.transcribe)."""

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from gradio import FileData

from ..audio import output_dir
from ..service import Service, TranscribeRequest
from ..subtitles import to_srt, to_vtt
from .errors import user_errors
from .uploads import uploaded_file


class ASRAPI:
    def __init__(self, service: Service):
        self.service = service

    @user_errors
    def transcribe(
        self,
        audio: FileData,
        model: str = "",
        language: str = "auto",
        task: Literal["transcribe", "translate"] = "transcribe",
        timestamps: Literal["none", "segment", "word"] = "segment",
        beam_size: int = 0,
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
            beam_size: beams to search, 1 (greedy, the fastest) to 16; 5 is faster-whisper's default and
                often a little more accurate. 0 means the model's own beam_size (models.yaml; 1 unless set).

        Returns:
            (text, segments, srt, vtt, info): the transcript; segments as [[start_s, end_s, text], ...]
            (empty for timestamps="none"); SubRip and WebVTT subtitle files (None without timestamps);
            info {"duration_s", "processing_s", "rtf", "language", "task", "device", "words"}, where rtf is
            processing time / audio duration, language is the code given or else the one Whisper detected,
            and words is [[start_s, end_s, word], ...] for timestamps="word".
        """
        # Only files uploaded to this server are read: a client must not name arbitrary local paths.
        path = uploaded_file(audio, "audio", "speech.wav")
        request = self.service.request(
            TranscribeRequest,
            audio=str(path),
            model=model,
            language=language,
            task=task,
            timestamps=timestamps,
            beam_size=beam_size,
        )
        result = self.service.transcribe(request)
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


def subtitle_files(segments: Sequence[tuple[float, float, str]]) -> tuple[Path | None, Path | None]:
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
