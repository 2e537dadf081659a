"""openvino_ui.prepare.static_int8 on a hand-built graph: int8 weight decompressions fold into the
same f32 weights, and NNCF's static quantization puts int8 on the convolution (not on the layers
kept float, nor on elementwise ops) and stays close to the float output."""

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from openvino_ui.prepare.static_int8 import fold_int8_weights, quantize_static

RNG = np.random.default_rng(0)


def _int8_weight(shape, name):
    """A u8 weight as openvino_ui.prepare.dequantize leaves it: Convert -> Subtract zp -> Multiply."""
    q = RNG.integers(0, 256, shape).astype(np.uint8)
    zp, scale = np.uint8(128), np.float32(0.02)
    node = ops.multiply(
        ops.subtract(ops.convert(ops.constant(q), ov.Type.f32), ops.convert(ops.constant(zp), ov.Type.f32)),
        ops.constant(scale),
        name=name,
    )
    return node, (q.astype(np.float32) - 128) * scale


def _model():
    x = ops.parameter([1, 8, 64], ov.Type.f32, name="x")
    w1, _ = _int8_weight((16, 8, 3), "w1")
    conv = ops.convolution(x, w1, [1], [1], [1], [1], name="/decoder/conv")
    act = ops.relu(conv)
    w2, _ = _int8_weight((16, 16, 3), "w2")
    kept = ops.convolution(act, w2, [1], [1], [1], [1], name="/encoder/kept_conv")
    out = ops.add(kept, ops.constant(np.float32(1.0)), name="/decoder/add")
    return ov.Model([out], [x])


def _run(model, x):
    return ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(x)[0]


def _count(model, kind):
    return sum(op.get_type_name() == kind for op in model.get_ordered_ops())


def test_int8_weights_fold_into_the_same_f32_weights():
    model, x = _model(), RNG.standard_normal((1, 8, 64)).astype(np.float32)
    before = _run(model, x)
    assert fold_int8_weights(model, "^/decoder/") == 1  # the kept conv's weights stay int8
    assert _u8_constants(model) == 2  # its weights and zero point
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-5, atol=1e-4)
    assert fold_int8_weights(model) == 1 and _u8_constants(model) == 0
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-5, atol=1e-4)


def _u8_constants(model):
    return sum(
        op.get_type_name() == "Constant" and op.get_output_element_type(0) == ov.Type.u8
        for op in model.get_ordered_ops()
    )


def test_static_quantization_covers_the_convolution_and_keeps_the_rest_float():
    model = _model()
    fold_int8_weights(model)
    samples = [[RNG.standard_normal((1, 8, 64)).astype(np.float32)] for _ in range(8)]
    x = samples[0][0]
    reference = _run(model, x)
    quantized = quantize_static(model, samples, [".*/encoder/.*"])
    # a quantizer on the decoder convolution's input, and its weights stored as int8; nothing on
    # the kept convolution (its weights stay f32) or the add
    fake = [
        op.get_friendly_name() for op in quantized.get_ordered_ops() if op.get_type_name() == "FakeQuantize"
    ]
    assert fake == ["x/fq_output_0"]
    int8 = [
        op.get_output_element_type(0)
        for op in quantized.get_ordered_ops()
        if op.get_type_name() == "Constant" and op.get_output_element_type(0) in (ov.Type.i8, ov.Type.u8)
    ]
    assert len(int8) == 1
    out = _run(quantized, x)
    relative = np.linalg.norm(out - reference) / np.linalg.norm(reference)
    assert relative < 0.05, relative
