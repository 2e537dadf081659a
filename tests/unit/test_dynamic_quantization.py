"""The per-machine choice of DYNAMIC_QUANTIZATION_GROUP_SIZE for int8 LLMs: when it applies, how the
probe's times decide it, that it is measured once and then read from the cache file, and that the
probe itself runs OpenVINO and times every candidate."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import openvino as ov
import pytest
from openvino import opset13 as ops

from openvino_ui import dynamic_quantization as dq


def _times(one_row: dict[str, float], eight_rows: dict[str, float]) -> dict[str, dict[str, float]]:
    return {c: {"1": one_row[c], "8": eight_rows[c]} for c in one_row}


# The real model on the second AVX-512 BF16 EPYC kind (ms of one step, 1 and 8 rows' worth).
HERE = _times({"32": 13.0, "256": 11.7, "0": 11.3}, {"32": 15.6, "256": 14.7, "0": 21.6})
DEFAULT_WINS = _times({"32": 10.0, "256": 11.0, "0": 12.0}, {"32": 12.0, "256": 13.0, "0": 18.0})


@pytest.mark.parametrize(
    ("one_row", "eight_rows", "expected"),
    [
        # the second AVX-512 BF16 EPYC (2026-12-02): 256 wins on the geometric mean; off alone would
        # have been fastest for one user and cost eight users 38 %
        ({"32": 13.0, "256": 11.7, "0": 11.3}, {"32": 15.6, "256": 14.7, "0": 21.6}, 256),
        # off faster at both row counts
        ({"32": 13.0, "256": 12.9, "0": 10.0}, {"32": 15.0, "256": 15.0, "0": 12.0}, 0),
        # the default already the fastest
        ({"32": 10.0, "256": 11.0, "0": 12.0}, {"32": 12.0, "256": 13.0, "0": 18.0}, 32),
        # a winner by less than MARGIN is noise: the default stays
        ({"32": 10.0, "256": 9.9, "0": 12.0}, {"32": 12.0, "256": 11.9, "0": 18.0}, 32),
    ],
)
def test_the_geometric_mean_over_one_and_eight_rows_decides(one_row, eight_rows, expected) -> None:
    assert dq.decide(_times(one_row, eight_rows)) == expected


def test_a_pipeline_that_serves_one_request_at_a_time_goes_by_one_row() -> None:
    choice = dq.Choice(HERE, "now")
    assert choice.group_size(batched=True) == 256
    assert choice.group_size(batched=False) == 0, "off decodes a lone request fastest here"
    assert dq.Choice(DEFAULT_WINS, "now").group_size(batched=False) == dq.DEFAULT


def _save(tmp_path: Path, name: str, weights: np.ndarray) -> Path:
    x = ops.parameter([-1, 8], np.float32, name="x")
    w = ops.convert(ops.constant(weights), "f32")
    xml = tmp_path / name / "openvino_model.xml"
    ov.save_model(ov.Model([ops.matmul(x, w, False, True)], [x]), str(xml), compress_to_fp16=False)
    return xml


def test_only_int8_weights_count_as_int8(tmp_path: Path) -> None:
    assert dq.weights_are_int8(_save(tmp_path, "int8", np.ones((4, 8), np.uint8)))
    assert dq.weights_are_int8(_save(tmp_path, "sint8", np.ones((4, 8), np.int8)))
    assert not dq.weights_are_int8(_save(tmp_path, "fp32", np.ones((4, 8), np.float32)))
    int4 = tmp_path / "int4" / "openvino_model.xml"
    x = ops.parameter([-1, 8], np.float32, name="x")
    w4 = ops.convert(ops.constant(ov.Tensor(np.zeros((4, 4), np.uint8), [4, 8], ov.Type.u4)), "f32")
    w8 = ops.convert(ops.constant(np.ones((8, 4), np.uint8)), "f32")
    ov.save_model(ov.Model([ops.matmul(ops.matmul(x, w4, False, True), w8, False, True)], [x]), str(int4))
    assert not dq.weights_are_int8(int4), "a model with 4-bit weights keeps OpenVINO's default"
    assert not dq.weights_are_int8(tmp_path / "missing.xml")


@pytest.fixture
def int8_xml(tmp_path: Path) -> Path:
    return _save(tmp_path, "int8", np.ones((4, 8), np.uint8))


def _choose(monkeypatch: pytest.MonkeyPatch, times: dict[str, dict[str, float]]) -> list[int]:
    asked: list[int] = []

    def chosen(threads: int) -> dq.Choice:
        asked.append(threads)
        return dq.Choice(times, "now")

    monkeypatch.setattr(dq, "chosen", chosen)
    return asked


def test_an_int8_llm_on_the_cpu_gets_the_measured_group_size(monkeypatch, int8_xml: Path) -> None:
    asked = _choose(monkeypatch, HERE)
    assert dq.properties_for(int8_xml, "CPU", {"INFERENCE_NUM_THREADS": 2}) == {
        "INFERENCE_NUM_THREADS": 2,
        dq.KEY: 256,
    }
    assert asked == [2], "the probe measures at the threads the pipeline will use"
    assert dq.properties_for(int8_xml, "CPU", {}, batched=False) == {dq.KEY: 0}


def test_nothing_is_added_where_it_does_not_apply(monkeypatch, int8_xml: Path, tmp_path: Path) -> None:
    asked = _choose(monkeypatch, HERE)
    fp32 = _save(tmp_path, "fp32", np.ones((4, 8), np.float32))
    assert dq.properties_for(int8_xml, "GPU", {}) == {}
    assert dq.properties_for(int8_xml, "AUTO", {}) == {}
    assert dq.properties_for(int8_xml, "CPU", {dq.KEY: 64}) == {dq.KEY: 64}, "models.yaml's choice stands"
    assert dq.properties_for(fp32, "CPU", {}) == {}
    assert dq.properties_for(None, "CPU", {}) == {}
    assert asked == []
    _choose(monkeypatch, DEFAULT_WINS)
    assert dq.properties_for(int8_xml, "CPU", {}) == {}, "the default is not written out"


def test_a_failing_probe_leaves_the_properties_as_they_are(monkeypatch, int8_xml: Path, caplog) -> None:
    def broken(threads: int) -> dq.Choice:
        raise RuntimeError("no CPU plugin")

    monkeypatch.setattr(dq, "chosen", broken)
    with caplog.at_level(logging.WARNING, logger=dq.__name__):
        assert dq.properties_for(int8_xml, "CPU", {"X": 1}) == {"X": 1}
    assert "probe failed (no CPU plugin)" in caplog.text


def test_the_probe_runs_once_per_machine_and_is_then_read_from_the_cache(monkeypatch, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "dq.json"
    monkeypatch.setenv(dq.CACHE_ENV, str(cache))
    monkeypatch.setattr(dq, "_chosen", {})
    runs: list[int] = []

    def probe(threads: int) -> dict[str, dict[str, float]]:
        runs.append(threads)
        return HERE

    monkeypatch.setattr(dq, "probe", probe)
    assert dq.chosen(2).group_size() == 256
    assert dq.chosen(2).group_size() == 256
    assert runs == [2], "measured once in a process"
    stored = json.loads(cache.read_text())
    (key,) = stored
    assert "threads 2" in key and stored[key]["batched"] == 256 and stored[key]["one_request"] == 0
    assert stored[key]["times_ms"]["0"]["8"] == 21.6

    monkeypatch.setattr(dq, "_chosen", {})  # a new process on the same machine
    assert dq.chosen(2).times_ms == HERE
    assert runs == [2], "read from the cache file, not measured again"
    assert dq.chosen(1).group_size() == 256
    assert runs == [2, 1], "another thread count is another measurement"


def test_an_unusable_cache_file_means_measuring_again(monkeypatch, tmp_path: Path) -> None:
    cache = tmp_path / "dq.json"
    cache.write_text("{not json")
    monkeypatch.setenv(dq.CACHE_ENV, str(cache))
    monkeypatch.setattr(dq, "_chosen", {})
    monkeypatch.setattr(
        dq,
        "probe",
        lambda threads: _times({"32": 1.0, "256": 2.0, "0": 2.0}, {"32": 1.0, "256": 2.0, "0": 2.0}),
    )
    assert dq.chosen(1).group_size() == dq.DEFAULT
    assert json.loads(cache.read_text()), "rewritten with the new measurement"


def test_the_probe_times_every_candidate_at_every_row_count() -> None:
    times = dq.probe(1, mb=2, rounds=1)
    assert set(times) == {str(c) for c in dq.CANDIDATES}
    for by_rows in times.values():
        assert set(by_rows) == {str(r) for r in dq.ROWS}
        assert all(ms > 0 for ms in by_rows.values())
    assert dq.decide(times) in dq.CANDIDATES


def test_the_llm_and_vlm_engines_ask_for_their_main_ir(monkeypatch, tmp_path: Path) -> None:
    from openvino_ui.config import parse_config
    from openvino_ui.engines.llm import LLMEngine
    from openvino_ui.engines.vlm import VLMEngine

    llm = _save(tmp_path, "llm", np.ones((4, 8), np.uint8)).parent
    vlm = tmp_path / "vlm"
    vlm.mkdir()
    fp32 = _save(tmp_path, "fp32-lm", np.ones((4, 8), np.float32))
    for suffix in (".xml", ".bin"):  # an fp32 language model beside an int8 vision encoder
        fp32.with_suffix(suffix).rename(vlm / f"openvino_language_model{suffix}")
    vision = _save(tmp_path, "vision", np.ones((4, 8), np.uint8))
    for suffix in (".xml", ".bin"):
        vision.with_suffix(suffix).rename(vlm / f"openvino_vision_embeddings_model{suffix}")
    asked = _choose(monkeypatch, HERE)
    text = (
        f"models:\n  chat: {{task: llm, path: {llm}}}\n  plain: {{task: llm, path: {llm}, batching: off}}\n"
        f"  look: {{task: vlm, path: {vlm}}}\n"
    )
    config = parse_config(text, tmp_path / "models.yaml")
    assert LLMEngine("chat", config.models["chat"]).pipeline_properties("CPU")[dq.KEY] == 256
    assert len(asked) == 1 and asked[0] >= 1
    assert LLMEngine("plain", config.models["plain"]).pipeline_properties("CPU")[dq.KEY] == 0, (
        "batching: off serves one request at a time: the one-row time decides"
    )
    assert dq.KEY not in VLMEngine("look", config.models["look"]).pipeline_properties("CPU"), (
        "the language model decides, not the vision encoder"
    )
