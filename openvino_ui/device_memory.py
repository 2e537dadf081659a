"""What OpenVINO reports of each device's memory (GPU, NPU): for the server statistics and for
measuring what a model takes on a device with memory of its own (memory budgets). A device that
reports nothing (the CPU: the process memory is its figure) or a query that fails gives None, never
an error."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

MIB = 1024**2
# What OpenVINO reports of a device's memory, per device family: (its total, what is allocated).
# GPU_MEMORY_STATISTICS maps allocation types (usm_device, usm_host, cl_mem, ...) to bytes.
# Other devices (CPU: the process memory is its figure) report nothing and are not asked.
MEMORY_PROPERTIES: dict[str, tuple[str, str]] = {
    "GPU": ("GPU_DEVICE_TOTAL_MEM_SIZE", "GPU_MEMORY_STATISTICS"),
    "NPU": ("NPU_DEVICE_TOTAL_MEM_SIZE", "NPU_DEVICE_ALLOC_MEM_SIZE"),
}


class DeviceProperties(Protocol):
    """What is read of openvino.Core."""

    def get_property(self, device_name: str, name: str, /) -> object: ...


@dataclass(frozen=True)
class DeviceMemory:
    """What OpenVINO reports of one device's memory; None where it reports nothing."""

    device: str
    total_mb: float | None  # the device's memory (GPU_DEVICE_TOTAL_MEM_SIZE, NPU_DEVICE_TOTAL_MEM_SIZE)
    used_mb: float | None  # what OpenVINO has allocated there (GPU: the sum of by_kind_mb)
    by_kind_mb: tuple[tuple[str, float], ...] = ()  # GPU: per allocation type

    def as_dict(self) -> dict[str, object]:
        return {
            "device": self.device,
            "total_mb": _round(self.total_mb),
            "used_mb": _round(self.used_mb),
            "by_kind_mb": {kind: round(mb, 1) for kind, mb in self.by_kind_mb},
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def device_memory(core: DeviceProperties, devices: list[str]) -> tuple[DeviceMemory, ...]:
    """Each of `devices` with the memory figures OpenVINO reports; a device that reports nothing,
    or a query that fails, leaves its figures None (never an error)."""
    rows = []
    for device in devices:
        names = MEMORY_PROPERTIES.get(device.split(".", 1)[0])
        if names is None:
            rows.append(DeviceMemory(device, None, None))
            continue
        total = _mib(_read(core, device, names[0]))
        used_raw = _read(core, device, names[1])
        kinds: tuple[tuple[str, float], ...] = ()
        if isinstance(used_raw, dict):
            kinds = tuple((str(k), mb) for k, v in used_raw.items() if (mb := _mib(v)) is not None)
            used = sum(mb for _, mb in kinds) if kinds else None
        else:
            used = _mib(used_raw)
        rows.append(DeviceMemory(device, total, used, kinds))
    return tuple(rows)


def _read(core: DeviceProperties, device: str, name: str) -> object:
    try:
        return core.get_property(device, name)
    except Exception as exc:  # not supported by this device or driver: no figure
        log.debug("%s does not report %s (%s)", device, name, type(exc).__name__)
        return None


def _mib(value: object) -> float | None:
    """Bytes as MiB; None for anything that is not a count of bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value / MIB


def used_bytes(core: DeviceProperties, device: str) -> int | None:
    """The bytes OpenVINO has allocated on `device` now (GPU: the sum of GPU_MEMORY_STATISTICS);
    None where the device reports nothing."""
    names = MEMORY_PROPERTIES.get(device.split(".", 1)[0])
    if names is None:
        return None
    used = _read(core, device, names[1])
    if isinstance(used, dict):
        counts = [v for v in used.values() if isinstance(v, int) and not isinstance(v, bool) and v >= 0]
        return sum(counts) if counts else None
    return used if isinstance(used, int) and not isinstance(used, bool) and used >= 0 else None
