"""The registry and cache of the fixtures: tiny models built locally in seconds (the tests' models
and the offline vision demo), cached, built atomically. A neutral module: the fixture builders
(openvino_ui/fixtures) and `prepare` (which copies a fixture for a `{kind: fixture}` source) both
use it, and neither imports the other.

Building needs the `convert` extra (torch, transformers, optimum-intel) and runs in a subprocess
(`python -m openvino_ui.fixtures NAME OUT_DIR`) so that the caller never imports torch.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

# fixture name -> "module:function" that writes an OpenVINO model folder into its argument.
BUILDERS: dict[str, str] = {
    "tiny-llm": "openvino_ui.fixtures.text:build_llm",
    "tiny-whisper": "openvino_ui.fixtures.audio:build_whisper",
    "tiny-whisper-en": "openvino_ui.fixtures.audio:build_whisper_en",
    "tiny-speecht5": "openvino_ui.fixtures.audio:build_speecht5",
    "tiny-vlm": "openvino_ui.fixtures.vision:build_vlm",
    "tiny-embedding": "openvino_ui.fixtures.retrieval:build_embedding",
    "tiny-reranker": "openvino_ui.fixtures.retrieval:build_reranker",
}

_VERSIONED = ("torch", "transformers", "optimum-intel", "openvino", "openvino-tokenizers", "tokenizers")


def cache_root() -> Path:
    """Where built fixtures live: $OPENVINO_UI_FIXTURES, else ~/.cache/openvino-ui/fixtures."""
    env = os.environ.get("OPENVINO_UI_FIXTURES")
    return Path(env) if env else Path.home() / ".cache" / "openvino-ui" / "fixtures"


def cache_key(name: str) -> str:
    """Changes whenever the builder's code (its module, the fixtures' shared code, the conversion
    helpers) or a package that shapes the output changes."""
    module = BUILDERS[name].partition(":")[0]
    package = Path(__file__).parent
    digest = hashlib.sha256(name.encode())
    for source in sorted((package / "fixtures").glob("*.py")):
        if source.stem in ("__main__", "common", module.rsplit(".", 1)[-1]):
            digest.update(source.read_bytes())
    digest.update((package / "conversion.py").read_bytes())
    for package in _VERSIONED:
        try:
            digest.update(f"{package}={importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package}=absent".encode())
    return digest.hexdigest()[:12]


def fixture_path(name: str, root: Path | None = None) -> Path:
    """The folder of fixture `name`, building it first if it is not cached yet."""
    if name not in BUILDERS:
        raise KeyError(f"unknown fixture {name!r}; known: {', '.join(sorted(BUILDERS))}")
    root = Path(root) if root else cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{name}-{cache_key(name)}"
    if final.is_dir():
        return final
    with open(root / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per fixture, even across processes
        if final.is_dir():
            return final
        build_into(name, final)
    return final


def build_into(name: str, final: Path) -> None:
    """Build fixture `name` in a temporary folder beside `final`, then rename it into place."""
    tmp = final.with_name(f".tmp-{final.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-m", "openvino_ui.fixtures", name, str(tmp)],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise RuntimeError(f"building fixture {name!r} failed:\n{output}")
    try:
        os.replace(tmp, final)
    except OSError:
        if not final.is_dir():
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # someone else finished the same build first
