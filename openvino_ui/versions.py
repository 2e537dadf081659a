"""Numbered model versions in OpenVINO Model Server's layout: a model's folder holds `1/`, `2/`, ...
each an OpenVINO IR folder of its own, and `version: latest | N` in models.yaml picks one.

A folder with IR files directly in it (no numbered subfolders holding IR) is unversioned and used as
it is, so every existing models.yaml keeps working.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InvalidInput

LATEST = "latest"


def list_versions(folder: Path | None) -> list[int]:
    """The version numbers under `folder` that hold an OpenVINO IR (`*.xml`), ascending; [] when it
    is unversioned or missing."""
    if folder is None or not Path(folder).is_dir():
        return []
    found = []
    for child in Path(folder).iterdir():
        if child.is_dir() and child.name.isdigit() and int(child.name) > 0 and any(child.glob("*.xml")):
            found.append(int(child.name))
    return sorted(found)


def resolve_version(folder: Path | None, wanted: int | str | None) -> tuple[Path | None, int | None]:
    """The IR folder to load for `wanted` (a number, "latest" or None) and its version number.

    Unversioned folders resolve to themselves (version None) when `wanted` is "latest" or None; a
    number asked of them, or one that is not there, raises InvalidInput naming those that are.
    """
    versions = list_versions(folder)
    if wanted in (None, LATEST):
        if not versions:
            return folder, None
        return Path(folder) / str(versions[-1]), versions[-1]  # type: ignore[arg-type]
    number = int(wanted)
    if number not in versions:
        there = ", ".join(map(str, versions)) if versions else "none (the folder is not versioned)"
        raise InvalidInput(
            f"Version {number} is not in {folder}; its versions: {there}. Versions are numbered "
            "folders (1/, 2/, ...) each holding an OpenVINO IR, as in OpenVINO Model Server.",
            param="version",
        )
    return Path(folder) / str(number), number  # type: ignore[arg-type]
