"""Properties a prepared folder asks of its device (openvino_ui.model_properties): read per device
kind, applied by every engine under models.yaml's own properties, an unreadable file a clear error;
and w8a8, which needs a calibration set, refused for sources converted by optimum-intel."""

from __future__ import annotations

from pathlib import Path

import pytest

from openvino_ui.config import parse_config
from openvino_ui.errors import ConfigError
from openvino_ui.model_properties import FILE, model_properties, write_model_properties

from .fakes import fake_pool

F32 = {"CPU": {"INFERENCE_PRECISION_HINT": "f32"}}


def test_a_physical_device_gets_its_kinds_properties_and_a_virtual_one_none(tmp_path: Path) -> None:
    write_model_properties(tmp_path, F32, "bf16 breaks it")
    assert model_properties(tmp_path, "CPU") == {"INFERENCE_PRECISION_HINT": "f32"}
    assert model_properties(tmp_path, "cpu") == {"INFERENCE_PRECISION_HINT": "f32"}
    assert model_properties(tmp_path, "GPU.1") == {}
    # a virtual device hands them to the devices it compiles on
    assert model_properties(tmp_path, "AUTO:GPU,CPU") == {"DEVICE_PROPERTIES": F32}
    assert model_properties(tmp_path, "HETERO:CPU") == {"DEVICE_PROPERTIES": F32}
    assert model_properties(tmp_path, "AUTO") == {"DEVICE_PROPERTIES": F32}
    assert model_properties(tmp_path / "nothing-here", "CPU") == {}
    assert model_properties(None, "CPU") == {}


def test_a_cpu_family_key_adds_its_properties_on_that_kind_of_cpu_only(tmp_path: Path) -> None:
    # Kokoro's int8 variant: bf16 everywhere but on Intel AMX, where it must be f32
    asks = {"CPU": {"NUM_STREAMS": 1}, "CPU/amx": {"INFERENCE_PRECISION_HINT": "f32"}, "GPU": {"X": 1}}
    write_model_properties(tmp_path, asks, "AMX's bf16 loses words")
    on_amx = {"NUM_STREAMS": 1, "INFERENCE_PRECISION_HINT": "f32"}
    assert model_properties(tmp_path, "CPU", family="amx") == on_amx
    assert model_properties(tmp_path, "CPU", family="avx512_bf16") == {"NUM_STREAMS": 1}
    assert model_properties(tmp_path, "GPU", family="amx") == {"X": 1}
    # a virtual device never sees the family key (OpenVINO knows no device "CPU/amx")
    assert model_properties(tmp_path, "AUTO", family="amx") == {
        "DEVICE_PROPERTIES": {"CPU": on_amx, "GPU": {"X": 1}}
    }
    write_model_properties(tmp_path, {"CPU/amx": {"INFERENCE_PRECISION_HINT": "f32"}}, "only there")
    assert model_properties(tmp_path, "CPU", family="avx2") == {}
    assert model_properties(tmp_path, "AUTO", family="avx2") == {}
    assert model_properties(tmp_path, "HETERO:CPU", family="amx") == {
        "DEVICE_PROPERTIES": {"CPU": {"INFERENCE_PRECISION_HINT": "f32"}}
    }


def test_without_a_family_the_machines_own_decides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openvino_ui import model_properties as module

    write_model_properties(tmp_path, {"CPU/amx": {"INFERENCE_PRECISION_HINT": "f32"}}, "only there")
    monkeypatch.setattr(module, "cpu_flags", lambda: {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
    assert model_properties(tmp_path, "CPU") == {"INFERENCE_PRECISION_HINT": "f32"}
    monkeypatch.setattr(module, "cpu_flags", lambda: {"avx2", "fma"})
    assert model_properties(tmp_path, "CPU") == {}


def test_an_unreadable_file_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text("{not json")
    with pytest.raises(RuntimeError, match="prepare --force"):
        model_properties(tmp_path, "CPU")


def test_engines_apply_the_folders_properties_under_the_models_yaml_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("asks", "overrides"):
        (tmp_path / name).mkdir()
        write_model_properties(tmp_path / name, F32, "bf16 breaks it")
    yaml_text = (
        f"models:\n  asks: {{task: tts, path: {tmp_path / 'asks'}}}\n"
        f"  overrides: {{task: tts, path: {tmp_path / 'overrides'}, "
        "properties: {INFERENCE_PRECISION_HINT: bf16}}\n"
        f"  plain: {{task: tts, path: {tmp_path}}}\n"
    )
    pool = fake_pool(yaml_text)
    assert pool.get("asks").pipeline_properties("CPU")["INFERENCE_PRECISION_HINT"] == "f32"
    assert "INFERENCE_PRECISION_HINT" not in pool.get("asks").pipeline_properties("GPU")
    with caplog.at_level("WARNING"):
        assert pool.get("overrides").pipeline_properties("CPU")["INFERENCE_PRECISION_HINT"] == "bf16"
    assert (
        "overrides: models.yaml's INFERENCE_PRECISION_HINT=bf16 overrides what the model folder "
        in caplog.text
    )
    assert "asks (INFERENCE_PRECISION_HINT=f32)" in caplog.text
    assert "INFERENCE_PRECISION_HINT" not in pool.get("plain").pipeline_properties("CPU")


@pytest.mark.parametrize(
    "source",
    ["{kind: local, path: /m, weight_format: w8a8}", "{kind: hub, repo_id: a/b, weight_format: w8a8}"],
)
def test_w8a8_is_refused_where_optimum_would_convert(source: str, tmp_path: Path) -> None:
    text = f"models:\n  m: {{task: tts, path: x, source: {source}}}\n"
    with pytest.raises(ConfigError, match="calibration set, which only the pypi recipes kokoro-82m"):
        parse_config(text, tmp_path / "models.yaml")


def test_w8a8_is_accepted_from_the_recipe_that_makes_it(tmp_path: Path) -> None:
    text = (
        "models:\n  k: {task: tts, path: x, source: {kind: pypi, recipe: kokoro-82m, weight_format: w8a8}}\n"
    )
    spec = parse_config(text, tmp_path / "models.yaml").models["k"]
    assert spec.source.weight_format == "w8a8"
