"""prepare.sine.polynomial_sine: the chosen Sin ops become vector ops that compute the same sine."""

from __future__ import annotations

import numpy as np
import openvino as ov
from openvino import opset13 as ops

from openvino_ui.prepare.sine import polynomial_sine


def two_sines() -> ov.Model:
    """x + sin(2x)^2 / 2 (a Snake activation) next to a plain sin(x) that must stay a Sin."""
    x = ops.parameter([-1], np.float32, name="x")
    scaled = ops.multiply(x, ops.constant(np.float32(2.0)))
    snake_sine = ops.sin(scaled)
    snake_sine.set_friendly_name("/block.0/Sin")
    squared = ops.multiply(snake_sine, snake_sine)
    snake = ops.add(x, ops.multiply(squared, ops.constant(np.float32(0.5))))
    other = ops.sin(x)
    other.set_friendly_name("/source/Sin")
    return ov.Model([snake, other], [x], "two_sines")


def run(model: ov.Model, x: np.ndarray) -> list[np.ndarray]:
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return [np.asarray(out) for out in compiled([x]).values()]


def test_only_matching_sines_are_replaced_and_named_after_them():
    model = two_sines()
    assert polynomial_sine(model, r"/block\.\d+/Sin$") == 1
    kinds = {op.get_friendly_name(): op.get_type_name() for op in model.get_ordered_ops()}
    assert kinds["/source/Sin"] == "Sin"
    assert kinds["/block.0/Sin"] == "Multiply"  # the last op keeps the name
    assert "Floor" in {kinds[n] for n in kinds if n.startswith("/block.0/Sin/poly/")}
    assert sum(kind == "Sin" for kind in kinds.values()) == 1
    assert polynomial_sine(model, r"no such op") == 0


def test_the_polynomial_matches_the_sine_over_a_wide_range():
    model = two_sines()
    polynomial_sine(model, r"Sin$")
    rng = np.random.default_rng(0)
    for limit in (1.0, np.pi, 10.0, 1e3, 1e5):
        x = rng.uniform(-limit, limit, 20000).astype(np.float32)
        snake, plain = run(model, x)
        reference_snake, _ = run(two_sines(), x)  # OpenVINO's own Sin
        assert np.abs(plain - np.sin(x.astype(np.float64))).max() < 2e-6, limit
        # x + ...: the sum's own f32 rounding (a few ulp of x) on top of the sine's error
        assert (np.abs(snake - reference_snake) <= 2e-6 + 4 * np.spacing(np.abs(x))).all(), limit


def test_the_compiled_model_has_no_reference_sine_left():
    """The point of the rewrite: no `Sin` node (a scalar reference kernel on the CPU) remains."""
    model = two_sines()
    polynomial_sine(model, r"Sin$")
    compiled = ov.Core().compile_model(model, "CPU", {"PERF_COUNT": True})
    request = compiled.create_infer_request()
    request.infer([np.linspace(-5, 5, 64, dtype=np.float32)])
    assert "Sin" not in {p.node_type for p in request.profiling_info}


def test_every_coefficient_is_a_normal_f16_number():
    """A GPU or NPU runs the model in f16: no coefficient may flush to zero or lose its exponent."""
    from openvino_ui.prepare.sine import sine_coefficients

    coefficients = np.array(sine_coefficients())
    assert (np.abs(coefficients) >= np.finfo(np.float16).tiny).all()
    assert np.allclose(coefficients.astype(np.float16), coefficients, rtol=1e-3)
    u = np.linspace(-1, 1, 1001, dtype=np.float16)
    as_f16 = u * sum(np.float16(c) * (u * u) ** i for i, c in enumerate(coefficients))
    assert np.abs(as_f16 - np.sin(np.pi * u.astype(np.float64))).max() < 1e-2  # f16's own precision


def test_an_f16_sine_gets_f16_constants():
    x = ops.parameter([-1], np.float16, name="x")
    wave = ops.sin(x)
    wave.set_friendly_name("/half/Sin")
    model = ov.Model([wave], [x], "half")
    assert polynomial_sine(model, r"Sin$") == 1  # validates: no f16 x f32 op
    assert model.output(0).get_element_type() == ov.Type.f16
    u = np.linspace(-10, 10, 512, dtype=np.float16)
    got = np.asarray(ov.Core().compile_model(model, "CPU")([u])[0], dtype=np.float64)
    assert np.abs(got - np.sin(u.astype(np.float64))).max() < 2e-2
