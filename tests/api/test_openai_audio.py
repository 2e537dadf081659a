"""POST /v1/audio/transcriptions, /v1/audio/translations and /v1/audio/speech through the official
openai SDK (sync and async) and httpx: every response format, decoded or parsed, and every bad
input with its status and body. The tiny Whisper and SpeechT5 are random: texts are gibberish and
speech is noise, so shapes, types and lengths are checked, not words."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
import soundfile as sf

from openvino_ui.service.audio_formats import speech_formats

# the SDK marks audio.translations deprecated; clients (Open WebUI, scripts) still call it
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

ASSETS = Path(__file__).parents[2] / "assets"
SPEECH = ASSETS / "speech-en.wav"
SPEECH_SECONDS = sf.info(str(SPEECH)).duration


def assert_error(response: httpx.Response, status: int, param: str | None, *words: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param, error
    for word in words:
        assert word in error["message"], error
    return error


def wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    noise = np.random.default_rng(1).uniform(-0.3, 0.3, int(seconds * rate)).astype(np.float32)
    sf.write(buffer, noise, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


SRT_TIME = r"\d\d:\d\d:\d\d,\d\d\d"


def parse_srt(text: str) -> list[tuple[int, float, float, str]]:
    """SubRip blocks as (number, start_s, end_s, text); fails on anything malformed."""

    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        secs, millis = rest.split(",")
        return int(hours) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000

    cues = []
    for block in [b for b in text.strip().split("\n\n") if b.strip()]:
        number, times, *lines = block.split("\n")
        match = re.fullmatch(rf"({SRT_TIME}) --> ({SRT_TIME})", times)
        assert match, block
        assert lines and all(line.strip() for line in lines), block
        cues.append((int(number), seconds(match[1]), seconds(match[2]), " ".join(lines)))
    return cues


# -- transcriptions and translations -----------------------------------------------------------------


def test_transcription_json_and_text(sdk):
    with SPEECH.open("rb") as audio:
        result = sdk.audio.transcriptions.create(model="tiny-asr", file=audio)
    assert isinstance(result.text, str) and result.text
    with SPEECH.open("rb") as audio:
        text = sdk.audio.transcriptions.create(model="tiny-asr", file=audio, response_format="text")
    assert isinstance(text, str) and text == result.text  # greedy decoding: the same words


def test_transcription_json_carries_duration_usage(http):
    body = http.post("audio/transcriptions", files={"file": SPEECH.read_bytes()}, data={"model": "tiny-asr"})
    assert body.status_code == 200 and body.headers["content-type"] == "application/json"
    assert body.json()["usage"] == {"type": "duration", "seconds": int(np.ceil(SPEECH_SECONDS))}


def test_transcription_srt_parses_and_vtt_has_its_header(sdk, http):
    with SPEECH.open("rb") as audio:
        srt = sdk.audio.transcriptions.create(model="tiny-asr", file=audio, response_format="srt")
    cues = parse_srt(srt)
    assert [c[0] for c in cues] == list(range(1, len(cues) + 1))
    assert all(0 <= start <= end for _, start, end, _ in cues)
    response = http.post(
        "audio/transcriptions",
        files={"file": ("speech.wav", SPEECH.read_bytes(), "audio/wav")},
        data={"model": "tiny-asr", "response_format": "vtt"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/vtt")
    assert response.text.startswith("WEBVTT\n")
    srt_response = http.post(
        "audio/transcriptions", files={"file": SPEECH.read_bytes()}, data={"response_format": "srt"}
    )
    assert srt_response.headers["content-type"].startswith("application/x-subrip")


def test_transcription_verbose_json_with_words(sdk):
    with SPEECH.open("rb") as audio:
        result = sdk.audio.transcriptions.create(
            model="tiny-asr",
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            language="en",
        )
    assert result.task == "transcribe" and result.language == "english"
    assert result.duration == pytest.approx(SPEECH_SECONDS, abs=0.01)
    assert isinstance(result.text, str)
    assert isinstance(result.segments, list) and isinstance(result.words, list)
    for i, segment in enumerate(result.segments):
        assert segment.id == i and segment.start <= segment.end and isinstance(segment.text, str)
    for word in result.words:
        assert word.start <= word.end and isinstance(word.word, str)


def test_verbose_json_without_words_has_segments_only(http):
    response = http.post(
        "audio/transcriptions",
        files={"file": SPEECH.read_bytes()},
        data={"model": "tiny-asr", "response_format": "verbose_json"},
    )
    body = response.json()
    assert {"task", "language", "duration", "text", "segments"} <= set(body) and "words" not in body


def test_translation_is_english_text(sdk):
    with SPEECH.open("rb") as audio:
        result = sdk.audio.translations.create(model="tiny-asr", file=audio)
    assert isinstance(result.text, str)
    with SPEECH.open("rb") as audio:
        verbose = sdk.audio.translations.create(model="tiny-asr", file=audio, response_format="verbose_json")
    assert verbose.task == "translate"


def test_translation_with_an_english_only_model_is_refused(sdk, http):
    with SPEECH.open("rb") as audio, pytest.raises(openai.BadRequestError) as info:
        sdk.audio.translations.create(model="tiny-asr-en", file=audio)
    assert info.value.status_code == 400
    response = http.post(
        "audio/translations", files={"file": SPEECH.read_bytes()}, data={"model": "tiny-asr-en"}
    )
    assert_error(response, 400, "model", "English-only", "cannot translate")


def test_prompt_reaches_whisper_and_temperature_is_taken(http):
    def text(**fields: str) -> str:
        response = http.post(
            "audio/transcriptions", files={"file": SPEECH.read_bytes()}, data={"model": "tiny-asr", **fields}
        )
        assert response.status_code == 200, response.text
        return response.json()["text"]

    plain = text()
    # the random model continues from its prompt: a different prompt gives different (greedy) text
    assert text(prompt="Hello there, friend.") != plain
    # a prompt longer than Whisper's 223-token window is cut to its end, not refused
    assert isinstance(text(prompt="hello world " * 300), str)
    assert isinstance(text(temperature="0.6"), str)


def test_beam_size_searches_beams_through_the_sdk_and_the_form(sdk, http):
    """`beam_size` (an extension field): the SDK sends it through extra_body; 1 is greedy."""
    data = SPEECH.read_bytes()
    greedy = sdk.audio.transcriptions.create(
        model="tiny-asr", file=("a.wav", data), extra_body={"beam_size": 1}
    )
    plain = sdk.audio.transcriptions.create(model="tiny-asr", file=("a.wav", data))
    assert greedy.text == plain.text  # the model's beam_size is 1 unless models.yaml says
    beams = sdk.audio.transcriptions.create(
        model="tiny-asr", file=("a.wav", data), response_format="verbose_json", extra_body={"beam_size": 4}
    )
    assert isinstance(beams.text, str) and isinstance(beams.segments, list)
    response = http.post(
        "audio/translations", files={"file": data}, data={"model": "tiny-asr", "beam_size": "3"}
    )
    assert response.status_code == 200, response.text


def test_transcription_async_sdk(app_url):
    async def run() -> list[str]:
        async with openai.AsyncOpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
            data = SPEECH.read_bytes()
            results = await asyncio.gather(
                client.audio.transcriptions.create(model="tiny-asr", file=("a.wav", data)),
                client.audio.translations.create(model="tiny-asr", file=("b.wav", data)),
            )
            return [r.text for r in results]

    texts = asyncio.run(run())
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)


TRANSCRIBE_BAD = [
    ({"model": "tiny-asr", "response_format": "xml"}, 400, "response_format", ["verbose_json"]),
    ({"model": "tiny-asr", "timestamp_granularities[]": "word"}, 400, "timestamp_granularities", ["verbose"]),
    (
        {"model": "tiny-asr", "response_format": "verbose_json", "timestamp_granularities[]": "char"},
        400,
        "timestamp_granularities",
        ["'char'"],
    ),
    ({"model": "tiny-asr", "temperature": "2"}, 400, "temperature", ["between 0 and 1"]),
    ({"model": "tiny-asr", "temperature": "hot"}, 400, "temperature", ["number"]),
    ({"model": "tiny-asr", "language": "xx"}, 400, "language", ["Unknown language"]),
    ({"model": "tiny-asr-en", "language": "fr"}, 400, "language", ["English-only"]),
    ({"model": "tiny-asr", "stream": "true"}, 400, "stream", ["Streaming"]),
    ({"model": "tiny-asr", "chunking_strategy": "auto"}, 400, "chunking_strategy", ["Unsupported"]),
    ({"model": "tiny-tts"}, 400, "model", ["'tts' model"]),
    ({"model": "no-such"}, 404, "model", ["not configured"]),
    ({"model": "tiny-asr", "prompt": "p" * 4001}, 400, "prompt", ["4000"]),
    ({"model": "tiny-asr", "beam_size": "17"}, 400, "beam_size", ["between 1 and 16"]),
    ({"model": "tiny-asr", "beam_size": "2.5"}, 400, "beam_size", ["integer"]),
    ({"model": "tiny-asr", "beam_size": "many"}, 400, "beam_size", ["number"]),
    ({"model": "tiny-asr", "beam_size": "4", "temperature": "0.5"}, 400, "beam_size", ["cannot sample"]),
]


@pytest.mark.parametrize(("fields", "status", "param", "words"), TRANSCRIBE_BAD)
def test_transcription_bad_fields(http, fields, status, param, words):
    response = http.post("audio/transcriptions", files={"file": SPEECH.read_bytes()}, data=fields)
    assert_error(response, status, param, *words)


@pytest.mark.parametrize(
    ("files", "status", "param", "words"),
    [
        (None, 400, "file", ["file is required"]),
        ({"file": ("doc.pdf", b"%PDF-1.4 not audio")}, 400, "file", ["PDF"]),
        ({"file": ("short.wav", wav_bytes(0.05))}, 400, "file", ["at least 0.1 s"]),
        ({"file": ("long.wav", wav_bytes(91))}, 400, "file", ["at most 90 s"]),
        ({"file": ("silent.wav", b"RIFF" + b"\0" * 40)}, 400, "file", []),
    ],
)
def test_transcription_bad_files(http, files, status, param, words):
    data = {"model": "tiny-asr"}
    response = (
        http.post("audio/transcriptions", files=files, data=data)
        if files
        else http.post("audio/transcriptions", data=data)
    )
    assert_error(response, status, param, *words)


def test_transcription_needs_a_form(http):
    response = http.post("audio/transcriptions", json={"model": "tiny-asr", "file": "speech.wav"})
    assert_error(response, 400, None, "multipart/form-data")
    twice = http.post(
        "audio/transcriptions",
        files=[
            ("file", ("a.wav", SPEECH.read_bytes())),
            ("model", (None, "tiny-asr")),
            ("model", (None, "x")),
        ],
    )
    assert_error(twice, 400, "model", "more than once")


def test_translation_refuses_transcription_only_fields(http):
    response = http.post(
        "audio/translations",
        files={"file": SPEECH.read_bytes()},
        data={"model": "tiny-asr", "timestamp_granularities[]": "word"},
    )
    assert_error(response, 400, "timestamp_granularities[]", "Unsupported")


# -- speech ---------------------------------------------------------------------------------------

SPEECH_TEXT = "Hello world. This is a test."


@pytest.mark.parametrize(("fmt", "container"), [("wav", "WAV"), ("flac", "FLAC")])
def test_speech_decodes_with_soundfile(sdk, fmt, container):
    response = sdk.audio.speech.create(
        model="tiny-tts", voice="default", input=SPEECH_TEXT, response_format=fmt
    )
    assert response.response.headers["content-type"] == f"audio/{fmt}"
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert sf.info(io.BytesIO(response.content)).format == container
    assert rate == 16000 and samples.ndim == 1 and samples.size > 0 and np.isfinite(samples).all()


def test_speech_pcm_is_raw_16_bit_at_the_model_rate(http):
    body = {"model": "tiny-tts", "input": SPEECH_TEXT, "voice": "default"}
    wav = http.post("audio/speech", json={**body, "response_format": "wav"})
    pcm = http.post("audio/speech", json={**body, "response_format": "pcm"})
    assert pcm.status_code == 200 and pcm.headers["content-type"] == "audio/pcm"
    assert pcm.headers["x-sample-rate"] == "16000"
    frames = sf.info(io.BytesIO(wav.content)).frames
    assert len(pcm.content) == 2 * frames  # the same speech (deterministic), two bytes a sample
    from_wav, _ = sf.read(io.BytesIO(wav.content), dtype="int16")
    assert np.array_equal(np.frombuffer(pcm.content, dtype="<i2"), from_wav)


@pytest.mark.parametrize("fmt", ["mp3", "opus"])
def test_speech_mp3_and_opus_where_libsndfile_writes_them(http, fmt):
    response = http.post(
        "audio/speech", json={"model": "tiny-tts", "input": SPEECH_TEXT, "response_format": fmt}
    )
    if fmt not in speech_formats():
        assert_error(response, 400, "response_format", "cannot write it")
        return
    assert response.status_code == 200
    assert response.headers["content-type"] == {"mp3": "audio/mpeg", "opus": "audio/ogg; codecs=opus"}[fmt]
    samples, _ = sf.read(io.BytesIO(response.content), dtype="float32")
    assert samples.size > 0


def test_speech_default_format_is_mp3_where_possible(http):
    response = http.post("audio/speech", json={"model": "tiny-tts", "input": SPEECH_TEXT})
    assert response.status_code == 200
    expected = "audio/mpeg" if "mp3" in speech_formats() else "audio/wav"
    assert response.headers["content-type"] == expected


def test_speech_async_sdk(app_url):
    async def run() -> bytes:
        async with openai.AsyncOpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
            response = await client.audio.speech.create(
                model="tiny-tts", voice="speaker-a", input=SPEECH_TEXT, response_format="wav", speed=1.0
            )
            return response.content

    samples, rate = sf.read(io.BytesIO(asyncio.run(run())))
    assert rate == 16000 and samples.size > 0


@pytest.mark.parametrize(
    ("body", "status", "param", "words"),
    [
        ({"input": ""}, 400, "input", ["empty"]),
        ({}, 400, "input", ["empty"]),
        ({"input": "x" * 401}, 400, "input", ["401 characters", "400"]),
        ({"input": 5}, 400, "input", ["string"]),
        ({"input": "hi", "voice": "alloy"}, 400, "voice", ["Unknown voice 'alloy'", "speaker-a"]),
        ({"input": "hi", "speed": 1.5}, 400, "speed", ["one speed"]),
        ({"input": "hi", "speed": "fast"}, 400, "speed", ["number"]),
        ({"input": "hi", "response_format": "aac"}, 400, "response_format", ["cannot write it", "wav"]),
        ({"input": "hi", "response_format": "ogg"}, 400, "response_format", ["wav, pcm"]),
        ({"input": "hi", "language": "xx"}, 400, "language", ["'xx'"]),
        ({"input": "hi", "instructions": "cheerful"}, 400, "instructions", ["Unsupported"]),
        ({"input": "hi", "stream_format": "sse"}, 400, "stream_format", ["'audio'"]),
        ({"input": "hi", "model": "tiny-asr"}, 400, "model", ["'asr' model"]),
        ({"input": "hi", "model": "no-such"}, 404, "model", ["not configured"]),
    ],
)
def test_speech_bad_input(http, body, status, param, words):
    assert_error(http.post("audio/speech", json={"model": "tiny-tts", **body}), status, param, *words)


def test_speech_bad_input_through_the_sdk(sdk):
    with pytest.raises(openai.BadRequestError) as info:
        sdk.audio.speech.create(model="tiny-tts", voice="alloy", input="hi")
    assert info.value.status_code == 400 and "Unknown voice" in info.value.message
