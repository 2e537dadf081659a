"""Replace Sin ops of an OpenVINO model by a polynomial the CPU plugin compiles to vector code.

OpenVINO's CPU plugin has no vectorised sine: `Sin` runs its reference kernel (`ref_any_f32`, one
scalar libm call per element, inputs converted from and outputs back to bf16). Kokoro's vocoder
calls it in every Snake activation (x + sin(a*x)^2 / a) over tensors of up to 128 x 11,000
elements, 48 times per utterance: 18 % of Kokoro's time at 1 thread
(benchmarks/investigations/profile_kokoro.py). Multiplies, adds and Floor are JIT eltwise ops, so
the same sine as

    k = floor(x / 2pi + 1/2);  r = (x - k*C1) - k*C2   (Cody-Waite: C1 + C2 = 2pi, k*C1 exact)
    u = r / pi;  sin(x) = u * P(u^2)                   (odd polynomial in u, |u| <= 1)

costs a few vector passes. P is fitted by least squares at Chebyshev nodes of [-1, 1] (close to
the minimax fit); degree 11 keeps the f32 error below 1e-6 for |x| up to 1e5, as close to numpy's
sine as f32 allows (tests/unit/test_sine.py). In u rather than r so that every coefficient
(pi ... -0.0074) is a normal f16 number: a GPU or NPU running the model in f16 would flush r's
last coefficient (-2.5e-8) to zero.

Only for ops whose result the device rounds anyway: under a bf16 hint the new ops run at bf16 like
the Sin's neighbours. A sine that has to be f32-exact (Kokoro's harmonic source, marked precise)
stays a Sin: rewriting it changed Kokoro's output in bf16 although the sine itself stayed within
6e-7 (BENCHMARKS.md, Kokoro).
"""

from __future__ import annotations

import re
from typing import Any

DEGREE = 11  # odd: u, u^3, ..., u^11
_C1 = 6.28125  # 2pi rounded to 8 significant bits: k * _C1 is exact in f32 for |k| < 2^15


def sine_coefficients(degree: int = DEGREE) -> list[float]:
    """Coefficients of u, u^3, ..., u^degree fitting sin(pi * u) on [-1, 1]."""
    import numpy as np

    n = 4000
    nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    powers = np.arange(1, degree + 1, 2)
    fit = np.linalg.lstsq(nodes[:, None] ** powers[None, :], np.sin(np.pi * nodes), rcond=None)[0]
    return [float(c) for c in fit]


def polynomial_sine(model: Any, name_pattern: str) -> int:
    """Replace, in place, every Sin of `model` whose friendly name matches `name_pattern`
    (re.search). The new ops are named "<Sin's name>/poly/<i>", the last one keeps the Sin's name.
    Returns how many Sin ops were replaced."""
    import numpy as np
    import openvino.opset13 as ops

    wanted = re.compile(name_pattern)
    coefficients = sine_coefficients()
    replaced = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Sin" or not wanted.search(node.get_friendly_name()):
            continue
        name = node.get_friendly_name()
        made: list[Any] = []

        def op(new: Any, made: list[Any] = made) -> Any:
            made.append(new)
            return new

        x = node.input_value(0)
        dtype = x.get_element_type().to_dtype()  # f32 as a rule; an f16 graph gets f16 constants

        def scalar(value: float, dtype: Any = dtype) -> Any:
            return ops.constant(np.array(value, dtype=dtype))

        turns = op(ops.add(op(ops.multiply(x, scalar(1 / (2 * np.pi)))), scalar(0.5)))
        k = op(ops.floor(turns))
        r = op(ops.subtract(x, op(ops.multiply(k, scalar(_C1)))))
        r = op(ops.subtract(r, op(ops.multiply(k, scalar(2 * np.pi - _C1)))))
        u = op(ops.multiply(r, scalar(1 / np.pi)))
        u2 = op(ops.multiply(u, u))
        poly = scalar(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            poly = op(ops.add(op(ops.multiply(poly, u2)), scalar(c)))
        result = op(ops.multiply(u, poly))
        for i, new in enumerate(made[:-1]):
            new.set_friendly_name(f"{name}/poly/{i}")
        result.set_friendly_name(name)
        node.output(0).replace(result.output(0))
        replaced += 1
    if replaced:
        model.validate_nodes_and_infer_types()
    return replaced
