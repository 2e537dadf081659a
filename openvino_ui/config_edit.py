"""Edit models.yaml while the server runs: add one model's entry, remove one, keeping the rest of
the file as it was (its comments, blank lines, order and quoting).

    config = add_entry(path, "my-model", {"task": "llm", "path": "models/my-model-int8", ...})
    config = remove_entry(path, "my-model")

Each edit is checked with config.parse_config before anything is written (a bad entry raises
ConfigError listing every problem and changes nothing), then written atomically (a temporary file
beside it, then os.replace): a reader, or a crash, sees the old file or the new one, never half.

How: ruamel.yaml reads the file round-trip and says on which lines the entries are. A new entry is
rendered by ruamel.yaml and inserted after the last entry; a removed entry's lines are cut out. The
other lines stay byte for byte (a whole-file ruamel dump would move comments: ruamel hangs the
comment above an entry on the end of the entry before it, so deleting that one would take the next
entry's comment with it). Comment lines at the entries' indentation right above or below an entry
are left in place: they may head the next entry or a section. If the file's layout is unusual (a
flow-style `models: {...}`, an empty `models:`), the whole file goes through a ruamel round trip
instead; both ways are checked to yield exactly the wanted data before they are written.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from .config import AppConfig, parse_config
from .errors import ConfigError

# Keys whose mapping value reads best on one line, as models.yaml writes them: source: {kind: ...}.
FLOW_KEYS = ("source", "properties", "generation", "limits")


def add_entry(path: str | Path, name: str, entry: Mapping[str, Any]) -> AppConfig:
    """Add model `name` with `entry` (its keys as in models.yaml) after the last model; returns the
    configuration the file now holds. ConfigError (nothing written): `name` is there already, or the
    file with the entry would not be valid."""
    path = Path(path)
    text = _read(path)
    new = with_entry(text, name, entry, where=str(path))
    config = parse_config(new, path)
    write_atomically(path, new)
    return config


def remove_entry(path: str | Path, name: str) -> AppConfig:
    """Remove model `name`'s entry; returns the configuration the file now holds. ConfigError
    (nothing written): no such model, or the file without it would not be valid (e.g. a bi_encoder
    reranker names it)."""
    path = Path(path)
    text = _read(path)
    new = without_entry(text, name, where=str(path))
    config = parse_config(new, path)
    write_atomically(path, new)
    return config


def check_add(path: str | Path, name: str, entry: Mapping[str, Any]) -> AppConfig:
    """The configuration the file would hold with `entry` added (nothing is written); ConfigError as
    add_entry raises it. Lets a caller prepare the model before the entry is written."""
    path = Path(path)
    return parse_config(with_entry(_read(path), name, entry, where=str(path)), path)


# -- the text edits --------------------------------------------------------------------------------


def with_entry(text: str, name: str, entry: Mapping[str, Any], where: str = "models.yaml") -> str:
    """`text` with model `name` added at the end of its `models:` mapping."""
    document = _load(text, where)
    models = document.get("models")
    if isinstance(models, Mapping) and name in models:
        raise ConfigError([f"{where}: model {name!r} is there already; choose another name"])
    wanted = _plain(text) or {}
    wanted["models"] = {**(wanted.get("models") or {}), name: _plain_value(entry)}
    if _block_mapping(models):
        spliced = _insert_lines(text, document, name, entry)
        if _yields(spliced, wanted):
            return spliced
    elif "models" in document and not models:  # `models:` or `models: {}` with nothing yet
        spliced = _insert_first(text, document, name, entry)
        if _yields(spliced, wanted):
            return spliced
    if not isinstance(models, CommentedMap):
        models = document["models"] = CommentedMap()
    models[name] = _commented(entry)
    return _checked_dump(document, wanted, where)


def without_entry(text: str, name: str, where: str = "models.yaml") -> str:
    """`text` without model `name`'s entry (the last one gone, `models: {}` is left)."""
    document = _load(text, where)
    models = document.get("models")
    if not isinstance(models, Mapping) or name not in models:
        known = ", ".join(map(str, models)) if isinstance(models, Mapping) else ""
        raise ConfigError([f"{where}: there is no model {name!r} (models: {known or 'none'})"])
    wanted = _plain(text) or {}
    del wanted["models"][name]
    if _block_mapping(models):
        spliced = _cut_lines(text, document, name)
        if _yields(spliced, wanted):
            return spliced
    del models[name]
    return _checked_dump(document, wanted, where)


def write_atomically(path: Path, text: str) -> None:
    """Replace the file at `path` (a symlink's target) with `text`: a temporary file in the same
    folder, flushed to disk, then renamed over it. Its permissions are kept."""
    target = Path(os.path.realpath(path))
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- helpers ---------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # newline="": CRLF stays CRLF
            return handle.read()
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read it: {exc.strerror}"]) from None


def _round_trip() -> YAML:
    yaml_rt = YAML()  # round-trip: comments, order, quoting and flow styles are kept
    yaml_rt.width = 4096  # never re-wrap a long line of the user's
    yaml_rt.preserve_quotes = True
    return yaml_rt


def _load(text: str, where: str) -> CommentedMap:
    try:
        document = _round_trip().load(text)
    except Exception as exc:  # ruamel's errors share no base class worth naming
        raise ConfigError([f"{where}: cannot read it as YAML: {exc}"]) from None
    if not isinstance(document, CommentedMap):
        raise ConfigError([f"{where}: expected a mapping with 'models:' (and optionally 'defaults:')"])
    return document


def _plain(text: str) -> dict[str, Any] | None:
    """The data of `text` as plain Python values (None if it is not a YAML mapping), to compare an
    edit with what it should yield."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _yields(text: str, wanted: dict[str, Any]) -> bool:
    """True if `text` holds exactly `wanted`, its models in the same order (an empty `models:` and
    `models: {}` count as the same)."""
    data = _plain(text)
    if data is None:
        return False
    if "models" in data and data["models"] is None:
        data["models"] = {}
    return data == wanted and list(data.get("models") or {}) == list(wanted.get("models") or {})


def _plain_value(value: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(_jsonable(value)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _block_mapping(models: Any) -> bool:
    """True if `models` is a non-empty block-style mapping: one whose entries sit on lines of their own."""
    return isinstance(models, CommentedMap) and len(models) > 0 and not models.fa.flow_style()


def _commented(entry: Mapping[str, Any]) -> CommentedMap:
    """`entry` as ruamel renders it: nested mappings of FLOW_KEYS on one line, the rest as blocks."""
    out = CommentedMap()
    for key, value in entry.items():
        if isinstance(value, Mapping):
            inner = _commented(value)
            if key in FLOW_KEYS:
                inner.fa.set_flow_style()
            out[key] = inner
        else:
            out[key] = _jsonable(value)
    return out


def _checked_dump(document: CommentedMap, wanted: dict[str, Any], where: str) -> str:
    out = io.StringIO()
    _round_trip().dump(document, out)
    text = out.getvalue()
    if not _yields(text, wanted):  # never write what was not asked for
        raise ConfigError([f"{where}: the edit could not be made without changing other entries"])
    return text


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _entry_span(lines: list[str], models: CommentedMap, name: str) -> tuple[int, int, int]:
    """(first, last, end) line indexes of entry `name`: its key is on `first`, its own lines end at
    `last`; lines last+1 .. end-1 are blank lines and comments at the entries' indentation (or less)
    that follow it, which belong to what comes next (a section comment, a commented-out entry)."""
    first, column = models.lc.key(name)
    end = first + 1
    while end < len(lines) and (_is_blank_or_comment(lines[end]) or _indent(lines[end]) > column):
        end += 1
    last = end - 1
    while last > first and (
        not lines[last].strip() or (lines[last].lstrip().startswith("#") and _indent(lines[last]) <= column)
    ):
        last -= 1
    return first, last, end


def _lines(text: str) -> tuple[list[str], str]:
    """The lines of `text` (each ending in its newline) and the newline the file uses."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    return lines, newline


def _rendered(name: str, entry: Mapping[str, Any], column: int, step: int, newline: str) -> list[str]:
    """The lines of entry `name` as ruamel.yaml writes it, its key at `column`, keys `step` deeper."""
    renderer = _round_trip()
    renderer.indent(mapping=step, sequence=step + 2, offset=step)
    out = io.StringIO()
    renderer.dump(CommentedMap([(name, _commented(entry))]), out)
    return [(" " * column + line if line.strip() else "") + newline for line in out.getvalue().splitlines()]


def _insert_lines(text: str, document: CommentedMap, name: str, entry: Mapping[str, Any]) -> str:
    """`text` with the entry inserted after the last entry's own lines, a blank line before it."""
    models = document["models"]
    lines, newline = _lines(text)
    last_name = list(models)[-1]
    _, last, _ = _entry_span(lines, models, last_name)
    column = models.lc.key(last_name)[1]
    block = [newline] + _rendered(name, entry, column, _child_indent(models, column), newline)
    return "".join(lines[: last + 1] + block + lines[last + 1 :])


def _insert_first(text: str, document: CommentedMap, name: str, entry: Mapping[str, Any]) -> str:
    """`text` whose `models:` line had no entry (`models:`, `models: {}`) with the entry under it."""
    lines, newline = _lines(text)
    row, column = document.lc.key("models")
    lines[row] = _key_only(lines[row], column, newline)
    block = _rendered(name, entry, column + 2, 2, newline)
    return "".join(lines[: row + 1] + block + lines[row + 1 :])


def _key_only(line: str, column: int, newline: str, value: str = "") -> str:
    """The `models:` line with `value` after the colon instead of what was there; its comment kept."""
    colon = line.index(":", column)
    rest = line[colon + 1 :].rstrip("\r\n")
    before, hash_mark, comment = rest.partition("#")
    if not before.strip() and not value:
        return line  # nothing to change: `models:` (and maybe a comment)
    tail = f"  #{comment}" if hash_mark else ""
    return line[: colon + 1] + (f" {value}" if value else "") + tail + newline


def _child_indent(models: CommentedMap, column: int) -> int:
    """How far the file indents an entry's keys under its name (2 when no entry shows it)."""
    for value in models.values():
        if isinstance(value, CommentedMap) and len(value) and not value.fa.flow_style():
            return max(1, value.lc.key(next(iter(value)))[1] - column)
    return 2


def _cut_lines(text: str, document: CommentedMap, name: str) -> str:
    """`text` without entry `name`'s own lines, and one of the blank-line separators around them
    (those after it when a blank line also precedes it; those before it at the end of the file).
    Without the last entry, the models line says `models: {}`."""
    models = document["models"]
    lines, newline = _lines(text)
    first, last, end = _entry_span(lines, models, name)
    stop = last + 1
    if first == 0 or not lines[first - 1].strip():
        while stop < end and not lines[stop].strip():
            stop += 1
    if stop == len(lines):  # the file's last entry: the blank lines that set it apart go with it
        while first > 0 and not lines[first - 1].strip():
            first -= 1
    if len(models) == 1:
        row, column = document.lc.key("models")
        lines[row] = _key_only(lines[row], column, newline, "{}")
    return "".join(lines[:first] + lines[stop:])
