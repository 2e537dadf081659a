"""Rebuild the binary example inputs in this folder (the .txt files are written by hand).

    .venv/bin/python assets/make_assets.py

Needs espeak-ng (apt) for the speech clips and the scikit-image wheel's sample photo (read from the
wheel file, not installed): pass its path with --skimage-wheel, or it is looked up in pip's cache.
Everything is deterministic and each file stays far under 300 kB (tests/unit/test_assets.py).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from PIL import Image

HERE = Path(__file__).resolve().parent
RATE = 16000  # Whisper's input rate: the clips need no resampling in the app
SPEECH = {
    # file: (espeak-ng voice, words per minute, text)
    "speech-en.wav": ("en-us", 140, "Hello! Welcome to the speech recognition demo."),
    "speech-de.wav": ("de", 130, "Guten Tag! Wie geht es Ihnen heute?"),
}
COLOURS = {"red.png": (255, 0, 0), "green.png": (0, 255, 0), "blue.png": (0, 0, 255)}
PHOTO = ("cat.jpg", "skimage/data/chelsea.png")


def speech(voice: str, wpm: int, text: str) -> np.ndarray:
    """espeak-ng to a WAV, then 16 kHz mono float32 with 0.3 s of silence either side, peak 0.9."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True)
        samples, rate = sf.read(str(raw), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    resampled = soxr.resample(mono, rate, RATE, quality="HQ")
    pad = np.zeros(int(0.3 * RATE), dtype=np.float32)
    clip = np.concatenate([pad, resampled.astype(np.float32), pad])
    return clip * (0.9 / max(float(np.abs(clip).max()), 1e-6))


def find_skimage_wheel() -> Path:
    candidates = sorted(Path.home().glob(".cache/pip/**/scikit_image-*.whl")) + sorted(
        Path("/opt").glob("pypi*/files/scikit_image-*.whl")
    )
    if not candidates:
        raise SystemExit("no scikit-image wheel found: pip download scikit-image, then --skimage-wheel PATH")
    return candidates[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skimage-wheel", type=Path, help="a scikit_image-*.whl to take the photo from")
    args = parser.parse_args()
    for name, (voice, wpm, text) in SPEECH.items():
        sf.write(str(HERE / name), speech(voice, wpm, text), RATE, subtype="PCM_16")
    for name, rgb in COLOURS.items():
        Image.new("RGB", (256, 256), rgb).save(HERE / name, optimize=True)
    wheel = args.skimage_wheel or find_skimage_wheel()
    with zipfile.ZipFile(wheel) as zf:
        photo = Image.open(io.BytesIO(zf.read(PHOTO[1]))).convert("RGB")
    photo.save(HERE / PHOTO[0], quality=85, optimize=True, progressive=True)
    for path in sorted(HERE.iterdir()):
        print(f"{path.name:24} {path.stat().st_size / 1000:7.1f} kB")


if __name__ == "__main__":
    main()
