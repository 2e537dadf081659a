"""Audio input conversion (soundfile + soxr), bad-input errors, WAV output and click-free joining."""

import numpy as np
import pytest
import soundfile as sf

from openvino_ui.audio import (
    WHISPER_RATE,
    join_pieces,
    load_audio,
    prepare_samples,
    read_audio_file,
    to_float32,
    write_wav,
)
from openvino_ui.errors import InvalidInput


def tone(rate: int, seconds: float = 1.0, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    wave = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return wave if channels == 1 else np.stack([wave] * channels, axis=1)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize(
    ("rate", "channels", "fmt", "subtype"),
    [
        (16000, 1, "WAV", "PCM_16"),
        (8000, 1, "WAV", "PCM_16"),
        (44100, 2, "WAV", "PCM_24"),
        (48000, 2, "FLAC", "PCM_16"),
        (22050, 1, "OGG", "VORBIS"),
        (24000, 1, "WAV", "FLOAT"),
        (32000, 2, "MP3", "MPEG_LAYER_III"),
    ],
)
def test_any_file_becomes_16k_mono_float32(tmp_path, rate, channels, fmt, subtype):
    path = tmp_path / f"tone.{fmt.lower()}"
    sf.write(str(path), tone(rate, 1.0, 440.0, channels), rate, format=fmt, subtype=subtype)
    out = read_audio_file(path)
    assert out.dtype == np.float32 and out.ndim == 1
    # one second at 16 kHz (mp3 adds encoder padding of a few ms)
    assert abs(out.size - WHISPER_RATE) <= 0.1 * WHISPER_RATE
    assert abs(dominant_hz(out, WHISPER_RATE) - 440.0) < 5.0  # the pitch survives resampling
    assert 0.3 < np.abs(out).max() <= 1.0


def test_resampling_is_band_limited(tmp_path):
    # 7.5 kHz at 48 kHz is above the 8 kHz Nyquist limit of 16 kHz after mixing with 1 kHz: soxr must
    # remove the 9 kHz tone instead of folding it back to 7 kHz.
    rate = 48000
    samples = tone(rate, 1.0, 1000.0) + tone(rate, 1.0, 9000.0)
    out = prepare_samples(samples, rate)
    spectrum = np.abs(np.fft.rfft(out))
    freqs = np.fft.rfftfreq(out.size, 1 / WHISPER_RATE)
    alias = spectrum[(freqs > 6900) & (freqs < 7100)].max()
    assert alias < 0.01 * spectrum.max()


def test_microphone_tuple_int16_stereo():
    data = (tone(44100, 0.5, 300.0, channels=2) * 32767).astype(np.int16)
    out = load_audio((44100, data))
    assert out.dtype == np.float32 and out.ndim == 1
    assert out.size == 8000
    assert abs(dominant_hz(out, WHISPER_RATE) - 300.0) < 5.0


def test_file_data_dict_and_object(tmp_path):
    from gradio import FileData

    path = tmp_path / "a.wav"
    sf.write(str(path), tone(16000, 0.25), 16000)
    assert load_audio({"path": str(path), "meta": {"_type": "gradio.FileData"}}).size == 4000
    assert load_audio(FileData(path=str(path))).size == 4000


def test_int_conversion_range():
    assert to_float32(np.array([-32768, 0, 16384], np.int16)).tolist() == [-1.0, 0.0, 0.5]
    assert to_float32(np.array([0, 128, 255], np.uint8))[1] == 0.0


@pytest.mark.parametrize("source", [None, "", "  "])
def test_no_audio(source):
    with pytest.raises(InvalidInput, match="No audio"):
        load_audio(source)


def test_empty_recording():
    with pytest.raises(InvalidInput, match="no audio samples"):
        load_audio((16000, np.zeros(0, np.int16)))


def test_silent_file(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(16000, np.float32), 16000)
    with pytest.raises(InvalidInput, match="silent"):
        read_audio_file(path)


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("notes.txt", b"hello, this is not audio\n", "text file"),
        ("scan.pdf", b"%PDF-1.7\n...", "PDF document"),
        ("photo.wav", b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        ("data.bin", bytes(range(256)) * 4, "BIN file"),
    ],
)
def test_not_audio_names_the_file_type(tmp_path, name, content, what):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match="not an audio file") as info:
        read_audio_file(path)
    assert name in str(info.value) and what in str(info.value)


def test_too_long_is_refused_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(str(path), tone(8000, 5.0), 8000)
    with pytest.raises(InvalidInput, match=r"lasts 5\.0 s.*at most 4 s"):
        read_audio_file(path, max_seconds=4)
    with pytest.raises(InvalidInput, match="at most 1 s"):
        load_audio((8000, tone(8000, 2.0)), max_seconds=1)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        read_audio_file(tmp_path / "nope.wav")


def test_write_wav_roundtrip():
    samples = tone(24000, 0.5)
    path = write_wav(samples, 24000)
    data, rate = sf.read(str(path), dtype="float32")
    assert rate == 24000 and data.shape == samples.shape
    assert sf.info(str(path)).subtype == "PCM_16"
    assert np.abs(data - samples).max() < 1e-3


def test_join_pieces_fades_to_zero_and_inserts_gaps():
    rate = 16000
    loud = np.ones(1600, np.float32) * 0.8  # a DC block: a raw cut would click
    joined = join_pieces([loud, loud, loud], rate, gap_s=0.1, fade_s=0.01)
    assert joined.size == 3 * 1600 + 2 * 1600
    gap = joined[1600:3200]
    assert np.all(gap == 0)
    assert joined[0] == 0 and joined[1599] == 0 and joined[3200] == 0  # every join meets at zero
    # no jump larger than the fade's slope anywhere
    assert np.abs(np.diff(joined)).max() <= 0.8 / 159 + 1e-6
    assert join_pieces([], rate).size == 0
    assert join_pieces([np.zeros(0), loud], rate).size == 1600


def test_a_one_sample_file_is_refused_with_the_minimum(tmp_path):
    # Whisper's feature extractor needs a few 400-sample windows; one sample made it fail (n_fft)
    path = tmp_path / "one.wav"
    sf.write(str(path), np.array([0.5], np.float32), 16000)
    with pytest.raises(InvalidInput, match=r"The audio is 6\.25e-05 s long; send at least 0\.1 s"):
        read_audio_file(path)
    with pytest.raises(InvalidInput, match=r"is 0\.05 s long; send at least 0\.1 s"):
        load_audio((16000, tone(16000, 0.05)))
    assert load_audio((16000, tone(16000, 0.1))).size == 1600  # the minimum itself is accepted


def test_sample_rate_must_be_an_integer_not_a_bool():
    with pytest.raises(InvalidInput, match="sample rate"):
        load_audio((True, tone(16000, 0.5)))
    with pytest.raises(InvalidInput, match="sample rate") as info:
        load_audio(("9" * 10_000, tone(16000, 0.5)))
    assert len(str(info.value)) < 200


def test_a_long_file_name_is_not_echoed_whole(tmp_path):
    path = tmp_path / ("n" * 200 + ".txt")
    path.write_text("not audio")
    with pytest.raises(InvalidInput, match="not an audio file") as info:
        read_audio_file(path)
    assert "…" in str(info.value) and len(str(info.value)) < 300
