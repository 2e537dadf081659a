"""Local, hub and fixture sources without network or real conversion (hub mocked)."""

import io

import pytest
import yaml

from openvino_ui.config import parse_config
from openvino_ui.prepare import prepare_models, run_in_process
from openvino_ui.prepare.context import BuildContext, Job
from openvino_ui.prepare.errors import HubUnreachable
from openvino_ui.prepare.hf import build_hub, is_openvino_ir


def make_ir(folder, name="openvino_model.xml"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("<net/>")
    (folder / name.replace(".xml", ".bin")).write_bytes(b"\1" * 8)
    return folder


def make_hf(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "qwen2"}')
    (folder / "preprocessor_config.json").write_text("{}")
    return folder


@pytest.fixture
def fake_export(monkeypatch):
    """Replace optimum's export with one that records its arguments and writes a pretend IR."""
    calls = []

    def export(src, dst, task, weight_format=None, *extra):
        calls.append((str(src), task, weight_format))
        make_ir(dst)

    monkeypatch.setattr("openvino_ui.conversion.optimum_cli_export", export)
    return calls


def prepare(tmp_path, models):
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"models": models}, sort_keys=False))
    outcomes = prepare_models(
        parse_config(path.read_text(), path), runner=run_in_process, stream=io.StringIO(), bars=False
    )
    return {o.name: o for o in outcomes}


def test_is_openvino_ir(tmp_path):
    assert not is_openvino_ir(make_hf(tmp_path / "hf"))
    assert is_openvino_ir(make_ir(tmp_path / "llm"))
    assert is_openvino_ir(make_ir(tmp_path / "vlm", "openvino_language_model.xml"))
    assert is_openvino_ir(make_ir(tmp_path / "asr", "openvino_encoder_model.xml"))


def test_local_ir_is_copied_and_hf_folder_converted_with_the_task(tmp_path, fake_export):
    make_ir(tmp_path / "src-ir")
    make_hf(tmp_path / "src-hf")
    outcome = prepare(
        tmp_path,
        {
            "ir": {"task": "llm", "path": "out-ir", "source": {"kind": "local", "path": "src-ir"}},
            "vlm": {
                "task": "vlm",
                "path": "out-vlm",
                "source": {"kind": "local", "path": "src-hf", "weight_format": "int4"},
            },
            "ranker": {"task": "rerank", "path": "out-rr", "source": {"kind": "local", "path": "src-hf"}},
        },
    )
    assert all(o.status == "built" for o in outcome.values()), outcome
    assert (tmp_path / "out-ir" / "openvino_model.bin").read_bytes() == b"\1" * 8
    assert [(task, wf) for _, task, wf in fake_export] == [
        ("image-text-to-text", "int4"),
        ("text-classification", "int8"),
    ]


def test_local_folder_that_is_neither_ir_nor_hf(tmp_path):
    (tmp_path / "junk").mkdir()
    outcome = prepare(
        tmp_path, {"m": {"task": "llm", "path": "out", "source": {"kind": "local", "path": "junk"}}}
    )
    assert "neither OpenVINO IR" in outcome["m"].message


def hub_job(tmp_path, **options):
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir()
    work.mkdir()
    opts = {
        "kind": "hub",
        "repo_id": "OpenVINO/some-model-ov",
        "revision": None,
        "weight_format": "int8",
        "optimum_task": "text-generation-with-past",
        **options,
    }
    return BuildContext(
        Job("chat", "llm", "openvino_ui.prepare.hf:build_hub", opts, str(out), str(work)),
        emit=lambda event: None,
    )


def test_hub_offline_env_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubUnreachable) as info:
        build_hub(hub_job(tmp_path))
    message = str(info.value)
    assert "cannot reach the Hugging Face hub" in message and "HF_HUB_OFFLINE" in message
    assert "use a local or pypi source" in message and "'chat'" in message


@pytest.mark.parametrize("error", [ConnectionError("Name or service not known"), TimeoutError("timed out")])
def test_hub_connection_error_gives_a_clear_message(tmp_path, monkeypatch, error):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    def snapshot_download(**kwargs):
        raise error

    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot_download)
    with pytest.raises(HubUnreachable, match="cannot reach the Hugging Face hub.*use a local or pypi source"):
        build_hub(hub_job(tmp_path))


def test_hub_ir_repository_is_used_as_it_is(tmp_path, monkeypatch, fake_export):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    seen = {}

    def snapshot_download(repo_id, revision, local_dir):
        seen.update(repo_id=repo_id, revision=revision)
        make_ir(tmp_path / "work" / "hub", "openvino_language_model.xml")
        (tmp_path / "work" / "hub" / ".cache").mkdir()
        (tmp_path / "work" / "hub" / ".cache" / "junk").write_text("x")
        return local_dir

    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot_download)
    ctx = hub_job(tmp_path, revision="v1")
    build_hub(ctx)
    assert seen == {"repo_id": "OpenVINO/some-model-ov", "revision": "v1"}
    assert sorted(p.name for p in ctx.out.iterdir()) == [
        "openvino_language_model.bin",
        "openvino_language_model.xml",
    ]
    assert fake_export == []  # not converted


def test_hub_checkpoint_is_converted(tmp_path, monkeypatch, fake_export):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(
        "huggingface_hub.snapshot_download",
        lambda repo_id, revision, local_dir: str(make_hf(tmp_path / "work" / "hub")),
    )
    build_hub(hub_job(tmp_path, weight_format="int4"))
    assert [(task, wf) for _, task, wf in fake_export] == [("text-generation-with-past", "int4")]


def test_hub_source_through_prepare_fails_cleanly_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    outcome = prepare(
        tmp_path, {"m": {"task": "llm", "path": "out", "source": {"kind": "hub", "repo_id": "a/b"}}}
    )
    assert outcome["m"].failed and "cannot reach the Hugging Face hub to download a/b" in outcome["m"].message
    assert not (tmp_path / "out").exists()


def test_fixture_source_copies_the_cached_fixture(tmp_path, monkeypatch):
    cached = make_ir(tmp_path / "cache" / "tiny-llm-abc")
    monkeypatch.setattr("openvino_ui.fixture_cache.fixture_path", lambda name: cached)
    outcome = prepare(
        tmp_path, {"m": {"task": "llm", "path": "out", "source": {"kind": "fixture", "name": "tiny-llm"}}}
    )
    assert outcome["m"].status == "built"
    assert (tmp_path / "out" / "openvino_model.xml").exists()
