"""The atomic build folder and the marker: never a half-written model, stale folders replaced."""

import errno
import os

import pytest

from openvino_ui.prepare.atomic import folder_size, is_up_to_date, read_marker, staged, write_marker
from openvino_ui.prepare.errors import DiskFull


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_success_renames_into_place_and_removes_scratch(tmp_path):
    final = tmp_path / "models" / "m"
    with staged(final, "m") as stage:
        assert stage.out.parent.parent == final.parent  # beside the final folder: a rename, not a copy
        (stage.out / "openvino_model.xml").write_text("<net/>")
        (stage.work / "big.bin").write_bytes(b"x" * 1000)
        assert not final.exists()  # nothing visible until the build is complete
    assert (final / "openvino_model.xml").read_text() == "<net/>"
    assert leftovers(final.parent) == []


def test_failure_leaves_no_folder(tmp_path):
    final = tmp_path / "m"
    with pytest.raises(RuntimeError), staged(final, "m") as stage:
        (stage.out / "openvino_model.xml").write_text("<half")
        raise RuntimeError("crash")
    assert not final.exists()
    assert leftovers(tmp_path) == []


def test_existing_folder_is_replaced_whole(tmp_path):
    final = tmp_path / "m"
    final.mkdir()
    (final / "old-only.txt").write_text("stale")
    with staged(final, "m") as stage:
        (stage.out / "new.txt").write_text("fresh")
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == []


def test_failure_keeps_the_previous_model(tmp_path):
    final = tmp_path / "m"
    final.mkdir()
    (final / "openvino_model.xml").write_text("<good/>")
    with pytest.raises(ValueError), staged(final, "m"):
        raise ValueError("conversion failed")
    assert (final / "openvino_model.xml").read_text() == "<good/>"


def test_disk_full_is_named_and_cleaned_up(tmp_path):
    final = tmp_path / "m"
    with pytest.raises(DiskFull) as info, staged(final, "my-model") as stage:
        (stage.out / "part.bin").write_bytes(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert "my-model" in str(info.value) and "no space left" in str(info.value)
    assert "Free some space" in str(info.value)
    assert leftovers(tmp_path) == [] and not final.exists()


def test_stale_partial_of_a_dead_process_is_removed(tmp_path):
    dead = tmp_path / ".m.partial-999999999"
    dead.mkdir()
    mine = tmp_path / f".m.partial-{os.getppid()}"  # a live process (pytest's parent): kept
    mine.mkdir()
    with staged(tmp_path / "m", "m") as stage:
        (stage.out / "x.xml").write_text("<net/>")
    assert not dead.exists() and mine.exists()


def test_marker_round_trip_and_fingerprint_comparison(tmp_path):
    fingerprint = {"source": {"kind": "pypi", "recipe": "r", "weight_format": "int8"}, "recipe_version": 1}
    assert read_marker(tmp_path) is None
    write_marker(tmp_path, fingerprint, seconds=1.234)
    marker = read_marker(tmp_path)
    assert marker["fingerprint"] == fingerprint and marker["seconds"] == 1.2
    assert is_up_to_date(tmp_path, fingerprint)
    assert not is_up_to_date(tmp_path, {**fingerprint, "recipe_version": 2})
    (tmp_path / "openvino_ui_prepared.json").write_text("{broken")
    assert read_marker(tmp_path) is None and not is_up_to_date(tmp_path, fingerprint)


def test_folder_size(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"x" * 5)
    assert folder_size(tmp_path) == 15
    assert folder_size(tmp_path / "missing") == 0
