"""Kokoro's English lexicons in the model folder: openvino_genai's Text2SpeechPipeline (Kokoro
backend) reads misaki's us/gb gold/silver JSON files from the folder named by MISAKI_DATA_DIR.

`prepare` puts them into the model folder (`<model>/misaki_data/`), so a prepared Kokoro folder is
self-contained: the TTS engine reads them only from there (engines/tts.py, MISAKI_SUBDIR) and never
imports this module. The kokoro-82m recipe copies them from the pinned `misaki` wheel; a Kokoro
folder from elsewhere (a hub or local source, or a folder without source) gets them from the
installed `misaki` package (`add_misaki_data`). Imports nothing heavy.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

MODEL_SUBDIR = "misaki_data"  # the same name as engines/tts.py's MISAKI_SUBDIR
LEXICONS = ("us_gold.json", "us_silver.json", "gb_gold.json", "gb_silver.json")


def installed_misaki_data() -> Path | None:
    """The installed misaki package's data folder (found without importing misaki), or None."""
    spec = importlib.util.find_spec("misaki")
    for location in (spec.submodule_search_locations or []) if spec else []:
        data = Path(location) / "data"
        if (data / LEXICONS[0]).is_file():
            return data
    return None


def is_kokoro_folder(folder: Path) -> bool:
    """A Kokoro model folder holds a hexgrad-style config.json (with 'istftnet' or 'plbert')."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and (
        "istftnet" in config or "plbert" in config or config.get("model_type") == "kokoro"
    )


def has_misaki_data(folder: Path) -> bool:
    return (Path(folder) / MODEL_SUBDIR / LEXICONS[0]).is_file()


def add_misaki_data(folder: Path, source: Path | None = None) -> bool:
    """Copy misaki's lexicons into `folder`/misaki_data unless they are there; from `source` (a
    folder holding them) or the installed misaki package. False when there is nothing to copy."""
    if has_misaki_data(folder):
        return True
    source = source or installed_misaki_data()
    if source is None:
        return False
    target = Path(folder) / MODEL_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    for name in LEXICONS:
        if (Path(source) / name).is_file():
            shutil.copyfile(Path(source) / name, target / name)
    return has_misaki_data(folder)
