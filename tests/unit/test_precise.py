"""prepare.precise.keep_in_f32: layers marked in a saved IR stay f32 under a bf16 inference hint."""

from __future__ import annotations

import numpy as np
import openvino as ov
from openvino import opset13 as ops

from openvino_ui.prepare.precise import keep_in_f32


def phase_model() -> ov.Model:
    """sin(cumsum(x @ w) * 1000): a phase accumulated over many samples from a pitch computed by a
    matmul, as Kokoro's vocoder does. In bf16 the matmul's rounding alone puts the phase off."""
    x = ops.parameter([1, 64], np.float32, name="x")
    weights = np.random.default_rng(1).uniform(0, 1, (64, 4096)).astype(np.float32)
    pitch = ops.matmul(x, ops.constant(weights), False, False)
    pitch.set_friendly_name("/pitch/MatMul")
    total = ops.cumsum(pitch, ops.constant(np.int64(1)))
    total.set_friendly_name("/source/CumSum")
    scaled = ops.multiply(total, ops.constant(np.float32(1000.0)))
    scaled.set_friendly_name("/source/Mul")
    wave = ops.sin(scaled)
    wave.set_friendly_name("/source/Sin")
    return ov.Model([wave], [x], "phase")


def test_marks_matching_layers_and_the_ir_still_reads(tmp_path):
    path = tmp_path / "m.xml"
    ov.save_model(phase_model(), path, compress_to_fp16=False)
    path.chmod(0o644)
    assert keep_in_f32(path, r"^/(pitch|source)/") == 4
    assert path.stat().st_mode & 0o777 == 0o644  # not the temporary file's owner-only mode
    assert keep_in_f32(path, r"^/(pitch|source)/") == 4  # idempotent: no second attribute
    text = path.read_text()
    assert text.count('name="precise"') == 4
    assert ov.Core().read_model(path).get_output_partial_shape(0).to_shape() == [1, 4096]
    assert keep_in_f32(path, r"no such layer") == 0


def test_marked_layers_compute_in_f32_when_the_cpu_runs_bf16(tmp_path):
    """On a CPU with bf16 the unmarked model loses the phase and the marked one keeps it; on one
    without (AVX2), where OpenVINO runs every op in f32 whatever the hint, both keep it."""
    core = ov.Core()
    has_bf16 = "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    path = tmp_path / "m.xml"
    ov.save_model(phase_model(), path, compress_to_fp16=False)
    x = np.random.default_rng(0).uniform(0, 0.001, (1, 64)).astype(np.float32)

    def run(precision: str) -> np.ndarray:
        compiled = core.compile_model(core.read_model(path), "CPU", {"INFERENCE_PRECISION_HINT": precision})
        return compiled([x])[0].ravel()

    reference = run("f32")
    plain = float(np.abs(run("bf16") - reference).max())
    keep_in_f32(path, r"^/(pitch|source)/")
    kept = float(np.abs(run("bf16") - reference).max())
    assert kept < 1e-4, (kept, plain)  # the marked ops keep the phase
    if has_bf16:
        assert plain > 0.1, (kept, plain)  # bf16 loses it
    else:
        assert plain < 1e-4, (kept, plain)  # nothing ran in bf16
