"""/transcribe and /speak through gradio_client, bad input included."""

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory):
    """Two seconds of a stereo 44.1 kHz tone (converted to 16 kHz mono by the server)."""
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    t = np.arange(2 * 44100) / 44100
    wave = 0.3 * np.sin(2 * np.pi * 220 * t)
    sf.write(str(path), np.stack([wave, wave], axis=1), 44100)
    return str(path)


def test_transcribe_returns_text_segments_and_subtitles(client, speech_wav):
    text, segments, srt, vtt, info = client.predict(
        audio=handle_file(speech_wav),
        model="tiny-asr",
        language="auto",
        task="transcribe",
        timestamps="segment",
        api_name="/transcribe",
    )
    assert isinstance(text, str)
    assert isinstance(segments, list) and all(len(row) == 3 for row in segments)
    assert info["duration_s"] == pytest.approx(2.0) and info["rtf"] > 0 and info["device"] == "CPU"
    if segments:  # a random model may emit no timestamped segment at all
        assert open(srt).read().startswith("1\n00:00:")
        assert open(vtt).read().startswith("WEBVTT\n\n")


def test_transcribe_word_timestamps_and_defaults(client, speech_wav):
    text, _segments, _srt, _vtt, info = client.predict(
        handle_file(speech_wav), "tiny-asr", "fr", "translate", "word", api_name="/transcribe"
    )
    assert isinstance(text, str) and isinstance(info["words"], list)
    assert info["language"] == "fr" and info["task"] == "translate"
    text, segments, srt, vtt, _ = client.predict(
        handle_file(speech_wav), timestamps="none", api_name="/transcribe"
    )
    assert isinstance(text, str) and segments == [] and srt is None and vtt is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(model="tiny-asr-en", language="de"), "English-only"),
        (dict(model="tiny-asr-en", task="translate"), "cannot translate"),
        (dict(model="tiny-tts"), "is a 'tts' model"),
        (dict(language="xx"), "Unknown language 'xx'"),
        (dict(beam_size=17), "beam_size must be between 1 and 16"),
    ],
)
def test_transcribe_bad_options(client, speech_wav, kwargs, message):
    with pytest.raises(AppError) as info:
        client.predict(audio=handle_file(speech_wav), api_name="/transcribe", **kwargs)
    assert message in str(info.value)


def test_transcribe_with_beams(client, speech_wav):
    """beam_size > 1 runs our beam search; 0 is the model's own (greedy unless models.yaml says)."""
    text, segments, _srt, _vtt, info = client.predict(
        handle_file(speech_wav), "tiny-asr", "auto", "transcribe", "segment", 4, api_name="/transcribe"
    )
    assert isinstance(text, str) and isinstance(segments, list) and info["rtf"] > 0
    greedy, *_ = client.predict(handle_file(speech_wav), "tiny-asr", beam_size=1, api_name="/transcribe")
    default, *_ = client.predict(handle_file(speech_wav), "tiny-asr", beam_size=0, api_name="/transcribe")
    assert greedy == default


def test_transcribe_rejects_non_audio_and_silence(client, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not audio")
    with pytest.raises(AppError) as info:
        client.predict(audio=handle_file(str(notes)), api_name="/transcribe")
    assert "not an audio file" in str(info.value) and "text file" in str(info.value)
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(8000, np.float32), 16000)
    with pytest.raises(AppError) as info:
        client.predict(audio=handle_file(str(silent)), api_name="/transcribe")
    assert "silent" in str(info.value)


def test_speak_returns_a_wav(client):
    path = client.predict(
        text="Hello world.",
        model="tiny-tts",
        voice="speaker-a",
        speed=1.0,
        language="en-us",
        api_name="/speak",
    )
    data, rate = sf.read(path)
    assert rate == 16000 and data.ndim == 1 and data.size > 0
    assert sf.info(path).format == "WAV"
    default = client.predict("Hello again.", api_name="/speak")  # every other parameter defaulted
    assert sf.read(default)[0].size > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(text="  "), "The text is empty"),
        (dict(text="Hi.", voice="nobody"), "Unknown voice 'nobody'"),
        (dict(text="Hi.", language="de"), "Language 'de' is not supported"),
        (dict(text="Hi.", speed=1.7), "one speed only"),
        (dict(text="x" * 401), "the limit is 400"),
        (dict(text="Hi.", model="tiny-asr"), "is a 'asr' model"),
    ],
)
def test_speak_bad_input(client, kwargs, message):
    with pytest.raises(AppError) as info:
        client.predict(api_name="/speak", **kwargs)
    assert message in str(info.value)


def test_transcribe_reads_only_uploaded_files(client):
    with pytest.raises(AppError) as info:
        client.predict(audio={"path": "/etc/hostname"}, api_name="/transcribe")
    assert "was not uploaded to this server" in str(info.value)
