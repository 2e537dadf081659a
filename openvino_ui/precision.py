"""Which inference precisions a device offers, in the spelling OpenVINO accepts as a hint.

`OPTIMIZATION_CAPABILITIES` names precisions `FP32`, `BF16`, `FP16`, but `INFERENCE_PRECISION_HINT`
accepts `f32`, `bf16`, `f16`: lower-casing the capability gives `fp16`, which OpenVINO refuses.
Intel Xeons with AMX report `FP16`; AMD EPYC does not, so code written on one must not assume the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# capability name -> the INFERENCE_PRECISION_HINT value for it, widest first
CAPABILITY_HINTS: dict[str, str] = {"FP32": "f32", "BF16": "bf16", "FP16": "f16"}


def precision_hints(capabilities: Iterable[str]) -> list[str]:
    """The precision hints a device with these OPTIMIZATION_CAPABILITIES runs, f32 always first."""
    offered = {str(c).upper() for c in capabilities}
    return ["f32"] + [hint for cap, hint in CAPABILITY_HINTS.items() if cap != "FP32" and cap in offered]


def device_precision_hints(core: Any, device: str = "CPU") -> list[str]:
    """precision_hints() of `device` as an openvino.Core sees it."""
    return precision_hints(core.get_property(device, "OPTIMIZATION_CAPABILITIES"))
