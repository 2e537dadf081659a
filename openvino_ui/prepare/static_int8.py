"""Static int8 (w8a8): int8 weights *and* activations, with scales that NNCF calibrates on sample
inputs, so that the CPU runs the convolutions and matmuls as integer kernels (VNNI/AMX where the
CPU has them, AVX2's 8-bit multiply-adds otherwise) instead of unpacking int8 weights to float.

Used where it measured faster at the same quality (Kokoro's vocoder: benchmarks/investigations/
kokoro_static_int8.py, BENCHMARKS.md). NNCF's OpenVINO backend needs no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Ops left in float: the elementwise ones (NNCF would put quantizers on all of them, 1,661 in
# Kokoro, for no gain), and the transposed convolutions and resizes, for which the CPU plugin has
# no int8 kernel on such graphs ("No suitable implementations" at compile time).
FLOAT_TYPES = (
    "Multiply",
    "Add",
    "Subtract",
    "Divide",
    "Power",
    "Sqrt",
    "ReduceMean",
    "ReduceSum",
    "MVN",
    "ConvolutionBackpropData",
    "GroupConvolutionBackpropData",
    "Interpolate",
    "Pad",
)


def _constant(node: Any) -> Any:
    """The value of a Constant, or of a Convert of one, else None."""
    if node.get_type_name() == "Convert":
        node = node.input_value(0).get_node()
    return node.get_data() if node.get_type_name() == "Constant" else None


def fold_int8_weights(model: Any, users: str = "") -> int:
    """Replace each int8 weight's decompression (u8/i8 Constant -> Convert -> Subtract zero point ->
    Multiply scale, as openvino_ui.prepare.dequantize leaves them) by one f32 Constant, so that NNCF
    sees float weights it can quantize again, per output channel, with the activations' scales.
    Only weights used by an op whose name matches `users` (re.search; "" matches all): the others
    stay int8 on disk and in memory. Returns how many it folded."""
    import re

    import numpy as np
    import openvino as ov
    import openvino.opset13 as ops

    wanted = re.compile(users)
    folded = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Multiply":
            continue
        if not any(
            wanted.search(target.get_node().get_friendly_name())
            for target in node.output(0).get_target_inputs()
        ):
            continue
        sub, scale = node.input_value(0).get_node(), _constant(node.input_value(1).get_node())
        if sub.get_type_name() != "Subtract" or scale is None:
            continue
        convert, zero_point = sub.input_value(0).get_node(), _constant(sub.input_value(1).get_node())
        if convert.get_type_name() != "Convert" or zero_point is None:
            continue
        weights = convert.input_value(0).get_node()
        if weights.get_type_name() != "Constant" or weights.get_output_element_type(0) not in (
            ov.Type.u8,
            ov.Type.i8,
        ):
            continue
        value = (weights.get_data().astype(np.float32) - zero_point.astype(np.float32)) * scale.astype(
            np.float32
        )
        node.output(0).replace(ops.constant(value.astype(np.float32)).output(0))
        folded += 1
    model.validate_nodes_and_infer_types()
    return folded


def quantize_static(model: Any, samples: Sequence[Sequence[Any]], keep_float: Sequence[str]) -> Any:
    """`model` with int8 activations and weights on its convolutions and matmuls, calibrated on
    `samples` (each a list of input arrays in the model's input order). Layers whose names match a
    regular expression of `keep_float`, and FLOAT_TYPES, stay as they are.

    MIXED: symmetric weights, asymmetric activations (Snake and ReLU outputs are not centred);
    fast bias correction keeps each layer's mean output where float put it."""
    import nncf

    keep = nncf.IgnoredScope(patterns=list(keep_float), types=list(FLOAT_TYPES), validate=False)
    return nncf.quantize(
        model,
        nncf.Dataset(list(samples)),
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(samples),
        ignored_scope=keep,
        fast_bias_correction=True,
    )
