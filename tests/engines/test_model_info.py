"""model_info on the tiny fixture models: each IR's inputs and outputs, the weight format (of the
fixtures, and of small IRs written here in fp32, fp16, int8 and int4), the compiled properties of a
loaded model (once per load) and the numbered versions of a folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openvino_ui import model_files
from openvino_ui.config import parse_config
from openvino_ui.engines.compiled_properties import PROPERTIES, compiled_properties
from openvino_ui.errors import ModelNotFound
from openvino_ui.fixtures import fixture_path
from openvino_ui.pool import EnginePool
from openvino_ui.service import Service


def service_for(yaml_models: str, where: Path) -> Service:
    return Service(EnginePool(parse_config(f"models:\n{yaml_models}", where / "models.yaml")))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """tiny-llm, tiny-embedding, the bi-encoder reranker on it, a missing folder, and a folder
    with versions 1/ and 2/ (links to the embedding fixture)."""
    where = tmp_path_factory.mktemp("model-info")
    versioned = where / "versioned"
    for number in ("1", "2"):
        (versioned / number).parent.mkdir(exist_ok=True)
        os.symlink(fixture_path("tiny-embedding"), versioned / number, target_is_directory=True)
    models = (
        f"  chat: {{task: llm, path: '{fixture_path('tiny-llm')}'}}\n"
        f"  embed: {{task: embedding, path: '{fixture_path('tiny-embedding')}'}}\n"
        "  bi: {task: rerank, method: bi_encoder, embedding_model: embed}\n"
        f"  missing: {{task: embedding, path: '{where / 'nothing-here'}'}}\n"
        f"  versioned: {{task: embedding, path: '{versioned}'}}\n"
    )
    built = service_for(models, where)
    yield built
    built.pool.close()


def ports(ir: model_files.IRInfo, direction: str) -> dict[str, model_files.PortInfo]:
    return {port.name: port for port in (ir.inputs if direction == "in" else ir.outputs)}


def test_every_ir_of_an_llm_with_its_inputs_and_outputs(service: Service) -> None:
    details = service.model_info("chat")
    irs = {ir.file: ir for ir in details.irs}
    assert set(irs) == {"openvino_model.xml", "openvino_tokenizer.xml", "openvino_detokenizer.xml"}
    assert [irs[f].kind for f in sorted(irs)] == ["detokenizer", "model", "tokenizer"]
    assert all(ir.error is None for ir in irs.values())  # tokenizer IRs read with the extension
    inputs = ports(irs["openvino_model.xml"], "in")
    assert list(inputs) == ["input_ids", "attention_mask", "position_ids", "beam_idx"]
    ids = inputs["input_ids"]
    assert (ids.element_type, ids.shape, ids.dims, ids.layout) == ("i64", "[?,?]", (-1, -1), None)
    assert inputs["beam_idx"].dims == (-1,) and inputs["beam_idx"].element_type == "i32"
    logits = ports(irs["openvino_model.xml"], "out")["logits"]
    assert logits.element_type == "f32" and logits.dims[:2] == (-1, -1) and logits.dims[2] > 0
    assert logits.shape == f"[?,?,{logits.dims[2]}]"
    text_in = irs["openvino_tokenizer.xml"].inputs[0]
    assert text_in.element_type == "string" and text_in.dims == (-1,)
    assert {"input_ids", "attention_mask"} <= set(ports(irs["openvino_tokenizer.xml"], "out"))


def test_weight_format_and_sizes_of_a_fixture(service: Service) -> None:
    details = service.model_info("chat")
    irs = {ir.file: ir for ir in details.irs}
    assert details.weight_format == "fp32"
    assert set(details.weight_bytes) == {"fp32"} and details.weight_bytes["fp32"] > 100_000
    assert irs["openvino_model.xml"].weight_format == "fp32"
    assert irs["openvino_tokenizer.xml"].weight_bytes == {}  # vocabularies are not weights
    folder = fixture_path("tiny-llm")
    assert details.disk_bytes == sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert irs["openvino_model.xml"].bin_bytes == (folder / "openvino_model.bin").stat().st_size


def write_ir(path: Path, kind: str) -> Path:
    """A small IR (one 64x64 matmul) with its weights in `kind`: fp32, fp16, int8 or int4 (the
    low-bit ones with fp32 scales, as NNCF writes them); layouts set on its input and output."""
    import openvino as ov
    from openvino import opset13 as ops

    features = ops.parameter([-1, 64], ov.Type.f32, name="features")
    features.set_layout(ov.Layout("NC"))
    if kind in ("fp32", "fp16"):
        weights = ops.constant(np.full((64, 64), 0.5, np.float32))
    else:
        packed = ov.op.Constant(ov.Type.u8 if kind == "int8" else ov.Type.u4, ov.Shape([64, 64]), [1] * 4096)
        scales = ops.constant(np.full((64, 1), 0.1, np.float32))
        weights = ops.multiply(ops.convert(packed, ov.Type.f32), scales)
    scores = ops.matmul(features, weights, False, True)
    scores.output(0).get_tensor().set_names({"scores"})
    result = ops.result(scores)
    result.set_layout(ov.Layout("NC"))
    ov.save_model(ov.Model([result], [features], kind), path, compress_to_fp16=kind == "fp16")
    return path


@pytest.mark.parametrize(
    ("kind", "split"),
    [
        ("fp32", {"fp32": 16384}),
        ("fp16", {"fp16": 8192}),
        ("int8", {"int8": 4096, "fp32": 256}),
        ("int4", {"int4": 2048, "fp32": 256}),
    ],
)
def test_weight_format_is_read_from_the_constants(tmp_path: Path, kind: str, split: dict[str, int]) -> None:
    ir = model_files.inspect_ir(write_ir(tmp_path / "openvino_model.xml", kind))
    assert ir.error is None and ir.weight_bytes == split and ir.weight_format == kind
    assert ir.inputs[0].layout == "[N,C]" and ir.outputs[0].layout == "[N,C]"
    assert (ir.inputs[0].name, ir.outputs[0].name) == ("features", "scores")


def test_an_ir_is_read_again_only_when_it_changes(tmp_path: Path) -> None:
    xml = write_ir(tmp_path / "openvino_model.xml", "fp32")
    first = model_files.inspect_ir(xml)
    assert model_files.inspect_ir(xml) is first  # cached
    write_ir(xml, "int8")
    os.utime(xml, ns=(xml.stat().st_atime_ns, xml.stat().st_mtime_ns + 10**9))  # a later mtime for sure
    again = model_files.inspect_ir(xml)
    assert again is not first and again.weight_format == "int8"


def test_an_unreadable_ir_says_why_and_the_others_still_show(tmp_path: Path) -> None:
    write_ir(tmp_path / "openvino_model.xml", "fp16")
    (tmp_path / "openvino_broken.xml").write_text("<net>not finished")
    irs = {ir.file: ir for ir in model_files.inspect_folder(tmp_path)}
    assert irs["openvino_broken.xml"].error and irs["openvino_broken.xml"].inputs == ()
    assert irs["openvino_model.xml"].error is None and irs["openvino_model.xml"].weight_format == "fp16"


def test_the_main_ir_of_each_kind_of_folder() -> None:
    assert model_files.main_ir(fixture_path("tiny-llm")).name == "openvino_model.xml"
    assert model_files.main_ir(fixture_path("tiny-vlm")).name == "openvino_language_model.xml"
    assert model_files.main_ir(fixture_path("tiny-whisper")).name == "openvino_decoder_model.xml"  # largest
    assert model_files.main_ir(None) is None


def test_compiled_properties_only_while_loaded_and_once_per_load(service: Service) -> None:
    service.unload("chat")
    before = service.model_info("chat")
    assert before.status == "unloaded" and before.compiled.values == {}
    assert "load the model" in (before.compiled.reason or "")
    service.load("chat")
    details = service.model_info("chat")
    compiled = details.compiled
    assert compiled.reason is None and compiled.ir == "openvino_model.xml" and compiled.device == "CPU"
    values = compiled.values
    assert values["PERFORMANCE_HINT"] in ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
    assert isinstance(values["NUM_STREAMS"], int) and values["NUM_STREAMS"] >= 1
    assert values["INFERENCE_PRECISION_HINT"] in ("f32", "bf16", "f16")
    assert values["KV_CACHE_PRECISION"] in ("f32", "bf16", "f16", "u8", "u4", "i8")
    assert isinstance(values["INFERENCE_NUM_THREADS"], int) and values["INFERENCE_NUM_THREADS"] >= 1
    assert isinstance(values["DYNAMIC_QUANTIZATION_GROUP_SIZE"], int)
    assert service.model_info("chat").compiled is compiled  # cached for this load
    assert details.memory_bytes is None or details.memory_bytes >= 0


class RefusingCore:
    """A core whose compiled model knows every property but KV_CACHE_PRECISION; or, with
    `fail`, one that cannot compile at all."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.compiled = 0

    def compile_model(self, model: str, device: str, properties: dict[str, Any]) -> Any:
        self.compiled += 1
        if self.fail:
            raise RuntimeError("Exception from src/plugin.cpp:1:\nthe device needs static shapes")

        class Compiled:
            def get_property(self, name: str) -> Any:
                if name == "KV_CACHE_PRECISION":
                    raise RuntimeError("Unsupported property KV_CACHE_PRECISION")
                return 1

        return Compiled()


def test_a_property_the_plugin_lacks_or_a_failed_compile_never_fails_the_call(tmp_path: Path) -> None:
    folder = fixture_path("tiny-embedding")
    models = f"  a: {{task: embedding, path: '{folder}'}}\n  b: {{task: embedding, path: '{folder}'}}\n"
    own = service_for(models, tmp_path)
    try:
        engine = own.pool.ready("a")
        core = RefusingCore()
        partial = compiled_properties(engine, core)
        assert partial.reason is None and partial.missing == ("KV_CACHE_PRECISION",)
        assert set(partial.values) == set(PROPERTIES) - {"KV_CACHE_PRECISION"}
        assert compiled_properties(engine, core) is partial and core.compiled == 1
        failed = compiled_properties(own.pool.ready("b"), RefusingCore(fail=True))
        assert failed.values == {} and failed.reason is not None
        assert "static shapes" in failed.reason and "openvino_model.xml" in failed.reason
    finally:
        own.pool.close()


def test_versions_of_a_versioned_folder(service: Service, tmp_path_factory: pytest.TempPathFactory) -> None:
    details = service.model_info("versioned")
    assert details.versions == (1, 2) and details.version == 2
    assert details.model_dir is not None and Path(details.model_dir).name == "2"
    assert details.versions_dir is not None and Path(details.model_dir).parent == Path(details.versions_dir)
    assert details.weight_format == "fp32" and details.irs
    plain = service.model_info("embed")
    assert plain.versions == () and plain.version is None and plain.model_dir == plain.versions_dir


def test_a_bi_encoder_points_at_its_embedding_model(service: Service) -> None:
    details = service.model_info("bi")
    assert details.irs == () and details.weight_format is None and details.model_dir is None
    assert details.note is not None and "'embed'" in details.note and "no IR of its own" in details.note
    assert details.compiled.values == {} and details.compiled.reason


def test_a_missing_folder_says_how_to_fix_it(service: Service) -> None:
    details = service.model_info("missing")
    assert details.irs == () and details.disk_bytes == 0
    assert details.note is not None and "openvino-ui prepare missing" in details.note


def test_an_unknown_model_is_model_not_found(service: Service) -> None:
    with pytest.raises(ModelNotFound, match="chat"):
        service.model_info("no-such-model")


def test_the_dict_has_no_path_key_gradio_would_take_for_a_file(service: Service) -> None:
    def keys(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert "path" not in set(keys(service.model_info("chat").as_dict()))
