"""OpenAI's audio API over the speech service:

* POST /v1/audio/transcriptions and /v1/audio/translations (multipart): `file`, `model`, `language`
  (transcriptions; translations take it as a hint), `prompt` (Whisper's initial prompt),
  `response_format` json | text | srt | vtt | verbose_json, `temperature` (0 to 1), and for
  transcriptions `timestamp_granularities[]` segment | word (with verbose_json); `beam_size` (an
  extension, as faster-whisper servers take it: 1 to 16 beams; absent: the model's beam_size).
  Translations write English and need a multilingual model.
* POST /v1/audio/speech (JSON): `model`, `input`, `voice`, `speed`, `response_format` (wav, flac,
  pcm; mp3 and opus where libsndfile writes them), `language` (an extension: the model's text front
  end). pcm is raw 16-bit little-endian mono at the model's rate (header X-Sample-Rate).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from ...errors import InvalidInput, describe
from ...languages import WHISPER_LANGUAGES
from ...service import Service, SpeakRequest, TranscribeRequest
from ...service.audio_formats import check_speech_format, default_speech_format, encode_speech
from ...service.validation import choice
from ...subtitles import to_srt, to_vtt
from ..settings import RestSettings
from .body import LIST_FIELDS, form_number, form_text, json_call, multipart_form, respond_to

TRANSLATE_FIELDS = ("file", "model", "language", "prompt", "response_format", "temperature", "beam_size")
TRANSCRIBE_FIELDS = (*TRANSLATE_FIELDS, "stream", *LIST_FIELDS)
TEXT_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
GRANULARITIES = ("segment", "word")
SPEECH_FIELDS = ("model", "input", "voice", "speed", "response_format", "language", "stream_format")
ASR_RENAME = {"audio": "file", "timestamps": "timestamp_granularities"}
TTS_RENAME = {"text": "input"}
SUBTITLE_TYPES = {"srt": "application/x-subrip; charset=utf-8", "vtt": "text/vtt"}


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(prefix="/audio", tags=["audio"])

    @api.post("/transcriptions")
    async def transcriptions(request: Request) -> Response:
        """Transcribe the speech in `file` with an `asr` (Whisper) model."""
        return await respond_to(lambda: _recognize(service, request, "transcribe"), ASR_RENAME)

    @api.post("/translations")
    async def translations(request: Request) -> Response:
        """Translate the speech in `file` into English text (a multilingual Whisper model)."""
        return await respond_to(lambda: _recognize(service, request, "translate"), ASR_RENAME)

    @api.post("/speech")
    async def speech(request: Request) -> Response:
        """Speak `input` with a `tts` model; the audio file in the body."""

        return await json_call(request, SPEECH_FIELDS, _speak, service, TTS_RENAME)

    return api


# -- speech recognition ----------------------------------------------------------------------------


async def _recognize(service: Service, request: Request, task: str) -> Response:
    known = TRANSCRIBE_FIELDS if task == "transcribe" else TRANSLATE_FIELDS
    form = await multipart_form(request, known)
    try:
        return await _recognize_form(service, form, task)
    finally:
        await form.close()


async def _recognize_form(service: Service, form: FormData, task: str) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("file is required: the audio as a multipart file part.", param="file")
    response_format = choice(form_text(form, "response_format") or "json", "response_format", TEXT_FORMATS)
    words = _wants_words(form, response_format)
    stream = (form_text(form, "stream") or "false").strip().lower()
    if stream not in ("false", "0", ""):
        raise InvalidInput("Streaming transcription is not supported; leave stream out.", param="stream")
    if response_format == "verbose_json":
        timestamps = "word" if words else "segment"
    else:
        timestamps = "segment" if response_format in SUBTITLE_TYPES else "none"
    temperature = form_number(form, "temperature")
    beam_size = form_number(form, "beam_size")
    values: dict[str, Any] = {
        "model": form_text(form, "model"),
        "language": form_text(form, "language"),
        "prompt": form_text(form, "prompt"),
        "temperature": 0.0 if temperature is None else temperature,
        "beam_size": beam_size,
        "task": task,
        "timestamps": timestamps,
    }
    audio = await upload.read()
    return await run_in_threadpool(_transcribe, service, audio, values, response_format, words)


def _wants_words(form: FormData, response_format: str) -> bool:
    granularities: list[Any] = [g for key in LIST_FIELDS for g in form.getlist(key)]
    for value in granularities:
        if value not in GRANULARITIES:
            raise InvalidInput(
                f"timestamp_granularities must hold 'segment' and/or 'word'; got {describe(value)}.",
                param="timestamp_granularities",
            )
    if granularities and response_format != "verbose_json":
        raise InvalidInput(
            "timestamp_granularities needs response_format 'verbose_json'.", param="timestamp_granularities"
        )
    return "word" in granularities


def _transcribe(
    service: Service, audio: bytes, values: dict[str, Any], response_format: str, words: bool
) -> Response:
    request = service.request(TranscribeRequest, audio=audio, **values)
    result = service.transcribe(request)
    if response_format == "text":
        return PlainTextResponse(result.text)
    if response_format in SUBTITLE_TYPES:
        text = to_srt(result.segments) if response_format == "srt" else to_vtt(result.segments)
        return PlainTextResponse(text, media_type=SUBTITLE_TYPES[response_format])
    usage = {"type": "duration", "seconds": math.ceil(result.duration_s)}
    if response_format == "json":
        return JSONResponse({"text": result.text, "usage": usage})
    body: dict[str, Any] = {
        "task": result.task,
        "language": _language_name(service, request, result.language),
        "duration": round(result.duration_s, 3),
        "text": result.text,
        "segments": [
            {
                "id": i,
                "seek": int(round(start * 100)),  # in 10 ms frames, as Whisper counts
                "start": start,
                "end": end,
                "text": text,
                "temperature": request.temperature,
            }
            for i, (start, end, text) in enumerate(result.segments)
        ],
    }
    if words:
        body["words"] = [{"word": text, "start": start, "end": end} for start, end, text in result.words]
    body["usage"] = usage
    return JSONResponse(body)


def _language_name(service: Service, request: TranscribeRequest, code: str | None) -> str:
    """The language as OpenAI names it in verbose_json: lowercase English ("english", "german")."""
    if not code:
        multilingual = service.asr_options(request.model).multilingual
        return "unknown" if multilingual else "english"
    return WHISPER_LANGUAGES.get(code, code).lower()


# -- speech synthesis ------------------------------------------------------------------------------


def _speak(service: Service, body: dict[str, Any]) -> Response:
    response_format = check_speech_format(body.get("response_format") or default_speech_format())
    stream_format = body.get("stream_format")
    if stream_format not in (None, "audio"):
        raise InvalidInput(
            f"stream_format must be 'audio' (the file in the body); got {describe(stream_format)}.",
            param="stream_format",
        )
    speed = body.get("speed")
    request = service.request(
        SpeakRequest,
        model=body.get("model"),
        text=body.get("input"),
        voice=body.get("voice"),
        speed=1.0 if speed is None else speed,
        language=body.get("language"),
    )
    speech = service.speak(request)
    encoded = encode_speech(speech.samples, speech.sample_rate, response_format)
    headers = {"Content-Disposition": f'inline; filename="speech.{response_format}"'}
    headers["X-Sample-Rate"] = str(encoded.sample_rate)
    return Response(encoded.data, media_type=encoded.media_type, headers=headers)
