"""Precision hints from a device's capabilities, for every CPU family we run on (not only this one)."""

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from openvino_ui.precision import device_precision_hints, precision_hints

# OPTIMIZATION_CAPABILITIES as the 2026.4 CPU plugin reports them
AMD_EPYC_AVX512 = ["BF16", "WINOGRAD", "FP32", "INT8", "BIN", "EXPORT_IMPORT"]
INTEL_XEON_AMX = ["FP32", "BF16", "FP16", "INT8", "BIN", "EXPORT_IMPORT"]
OLDER_X86 = ["WINOGRAD", "FP32", "INT8", "BIN", "EXPORT_IMPORT"]


@pytest.mark.parametrize(
    ("capabilities", "hints"),
    [
        (AMD_EPYC_AVX512, ["f32", "bf16"]),
        (INTEL_XEON_AMX, ["f32", "bf16", "f16"]),
        (OLDER_X86, ["f32"]),
        ([], ["f32"]),
    ],
)
def test_hints_follow_the_capabilities(capabilities, hints):
    assert precision_hints(capabilities) == hints


@pytest.mark.parametrize("capabilities", [AMD_EPYC_AVX512, INTEL_XEON_AMX], ids=["amd", "intel-amx"])
def test_every_hint_is_a_value_openvino_accepts(capabilities):
    # The CPU plugin accepts any valid precision name and falls back where the CPU lacks it, so the
    # Intel list can be checked here too: its FP16 once became "fp16", which OpenVINO refuses.
    x = ops.parameter([1, 4], ov.Type.f32, name="x")
    model = ov.Model([ops.relu(x)], [x])
    core = ov.Core()
    for hint in precision_hints(capabilities):
        compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": hint})
        np.testing.assert_allclose(compiled(np.ones((1, 4), np.float32))[0], 1.0, err_msg=hint)


def test_this_cpu_offers_f32_at_least():
    assert device_precision_hints(ov.Core())[0] == "f32"
