"""Real speech models through the API: Kokoro speaks, Whisper base hears it back.

Kokoro-82M (prepared from PyPI packages) -> WAV -> Whisper base: the exact sentence (WER 0), for
the variant models.yaml serves and for each of the recipe's variants (int8, w8a8) through the engine;
espeak-ng's robotic speech -> Whisper base: WER <= 0.25; audio longer than 30 s is transcribed
through (WhisperPipeline's 30 s windows), and the English-only tiny.en refuses other languages.
"""

import shutil
import subprocess

import jiwer
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from openvino_ui.config import parse_config
from openvino_ui.cpu import cpu_family, cpu_flags
from openvino_ui.engines.tts import TTSEngine
from openvino_ui.prepare.recipes import RECIPES

FOX = "The quick brown fox jumps over the lazy dog."
# About 40 s of espeak-ng speech: more than one 30 s window. Varied sentences on purpose: Whisper
# base skips most of a window of the same paragraph repeated (a model behaviour, not the pipeline's).
LONG = (
    "Speech recognition converts spoken language into written text. "
    "This sentence is a little longer so that we can measure the real time factor of the model. "
    "Open source tools make it possible to run these models on an ordinary computer without a network "
    "connection. The weather was cold and windy, so we stayed inside and read books all afternoon. "
    "My grandmother keeps a small garden with tomatoes, beans and yellow flowers. "
    "After dinner, the children played chess while their parents washed the dishes. "
    "The train to the city leaves every morning at seven and arrives an hour later. "
    "Please remember to close the windows before you leave the house. "
    "Scientists study the stars to learn how the universe began."
)

_NORMALISE = jiwer.Compose(
    [jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()]
)


def wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(_NORMALISE(reference), _NORMALISE(hypothesis))


def espeak(text: str, path) -> str:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (apt-get install espeak-ng; bash scripts/setup.sh --test)")
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return str(path)


def transcribe(real_app, wav: str, model: str = "whisper-base", **kwargs):
    return real_app.client.predict(audio=handle_file(wav), model=model, api_name="/transcribe", **kwargs)


def test_kokoro_speaks_and_whisper_hears_it_exactly(real_app, prepared_models):
    prepared_models.require("kokoro-82m", "whisper-base")
    wav = real_app.client.predict(
        text=FOX, model="kokoro-82m", voice="jf_alpha", speed=1.0, language="en-us", api_name="/speak"
    )
    data, rate = sf.read(wav)
    assert rate == 24000 and 2.0 < data.size / rate < 6.0
    text, segments, srt, _vtt, info = transcribe(real_app, wav, language="en", timestamps="segment")
    assert wer(FOX, text) == 0.0, text
    assert segments and open(srt).read().startswith("1\n00:00:00")
    assert info["rtf"] > 0


@pytest.mark.parametrize("variant", RECIPES["kokoro-82m"].formats)
def test_each_kokoro_variant_speaks_so_that_whisper_hears_it_exactly(
    variant, real_app, prepared_models, tmp_path
):
    """int8 (GPU, NPU) and w8a8 (the CPU's, compiled f32 as its folder asks) alike; the variant that
    models.yaml does not serve is built into the bench's cache."""
    from openvino_ui.bench import assets

    prepared_models.require("whisper-base")
    folder = assets.kokoro_model(variant).parent
    text = f"models:\n  k: {{task: tts, path: {folder}, default_voice: jf_alpha, default_language: en-us}}\n"
    spec = parse_config(text, tmp_path / "models.yaml").models["k"]
    engine = TTSEngine("k", spec, properties=spec.properties)
    hint = engine.pipeline_properties("CPU").get("INFERENCE_PRECISION_HINT")
    # w8a8 is compiled f32 everywhere; int8 only on Intel AMX, whose bf16 loses words
    assert hint == ("f32" if variant == "w8a8" or cpu_family(cpu_flags()) == "amx" else None)
    engine.load("CPU")
    try:
        speech = engine.synthesize(FOX)
    finally:
        engine.unload()
    sf.write(tmp_path / "fox.wav", speech.samples, speech.sample_rate)
    heard, *_ = transcribe(real_app, str(tmp_path / "fox.wav"), language="en")
    assert wer(FOX, heard) == 0.0, (variant, heard)
    if variant == "w8a8":  # on AUTO too: the f32 it asks for reaches the CPU as DEVICE_PROPERTIES
        engine.load("AUTO")
        try:
            assert engine.synthesize("Hello there.").duration_s > 0.3
        finally:
            engine.unload()


def test_whisper_base_on_espeak_speech(real_app, prepared_models, tmp_path):
    prepared_models.require("whisper-base")
    text, _segments, _srt, _vtt, info = transcribe(
        real_app, espeak(FOX, tmp_path / "fox.wav"), timestamps="word"
    )
    assert wer(FOX, text) <= 0.25, text
    assert info["language"] == "en"  # detected: no language was given
    words = info["words"]
    assert len(words) >= 6 and all(start <= end for start, end, _ in words)
    assert [w[0] for w in words] == sorted(w[0] for w in words)


def test_audio_longer_than_30_seconds(real_app, prepared_models, tmp_path):
    prepared_models.require("whisper-base")
    wav = espeak(LONG, tmp_path / "long.wav")
    assert sf.info(wav).duration > 32
    text, segments, _srt, _vtt, info = transcribe(real_app, wav, timestamps="segment")
    assert wer(LONG, text) <= 0.25, text
    assert segments[-1][1] > 30.0  # the second window was transcribed too
    assert info["duration_s"] > 32


def test_english_only_model_refuses_other_languages(real_app, prepared_models, tmp_path):
    prepared_models.require("whisper-tiny-en")
    wav = espeak(FOX, tmp_path / "fox.wav")
    with pytest.raises(AppError, match="English-only"):
        transcribe(real_app, wav, model="whisper-tiny-en", language="fr")
    text = transcribe(real_app, wav, model="whisper-tiny-en")[0]
    assert wer(FOX, text) <= 0.25, text


BEAM_CLIPS = {  # clip -> the text it says (bundled recordings, and espeak-ng speech made here)
    "speech-en": "Hello! Welcome to the speech recognition demo.",
    "speech-de": "Guten Tag! Wie geht es Ihnen heute?",
    "fox": FOX,
    "long": LONG,
}


def test_beam_search_is_as_accurate_as_whisper_pipelines(real_app, prepared_models, tmp_path):
    """beam_size 5 through the API (our beam search) against WhisperPipeline's own num_beams 5 on
    the same loaded model: at most 0.03 more word errors on every clip, long audio included
    (tests/engines/test_whisper_beam.py checks word-for-word agreement on the tiny models)."""
    from pathlib import Path

    from openvino_ui.audio import read_audio_file

    prepared_models.require("whisper-base")
    assets = Path(__file__).parents[2] / "assets"
    wavs = {
        "speech-en": str(assets / "speech-en.wav"),
        "speech-de": str(assets / "speech-de.wav"),
        "fox": espeak(FOX, tmp_path / "fox.wav"),
        "long": espeak(LONG, tmp_path / "long.wav"),
    }
    engine = real_app.pool.ready("whisper-base", "asr")
    for name, wav in wavs.items():
        ours, segments, *_ = transcribe(real_app, wav, timestamps="segment", beam_size=5)
        samples = read_audio_file(wav)  # 16 kHz mono, as the service reads it
        with engine.serving() as session:
            pipe = session.pipeline.pipeline
            config = pipe.get_generation_config()
            config.num_beams, config.num_return_sequences, config.return_timestamps = 5, 1, True
            theirs = pipe.generate(samples, config).texts[0]
        reference = BEAM_CLIPS[name]
        assert wer(reference, ours) <= wer(reference, theirs) + 0.03, (name, ours, theirs)
        assert wer(reference, ours) <= 0.25, (name, ours)
        starts = [start for start, _, _ in segments]
        assert segments and starts == sorted(starts), segments
