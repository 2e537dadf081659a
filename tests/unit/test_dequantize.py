"""openvino_ui.prepare.dequantize on hand-built onnxruntime dynamic-quantization patterns.

The graphs below are what OpenVINO's ONNX frontend makes of DynamicQuantizeLinear ->
MatMulInteger / ConvInteger -> Cast -> Mul (the packaged Kokoro ONNX is full of them).
"""

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from openvino_ui.precision import device_precision_hints
from openvino_ui.prepare.dequantize import float_compute

RNG = np.random.default_rng(0)
U8, I32, F32 = ov.Type.u8, ov.Type.i32, ov.Type.f32


def _dynamic_quantize(x):
    """DynamicQuantizeLinear as OpenVINO decomposes it: (x_q - zp) as int32, and x's scale."""
    axes = ops.constant(np.arange(len(x.get_output_partial_shape(0))), ov.Type.i64)
    hi = ops.maximum(ops.reduce_max(x, axes), ops.constant(np.float32(0)))
    lo = ops.minimum(ops.reduce_min(x, axes), ops.constant(np.float32(0)))
    scale = ops.divide(ops.subtract(hi, lo), ops.constant(np.float32(255)))
    zp = ops.convert(ops.clamp(ops.round(ops.divide(ops.negative(lo), scale), "half_to_even"), 0, 255), U8)
    xq = ops.add(ops.round(ops.divide(x, scale), "half_to_even"), ops.convert(zp, F32))
    xq = ops.convert(ops.clamp(xq, 0, 255), U8)
    return ops.subtract(ops.convert(xq, I32), ops.convert(zp, I32)), scale


def _quantized_weight(shape):
    w_q = RNG.integers(0, 256, shape).astype(np.uint8)
    w_zp, w_scale = np.uint8(128), np.float32(0.01)
    node = ops.subtract(ops.convert(ops.constant(w_q), I32), ops.convert(ops.constant(w_zp), I32))
    return node, (w_q.astype(np.float32) - 128) * w_scale, ops.constant(w_scale)


def _rescale(integer_op, x_scale, w_scale):
    return ops.multiply(ops.convert(integer_op, F32), ops.multiply(x_scale, w_scale))


def _run(model, x):
    return ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(x)[0]


def _op_types(model):
    return {op.get_type_name() for op in model.get_ordered_ops()}


def test_matmul_integer_becomes_a_float_matmul_on_the_unquantized_input():
    x = ops.parameter([2, 5, 16], F32, name="x")
    xq, x_scale = _dynamic_quantize(x)
    w_int, w_float, w_scale = _quantized_weight((16, 8))
    rescaled = _rescale(ops.matmul(xq, w_int, False, False), x_scale, w_scale)
    out = ops.add(rescaled, ops.constant(np.ones(8, np.float32)))
    model = ov.Model([out], [x])
    data = RNG.standard_normal((2, 5, 16)).astype(np.float32)
    before = _run(model, data)

    assert float_compute(model) == (1, 0)

    after = _run(model, data)
    expected = data @ w_float + 1
    np.testing.assert_allclose(after, expected, rtol=1e-4, atol=1e-4)  # exact float math now
    assert np.abs(before - expected).max() < 0.1  # the int8 original was an approximation of it
    assert not {"ReduceMax", "Round", "Clamp"} & _op_types(model)  # no per-call quantization left
    weights = [op for op in model.get_ordered_ops() if op.get_type_name() == "Constant"]
    assert any(op.get_element_type() == U8 and op.get_output_shape(0) == [16, 8] for op in weights)


def test_conv_integer_becomes_a_float_convolution_with_the_same_attributes():
    x = ops.parameter([1, 4, 20], F32, name="x")
    xq, x_scale = _dynamic_quantize(x)
    w_int, w_float, w_scale = _quantized_weight((6, 4, 3))
    conv = ops.convolution(xq, w_int, [2], [1], [1], [1])
    model = ov.Model([_rescale(conv, x_scale, w_scale)], [x])
    data = RNG.standard_normal((1, 4, 20)).astype(np.float32)

    assert float_compute(model) == (1, 0)

    reference = ov.Model([ops.convolution(x, ops.constant(w_float), [2], [1], [1], [1])], [x])
    np.testing.assert_allclose(_run(model, data), _run(reference, data), rtol=1e-4, atol=1e-4)


def test_integer_ops_of_another_shape_are_left_alone():
    a = ops.parameter([3, 4], I32, name="a")
    b = ops.constant(RNG.integers(-5, 5, (4, 2)).astype(np.int32))
    model = ov.Model([ops.matmul(a, b, False, False)], [a])
    assert float_compute(model) == (0, 1)


def test_rewritten_model_compiles_at_every_precision_the_cpu_has():
    x = ops.parameter([1, 3, 16], F32, name="x")
    xq, x_scale = _dynamic_quantize(x)
    w_int, w_float, w_scale = _quantized_weight((16, 16))
    model = ov.Model([_rescale(ops.matmul(xq, w_int, False, False), x_scale, w_scale)], [x])
    float_compute(model)
    core = ov.Core()
    precisions = device_precision_hints(core)
    data = np.ones((1, 3, 16), np.float32)
    for precision in precisions:
        out = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": precision})(data)[0]
        np.testing.assert_allclose(out, data @ w_float, rtol=0.05, atol=0.05, err_msg=precision)
