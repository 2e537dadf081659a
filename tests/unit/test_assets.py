"""The example inputs in assets/: every file is there and small, each is documented, and every example a
tab offers points at a file that exists (and is what the tab expects)."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from openvino_ui import examples

ASSETS = Path(__file__).parents[2] / "assets"


def test_assets_folder_is_the_one_at_the_top_of_the_checkout(monkeypatch):
    monkeypatch.delenv(examples.ASSETS_ENV, raising=False)
    assert examples.assets_dir() == ASSETS.resolve()
    assert examples.available()


@pytest.mark.parametrize("name", examples.FILES)
def test_every_asset_exists_and_is_small(name):
    path = ASSETS / name
    assert path.is_file(), f"{name} is missing from assets/"
    assert 0 < path.stat().st_size < examples.MAX_ASSET_BYTES, f"{name} is {path.stat().st_size} bytes"


def test_every_file_in_the_folder_is_small_and_documented():
    readme = (ASSETS / "README.md").read_text(encoding="utf-8")
    for path in ASSETS.iterdir():
        if path.is_dir() or path.name.startswith("."):  # __pycache__ of make_assets.py and the like
            continue
        assert path.stat().st_size < examples.MAX_ASSET_BYTES, path.name
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, f"{path.name} has no line in assets/README.md"


@pytest.mark.parametrize("name", list(examples.SPEECH))
def test_speech_clips_are_16_khz_mono_speech(name):
    samples, rate = sf.read(str(ASSETS / name), dtype="float32", always_2d=True)
    assert rate == 16000 and samples.shape[1] == 1
    assert 1.0 < len(samples) / rate < 10.0
    assert float(np.abs(samples).max()) > 0.1  # not silence


def test_colour_images_are_solid():
    for name, rgb in {"red.png": (255, 0, 0), "green.png": (0, 255, 0), "blue.png": (0, 0, 255)}.items():
        with Image.open(ASSETS / name) as image:
            assert image.convert("RGB").getextrema() == tuple((c, c) for c in rgb), name


def test_the_photo_is_a_real_colour_photo():
    with Image.open(ASSETS / "cat.jpg") as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert min(image.size) >= 200
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 1000


def test_every_tab_references_existing_files():
    offered = {
        "chat": examples.chat_examples(),
        "tts": examples.tts_examples(),
        "asr": examples.asr_examples(),
        "vision": examples.vision_examples(),
        "embeddings": examples.embedding_examples(),
        "rerank": examples.rerank_examples(),
    }
    assert all(offered.values()), {tab: bool(rows) for tab, rows in offered.items()}
    for path, label in offered["asr"]:
        assert Path(path).is_file() and label
    assert {Path(p).name for p, _ in offered["asr"]} == {"speech-en.wav", "speech-de.wav"}
    for path, question in offered["vision"]:
        assert Path(path).is_file() and question.strip()
    assert {Path(p).name for p, _ in offered["vision"]} >= {"red.png", "green.png", "blue.png", "cat.jpg"}
    # the first Chat prompt and the colour question are what the tiny test models answer
    assert offered["chat"][0] == "What is the capital of France?"
    assert offered["vision"][0][1] == "What color is this?"
    (texts,) = offered["embeddings"]
    assert len(texts.splitlines()) >= 3
    ((query, documents),) = offered["rerank"]
    assert query.strip() and len(documents.splitlines()) >= 3


def test_without_the_folder_the_tabs_offer_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(examples.ASSETS_ENV, str(tmp_path))
    monkeypatch.setattr(examples.available, "_warned", True, raising=False)
    assert not examples.available()
    assert examples.chat_examples() == [] and examples.vision_examples() == []
    assert examples.asr_examples() == [] and examples.rerank_examples() == []
