"""Where Kokoro's English lexicons are: openvino_genai's Text2SpeechPipeline (Kokoro backend)
reads misaki's us/gb gold/silver JSON files from the folder named by MISAKI_DATA_DIR.

`prepare` copies them into the model folder (`<model>/misaki_data/`), so a prepared Kokoro folder
is self-contained; the TTS engine calls `misaki_data_dir(path)` and sets the variable before it
builds the pipeline. Imports nothing heavy (safe on the serving path).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ENV_VAR = "MISAKI_DATA_DIR"
MODEL_SUBDIR = "misaki_data"
_LEXICON = "us_gold.json"


def misaki_data_dir(model_path: Path | str | None = None) -> Path | None:
    """The folder to put in MISAKI_DATA_DIR: the model's own copy, else the installed misaki
    package's data folder (found without importing misaki), else None."""
    if model_path is not None:
        own = Path(model_path) / MODEL_SUBDIR
        if (own / _LEXICON).is_file():
            return own
    spec = importlib.util.find_spec("misaki")
    for location in (spec.submodule_search_locations or []) if spec else []:
        data = Path(location) / "data"
        if (data / _LEXICON).is_file():
            return data
    return None
