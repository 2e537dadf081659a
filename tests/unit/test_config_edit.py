"""config_edit: adding and removing models.yaml entries keeps every other line as it was (comments,
blank lines, order), writes atomically, and a bad edit changes nothing and names every problem."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from openvino_ui import config_edit
from openvino_ui.config import load_config
from openvino_ui.config_edit import add_entry, remove_entry, with_entry, without_entry
from openvino_ui.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

TEXT = """\
# my models: a comment at the top
defaults:
  device: CPU   # an end-of-line comment
  cache_dir: null

models:
  # --- chat ------------------------------------------
  chat-a:
    task: llm
    path: models/chat-a   # where it lives
    # a comment inside the entry
    generation: {max_new_tokens: 64}

  # --- embeddings --------------------------------------
  embed-a:
    task: embedding
    path: models/embed-a
    description: >-
      A folded description
      on two lines.

  bi:
    task: rerank
    method: bi_encoder
    embedding_model: embed-a

  # A commented-out entry at the end:
  # other:
  #   task: llm
"""

NEW = {
    "task": "embedding",
    "path": "models/new-int8",
    "source": {"kind": "pypi", "recipe": "all-minilm-l6-v2", "weight_format": "int8"},
    "description": "added: with a colon # and a hash",
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(TEXT, encoding="utf-8")
    return path


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def test_adding_keeps_every_line_and_appends_the_entry_after_the_last_model(config: Path) -> None:
    loaded = add_entry(config, "new", NEW)
    text = config.read_text(encoding="utf-8")
    old = lines_of(TEXT)
    new = lines_of(text)
    # the old lines are all there, in order; the entry and one blank line before it are new
    inserted_at = new.index("  new:")
    assert new[: inserted_at - 1] + new[inserted_at + 5 :] == old
    assert new[inserted_at - 1] == "" and new[inserted_at - 2] == "    embedding_model: embed-a"
    assert new[inserted_at + 1 : inserted_at + 5] == [
        "    task: embedding",
        "    path: models/new-int8",
        "    source: {kind: pypi, recipe: all-minilm-l6-v2, weight_format: int8}",
        "    description: 'added: with a colon # and a hash'",
    ]
    assert new[-3:] == old[-3:]  # the commented-out entry stays last
    assert list(loaded.models) == ["chat-a", "embed-a", "bi", "new"]
    assert loaded.models["new"].description == NEW["description"]
    assert yaml.safe_load(text)["models"]["new"] == NEW


def test_removing_cuts_only_the_entry_and_keeps_the_comments_around_it(config: Path) -> None:
    loaded = remove_entry(config, "chat-a")
    text = config.read_text(encoding="utf-8")
    assert "chat-a" not in text and "a comment inside the entry" not in text
    # the section comment above it and the next section's comment stay
    assert "  # --- chat ------------------------------------------\n\n  # --- embeddings" in text
    assert text.startswith("# my models: a comment at the top\n")
    assert "  device: CPU   # an end-of-line comment\n" in text
    assert list(loaded.models) == ["embed-a", "bi"]


def test_add_then_remove_gives_back_the_same_bytes(config: Path) -> None:
    add_entry(config, "new", NEW)
    remove_entry(config, "new")
    assert config.read_text(encoding="utf-8") == TEXT


def test_the_repository_models_yaml_round_trips_byte_for_byte() -> None:
    text = (ROOT / "models.yaml").read_text(encoding="utf-8")
    assert without_entry(with_entry(text, "new", NEW), "new") == text
    for name in yaml.safe_load(text)["models"]:
        old, cut = lines_of(text), lines_of(without_entry(text, name))
        start = old.index(f"  {name}:")
        gone = len(old) - len(cut)
        assert old[:start] + old[start + gone :] == cut  # one block of lines went, from the key on
        removed = old[start : start + gone]
        assert all(not line.strip() or line.startswith("    ") for line in removed[1:]), name
        # the comments at the entries' indentation (section headings, commented-out entries) stay
        assert [c for c in old if c.startswith("  #")] == [c for c in cut if c.startswith("  #")]


def test_a_duplicate_name_changes_nothing(config: Path) -> None:
    with pytest.raises(ConfigError, match="model 'embed-a' is there already"):
        add_entry(config, "embed-a", NEW)
    assert config.read_text(encoding="utf-8") == TEXT


def test_an_invalid_entry_changes_nothing_and_names_every_problem(config: Path) -> None:
    bad = {"task": "llm", "path": "models/x", "device": "GPU:bad!", "temperature": 2, "preload": "often"}
    with pytest.raises(ConfigError) as caught:
        add_entry(config, "bad", bad)
    problems = caught.value.problems
    assert any("'device'" in p for p in problems)
    assert any("'temperature'" in p and "unknown key" in p for p in problems)
    assert any("'preload'" in p for p in problems)
    assert all("model 'bad'" in p for p in problems)
    assert config.read_text(encoding="utf-8") == TEXT
    assert not [p for p in config.parent.iterdir() if p.name != "models.yaml"]  # no temporary file left


def test_removing_what_a_reranker_needs_or_what_is_not_there_changes_nothing(config: Path) -> None:
    with pytest.raises(ConfigError, match="'embed-a' is not an embedding model in this file"):
        remove_entry(config, "embed-a")
    with pytest.raises(ConfigError, match="there is no model 'nope'"):
        remove_entry(config, "nope")
    assert config.read_text(encoding="utf-8") == TEXT


def test_removing_the_last_model_leaves_an_empty_mapping_and_adding_fills_it(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("models:   # none yet\n  only:\n    task: llm\n    path: a\n", encoding="utf-8")
    assert remove_entry(path, "only").models == {}
    assert path.read_text(encoding="utf-8") == "models: {}  # none yet\n"
    add_entry(path, "new", NEW)
    assert list(load_config(path).models) == ["new"]
    assert path.read_text(encoding="utf-8").startswith("models:  # none yet\n  new:\n    task: embedding\n")


def test_a_flow_style_models_mapping_is_edited_by_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("# kept\nmodels: {a: {task: llm, path: a}}\n", encoding="utf-8")
    add_entry(path, "new", NEW)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# kept\n") and list(yaml.safe_load(text)["models"]) == ["a", "new"]


def test_the_write_is_atomic_and_keeps_permissions_and_symlinks(tmp_path: Path, monkeypatch) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(TEXT, encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "models.yaml"
    link.symlink_to(real)
    replaced: list[tuple[str, str]] = []
    original = os.replace

    def spy(src: str, dst: str) -> None:
        replaced.append((str(src), str(dst)))
        # the new text is complete in the temporary file before the rename
        assert yaml.safe_load(Path(src).read_text(encoding="utf-8"))["models"]["new"] == NEW
        assert real.read_text(encoding="utf-8") == TEXT
        original(src, dst)

    monkeypatch.setattr(config_edit.os, "replace", spy)
    add_entry(link, "new", NEW)
    assert len(replaced) == 1 and Path(replaced[0][0]).parent == tmp_path
    assert replaced[0][1] == str(real)
    assert link.is_symlink() and (real.stat().st_mode & 0o777) == 0o640
    assert "  new:" in real.read_text(encoding="utf-8")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(config: Path, monkeypatch) -> None:
    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config_edit.os, "replace", broken)
    with pytest.raises(OSError):
        add_entry(config, "new", NEW)
    assert config.read_text(encoding="utf-8") == TEXT
    assert [p.name for p in config.parent.iterdir()] == ["models.yaml"]


def test_crlf_files_stay_crlf(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    shutil.copyfile(ROOT / "models.yaml", path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    add_entry(path, "new", {**NEW, "path": "models/new"})
    data = path.read_bytes()
    assert b"\r\n  new:\r\n    task: embedding\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
