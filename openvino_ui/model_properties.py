"""OpenVINO properties that a prepared model folder needs from the device compiling it.

Some variants are only right when compiled a certain way: Kokoro's w8a8 returns no audio in bf16,
the CPU's default precision where the CPU has it, so it must compile in f32. OpenVINO itself only
reads a few such options from an IR's rt_info (the KV cache's precision, dynamic quantization's
group size), not the inference precision, so `prepare` writes them beside the IR in FILE and every
engine applies them under the properties models.yaml sets (an explicit setting still wins).

The file maps a device kind to its properties; a physical device (CPU, GPU.1) gets its kind's. A
virtual device (AUTO, HETERO, MULTI, BATCH) gets them all as DEVICE_PROPERTIES, which it hands to
each device it compiles on (a top-level property would go to every device, and one kind may refuse
another's; measured: Kokoro's w8a8 on AUTO returns audio only this way).

A key "CPU/<family>" (openvino_ui.cpu.FAMILIES) adds properties on that kind of CPU only, over the
"CPU" ones: the same IR can be right in bf16 on one CPU and not on another (Kokoro's int8 variant
loses words in bf16 on Intel AMX, whose bf16 kernels differ from AVX-512 BF16's, and not on AMD's
AVX-512 BF16). The folder stays portable: the family is read where the model is compiled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import VIRTUAL
from .cpu import cpu_family, cpu_flags

FILE = "openvino_ui_properties.json"


def write_model_properties(folder: Path, by_device: dict[str, dict[str, Any]], why: str) -> None:
    data = {"why": why, "properties": by_device}
    (Path(folder) / FILE).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def model_properties(folder: Path | str | None, device: str, family: str | None = None) -> dict[str, Any]:
    """The properties the model in `folder` asks of `device` ({} when it asks none), on a CPU of
    `family` (default: this machine's). A file that cannot be read is an error: serving the model
    without them would give wrong output."""
    if folder is None:
        return {}
    path = Path(folder) / FILE
    if not path.is_file():
        return {}
    try:
        by_key = json.loads(path.read_text(encoding="utf-8"))["properties"]
        by_key = {str(k): dict(v) for k, v in by_key.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RuntimeError(
            f"{path} is unreadable ({exc}); run `openvino-ui prepare --force` on this model"
        ) from None
    if any("/" in key for key in by_key):
        family = family or cpu_family(cpu_flags())
    by_device = {k: v for k, v in by_key.items() if "/" not in k}
    per_family = by_key.get(f"CPU/{family}")
    if per_family:
        by_device["CPU"] = {**by_device.get("CPU", {}), **per_family}
    head = device.split(":", 1)[0].upper()
    if head in VIRTUAL:
        return {"DEVICE_PROPERTIES": by_device} if by_device else {}
    return dict(by_device.get(head.split(".", 1)[0], {}))
