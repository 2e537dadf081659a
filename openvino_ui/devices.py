"""Device strings: their syntax (checked when the config is read) and their availability (checked
against what `openvino.Core().available_devices` reports when a model is loaded)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import DeviceNotAvailable, NoDeviceLeft, quote

PHYSICAL = re.compile(r"^(CPU|GPU|NPU)(\.\d+)?$")
VIRTUAL = ("AUTO", "HETERO", "MULTI")
KINDS = ("CPU", "GPU", "NPU")  # a machine with one of each: what a string may use at best


def normalize_device(device: str) -> str:
    """Upper-case a device string and drop spaces: ' auto : gpu, cpu ' -> 'AUTO:GPU,CPU'."""
    return re.sub(r"\s+", "", device).upper()


def device_syntax_error(device: str) -> str | None:
    """Return why `device` is not a valid OpenVINO device string, or None when it is.

    Accepted: CPU, GPU, GPU.1, NPU, AUTO, AUTO:GPU,CPU, AUTO:-CPU, HETERO:GPU,CPU, MULTI:GPU,CPU.
    """
    dev = normalize_device(device)
    if not dev:
        return "the device is empty; use CPU, GPU, NPU, AUTO, HETERO:GPU,CPU or MULTI:GPU,CPU"
    head, _, tail = dev.partition(":")
    if head in VIRTUAL:
        if not tail:
            if head == "AUTO":
                return None
            return f"{head} needs a list of devices, e.g. {head}:GPU,CPU"
        for part in tail.split(","):
            if head == "AUTO" and part.startswith("-"):
                part = part[1:]
            if not PHYSICAL.match(part):
                return f"{quote(part)} in {quote(device)} is not a device (CPU, GPU, GPU.N, NPU)"
        if not remaining_devices(dev, list(KINDS)):
            return f"{quote(device)} excludes every device it could run on"
        return None
    if tail or not PHYSICAL.match(dev):
        return f"{quote(device)} is not a device; use CPU, GPU, GPU.N, NPU, AUTO, HETERO:…, MULTI:…"
    return None


def physical_parts(device: str) -> list[str]:
    """The physical devices a device string asks for (excluded AUTO candidates not counted)."""
    dev = normalize_device(device)
    head, _, tail = dev.partition(":")
    if head in VIRTUAL:
        return [p for p in tail.split(",") if p and not p.startswith("-")]
    return [dev]


def excluded_parts(device: str) -> list[str]:
    """The devices an AUTO string excludes with AUTO's '-DEV' syntax: AUTO:-CPU -> ['CPU']."""
    head, _, tail = normalize_device(device).partition(":")
    if head != "AUTO":
        return []
    return [p[1:] for p in tail.split(",") if p.startswith("-")]


def remaining_devices(device: str, available: list[str]) -> list[str]:
    """What `device` leaves to run on where `available` are present: the devices it names (bare AUTO
    and AUTO with only exclusions: every available one), less those its '-DEV' parts exclude."""
    dev = normalize_device(device)
    head = dev.partition(":")[0]
    candidates = physical_parts(dev)
    if head == "AUTO" and not candidates:
        candidates = list(available)
    excluded = excluded_parts(dev)
    return [d for d in candidates if not any(_covers(ex, d) for ex in excluded)]


def _covers(excluded: str, device: str) -> bool:
    """'-GPU' excludes GPU, GPU.0 and GPU.1; '-GPU.1' excludes only GPU.1."""
    return device == excluded or device.split(".")[0] == excluded


def check_device_available(device: str, available: list[str]) -> str:
    """Return the normalized device string, or raise DeviceNotAvailable naming the missing device
    (NoDeviceLeft when AUTO's exclusions leave nothing, e.g. AUTO:-CPU on a CPU-only machine)."""
    dev = normalize_device(device)
    present = set(available) | {d.split(".")[0] for d in available}
    for part in physical_parts(dev):
        if part not in present:
            raise DeviceNotAvailable(dev, part, available)
    if not remaining_devices(dev, available):
        raise NoDeviceLeft(dev, excluded_parts(dev), available)
    return dev


@dataclass(frozen=True)
class DeviceInfo:
    """One device as OpenVINO reports it."""

    name: str  # e.g. "CPU", "GPU.0"
    full_name: str  # e.g. "Intel(R) Core(TM) Ultra 7 155H"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "full_name": self.full_name}


def describe_devices(core: Any) -> list[DeviceInfo]:
    """The devices `core` sees, with their full names (AUTO is always usable on top of them)."""
    infos = []
    for name in core.available_devices:
        try:
            full = str(core.get_property(name, "FULL_DEVICE_NAME"))
        except Exception:  # a plugin that cannot report its name is still usable
            full = name
        infos.append(DeviceInfo(name=name, full_name=full))
    return infos


def device_choices(available: list[str]) -> list[str]:
    """Choices for a device dropdown: each physical device, then AUTO (and HETERO when there are two)."""
    choices = list(available) + ["AUTO"]
    if len(available) > 1:
        choices.append("HETERO:" + ",".join(available))
    return choices
