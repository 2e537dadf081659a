"""The example inputs shipped in `assets/` (speech clips, images, texts) and what each tab offers from
them, so that a first visit gets a result in every tab with one click. No gradio here: the tabs turn
these lists into `gr.Examples`.

`assets/` sits beside the `openvino_ui` package in a checkout (also under `pip install -e .` and
`python app.py`); OPENVINO_UI_ASSETS points elsewhere. Without the folder the tabs offer no examples.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

ASSETS_ENV = "OPENVINO_UI_ASSETS"
MAX_ASSET_BYTES = 300_000

# The speech clips: file -> (label shown on the example, what is said, its language).
SPEECH = {
    "speech-en.wav": ("English", "Hello! Welcome to the speech recognition demo.", "en"),
    "speech-de.wav": ("German (Deutsch)", "Guten Tag! Wie geht es Ihnen heute?", "de"),
}
# The images and the question each example asks. The solid colours are what the offline demo model
# (tiny-vlm) can name; the photo is for real vision-language models.
COLOUR_QUESTION = "What color is this?"
IMAGES = {
    "red.png": COLOUR_QUESTION,
    "green.png": COLOUR_QUESTION,
    "blue.png": COLOUR_QUESTION,
    "cat.jpg": "Describe this picture in one sentence.",
}
CHAT_PROMPTS = "chat-prompts.txt"
TTS_SENTENCES = "tts-sentences.txt"
EMBEDDING_TEXTS = "embedding-texts.txt"
RERANK_QUERY = "rerank-query.txt"
RERANK_DOCUMENTS = "rerank-documents.txt"
TEXT_FILES = (CHAT_PROMPTS, TTS_SENTENCES, EMBEDDING_TEXTS, RERANK_QUERY, RERANK_DOCUMENTS)
# Every file the app uses from assets/ (README.md and make_assets.py only document and rebuild them).
FILES = (*SPEECH, *IMAGES, *TEXT_FILES)


def assets_dir() -> Path:
    """The assets folder: $OPENVINO_UI_ASSETS, else `assets/` beside the package."""
    override = os.environ.get(ASSETS_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[1] / "assets"


def asset(name: str) -> Path:
    return assets_dir() / name


def available() -> bool:
    """True when every example file is there; otherwise the tabs offer no examples (logged once)."""
    missing = [name for name in FILES if not asset(name).is_file()]
    if missing and not getattr(available, "_warned", False):
        available._warned = True  # type: ignore[attr-defined]
        log.warning("example inputs missing from %s: %s; the tabs offer none", assets_dir(), missing)
    return not missing


def lines(name: str) -> list[str]:
    """The non-empty lines of a text asset."""
    text = asset(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def chat_examples() -> list[str]:
    """Prompts for the Chat tab."""
    return lines(CHAT_PROMPTS) if available() else []


def tts_examples() -> list[str]:
    """Sentences for the Text to speech tab."""
    return lines(TTS_SENTENCES) if available() else []


def asr_examples() -> list[tuple[str, str]]:
    """(path of a speech clip, its label) for the Speech recognition tab; transcribed with the
    language on auto-detect."""
    if not available():
        return []
    return [(str(asset(name)), label) for name, (label, _, _) in SPEECH.items()]


def vision_examples() -> list[tuple[str, str]]:
    """(path of an image, question) for the Vision tab."""
    if not available():
        return []
    return [(str(asset(name)), question) for name, question in IMAGES.items()]


def embedding_examples() -> list[str]:
    """The Embeddings tab's example: texts, one per line, in one string."""
    return ["\n".join(lines(EMBEDDING_TEXTS))] if available() else []


def rerank_examples() -> list[tuple[str, str]]:
    """(query, documents one per line) for the Reranking tab."""
    if not available():
        return []
    return [(lines(RERANK_QUERY)[0], "\n".join(lines(RERANK_DOCUMENTS)))]
