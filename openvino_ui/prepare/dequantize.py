"""Turn onnxruntime's *dynamic* int8 quantization back into float compute with int8 weights.

`onnxruntime.quantization.quantize_dynamic` (how the packaged Kokoro ONNX was made) rewrites every
MatMul / Conv as DynamicQuantizeLinear(x) -> MatMulInteger / ConvInteger -> Cast -> Mul(scale).
OpenVINO reads that literally: int32 MatMul/Convolution, which its CPU plugin executes in f32
(`brgconv_avx512_f32`), plus a ReduceMax/ReduceMin/Round/Clamp chain per call to quantize each
activation. Profiled, that was 63 % of Kokoro's time in f32 convolutions and ~15 % in those
reference ops (benchmarks/investigations/profile_kokoro.py).

`float_compute` replaces each such op by the float op on the *unquantized* activation, with the
weight kept as int8 behind OpenVINO's weight-decompression pattern (u8 Constant -> Convert ->
Subtract zero point -> Multiply scale). The file stays the same size, the plugin runs the op at
its inference precision (bf16 where the CPU has it), and the activation-quantization chains
become dead code. The result is closer to the float model than the int8 one (activations are no
longer rounded to 8 bits).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

_INTEGER_OPS = ("MatMul", "Convolution")
_SEARCH_DEPTH = 12  # DynamicQuantizeLinear decomposes into ~8 nodes between x and the integer op


def float_compute(model: Any) -> tuple[int, int]:
    """Rewrite the integer MatMul/Convolution ops of `model` in place.

    Returns (rewritten, left): ops that matched the dynamic-quantization pattern and were
    replaced, and integer ops of another shape that were left as they are.
    """
    import openvino as ov

    rewritten = left = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() not in _INTEGER_OPS or node.get_output_element_type(0) != ov.Type.i32:
            continue
        if _rewrite(node):
            rewritten += 1
        else:
            left += 1
    if rewritten:
        model.validate_nodes_and_infer_types()
    log.info("dynamic int8 -> float compute: %d ops rewritten, %d left", rewritten, left)
    return rewritten, left


def _rewrite(node: Any) -> bool:
    import numpy as np
    import openvino as ov
    import openvino.opset13 as ops

    activation = _unquantized_input(node.input(0).get_source_output().get_node())
    weight = _decompressed_weight(node.input(1).get_source_output().get_node())
    rescale = _output_rescale(node)
    if activation is None or weight is None or rescale is None:
        return False
    scale_mul, bias = rescale
    quantized, zero_point = weight
    w_scale = _constant_factor(scale_mul)
    if w_scale is None:
        return False
    attrs = node.get_attributes()
    per_channel = int(np.prod(list(w_scale.get_output_shape(0)))) != 1
    if per_channel and (node.get_type_name() == "Convolution" or attrs.get("transpose_b")):
        return False  # the scale would need a reshape to broadcast on the output channels
    f32 = ov.Type.f32
    deq = ops.multiply(
        ops.subtract(ops.convert(quantized, f32), ops.convert(zero_point, f32)), ops.convert(w_scale, f32)
    )
    if node.get_type_name() == "MatMul":
        new = ops.matmul(activation, deq, attrs["transpose_a"], attrs["transpose_b"])
    else:
        new = ops.convolution(
            activation,
            deq,
            attrs["strides"],
            attrs["pads_begin"],
            attrs["pads_end"],
            attrs["dilations"],
            attrs["auto_pad"],
        )
    new.set_friendly_name(node.get_friendly_name().removesuffix("_quant"))
    if bias is not None:  # ConvInteger's bias, re-quantized per call: add the float one instead
        constant, shape, special_zero = bias
        new = ops.add(new, ops.reshape(constant, shape, special_zero))
    scale_mul.output(0).replace(new.output(0))
    return True


def _strip_converts(node: Any) -> Any:
    while node.get_type_name() == "Convert":
        node = node.input(0).get_source_output().get_node()
    return node


def _unquantized_input(node: Any) -> Any | None:
    """The float tensor a DynamicQuantizeLinear chain quantized: the input of its ReduceMax."""
    if node.get_type_name() != "Subtract":
        return None
    frontier, seen = [node], set()
    for _ in range(_SEARCH_DEPTH):
        nxt = []
        for n in frontier:
            for port in n.inputs():
                src = port.get_source_output().get_node()
                if src.get_type_name() == "ReduceMax":
                    return src.input(0).get_source_output()
                if id(src) not in seen and src.get_type_name() not in ("Constant", "Parameter"):
                    seen.add(id(src))
                    nxt.append(src)
        frontier = nxt
    return None


def _decompressed_weight(node: Any) -> tuple[Any, Any] | None:
    """(int8 Constant, zero-point Constant) of `Subtract(Convert(W), Convert(zp))`."""
    if node.get_type_name() != "Subtract":
        return None
    weight = _strip_converts(node.input(0).get_source_output().get_node())
    zero_point = _strip_converts(node.input(1).get_source_output().get_node())
    if weight.get_type_name() != "Constant" or zero_point.get_type_name() != "Constant":
        return None
    return weight, zero_point


def _output_rescale(node: Any) -> tuple[Any, Any] | None:
    """(the Multiply that rescales the integer result, the float bias or None).

    After the integer op: optionally `Add(Reshape(Convert(Floor(Divide(bias, scale)))))` (a
    quantized bias), then exactly one Convert to float, then the Multiply.
    """
    bias = None
    targets = list(node.output(0).get_target_inputs())
    if len(targets) == 1 and targets[0].get_node().get_type_name() == "Add":
        add = targets[0].get_node()
        bias = _float_bias(add.input(1 - targets[0].get_index()).get_source_output().get_node())
        if bias is None:
            return None
        targets = list(add.output(0).get_target_inputs())
    if len(targets) != 1 or targets[0].get_node().get_type_name() != "Convert":
        return None
    convert = targets[0].get_node()
    targets = list(convert.output(0).get_target_inputs())
    if len(targets) != 1 or targets[0].get_node().get_type_name() != "Multiply":
        return None
    return targets[0].get_node(), bias


def _float_bias(node: Any) -> tuple[Any, Any, bool] | None:
    """(float bias Constant, target shape, special_zero) of a re-quantized bias branch."""
    if node.get_type_name() != "Reshape":
        return None
    shape = node.input(1).get_source_output()
    special_zero = bool(node.get_attributes().get("special_zero", False))
    inner = _strip_converts(node.input(0).get_source_output().get_node())
    if inner.get_type_name() in ("Floor", "Round"):
        inner = inner.input(0).get_source_output().get_node()
    if inner.get_type_name() != "Divide":
        return None
    constant = inner.input(0).get_source_output().get_node()
    if constant.get_type_name() != "Constant":
        return None
    return constant, shape, special_zero


def _constant_factor(scale_mul: Any) -> Any | None:
    """The weight scale: the constant operand of `Multiply(x_scale, w_scale)` feeding `scale_mul`."""
    for port in scale_mul.inputs():
        src = port.get_source_output().get_node()
        if src.get_type_name() != "Multiply":
            continue
        for inner in src.inputs():
            const = _strip_converts(inner.get_source_output().get_node())
            if const.get_type_name() == "Constant":
                return const
    return None
