"""Memory budgets per device (models.yaml `defaults.memory_budget_gb`): how much each loaded model
takes, and which idle models to unload, least recently used first, so that another one fits.

A model's size is the memory measured when it was last loaded (the process's resident memory before
and after building its pipelines; see Engine.memory_bytes), else its size on disk. A device name
with an index (GPU.1) takes its own budget if one is set, else its family's (GPU). AUTO, HETERO and
MULTI pick among devices themselves: no budget applies to them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import VIRTUAL
from .errors import ModelTooLarge

if TYPE_CHECKING:
    from .engines.base import Engine

log = logging.getLogger(__name__)

GB = 1024**3


@dataclass(frozen=True)
class DeviceBudget:
    """One row of the Models tab's memory panel: a device's budget and what its models take."""

    device: str
    budget_gb: float | None  # None: no budget (the models are still listed)
    used_gb: float
    models: tuple[tuple[str, float], ...]  # (name, GB) of each model loaded there

    def as_dict(self) -> dict[str, object]:
        return {
            "device": self.device,
            "budget_gb": self.budget_gb,
            "used_gb": round(self.used_gb, 3),
            "models": [{"name": n, "gb": round(gb, 3)} for n, gb in self.models],
        }


def runs_here(engine: Engine) -> bool:
    """Whether `engine`'s model takes this machine's memory: not a remote one (another server's),
    nor one on Ray Serve (its replicas' nodes')."""
    spec = engine.spec
    return spec.remote is None and spec.replicas is None and spec.autoscaling is None


def size_of(engine: Engine) -> tuple[int, bool]:
    """(bytes, measured): the memory measured at its last load, else its files' size on disk."""
    measured = engine.memory_bytes
    if measured:
        return measured, True
    return engine.disk_bytes(), False


def check_against_ram(budgets: dict[str, float]) -> str | None:
    """A warning when the CPU's budget is more than the machine's RAM (then it never evicts in time:
    the kernel's OOM killer acts first); None when it fits."""
    cpu = budgets.get("CPU")
    if cpu is None:
        return None
    import psutil

    total = psutil.virtual_memory().total
    if cpu * GB <= total:
        return None
    return (
        f"memory_budget_gb CPU: {cpu:g} GB is more than this machine's {total / GB:.1f} GB of RAM; "
        "models will not be unloaded before memory runs out. Lower it."
    )


class MemoryBudget:
    """The budgets (GB per device name) against `engines`, as they are now."""

    def __init__(self, budgets: dict[str, float], engines: list[Engine]):
        self.budgets = dict(budgets)
        self.engines = engines

    def key(self, device: str) -> str | None:
        """The budget that applies to `device`: its own, else its family's; None: no budget."""
        if device.startswith(VIRTUAL):
            return None
        if device in self.budgets:
            return device
        family = device.split(".", 1)[0]
        return family if family in self.budgets else None

    def _loaded_on(self, key: str) -> list[Engine]:
        from .engines.base import State

        return [
            e for e in self.engines if e.state is State.READY and runs_here(e) and self.key(e.device) == key
        ]

    def to_evict(self, engine: Engine, device: str, replacing: Engine | None = None) -> list[Engine]:
        """The idle models to unload, least recently used first, so that `engine` fits on `device`.

        `engine` itself and `replacing` (the engine it is about to replace) are neither counted nor
        evicted. Raises ModelTooLarge when `engine` alone exceeds the budget. Busy models are never
        chosen; if evicting every idle one is not enough the load goes ahead (a budget must not fail
        requests) and the log says so.
        """
        key = self.key(device)
        if key is None or not runs_here(engine):
            return []
        budget = int(self.budgets[key] * GB)
        need, measured = size_of(engine)
        if need > budget:
            raise ModelTooLarge(engine.name, device, need / GB, self.budgets[key], measured)
        others = [e for e in self._loaded_on(key) if e is not engine and e is not replacing]
        used = sum(size_of(e)[0] for e in others)
        victims: list[Engine] = []
        for candidate in sorted(others, key=lambda e: e.last_used):
            if used + need <= budget:
                break
            if candidate.is_busy():
                continue
            victims.append(candidate)
            used -= size_of(candidate)[0]
        if used + need > budget:
            log.warning(
                "%s does not fit the %s memory budget even after unloading every idle model; "
                "loading it anyway (the others are serving)",
                engine.name,
                key,
            )
        return victims

    def rows(self) -> list[DeviceBudget]:
        """Each device with a budget or a loaded model: its budget, what is used, by which models."""
        from .engines.base import State

        loaded = [e for e in self.engines if e.state is State.READY and runs_here(e)]
        devices = list(self.budgets) + sorted({e.device for e in loaded if self.key(e.device) is None})
        rows = []
        for device in dict.fromkeys(devices):
            on = [e for e in loaded if (self.key(e.device) or e.device) == device]
            models = tuple((e.name, size_of(e)[0] / GB) for e in on)
            rows.append(DeviceBudget(device, self.budgets.get(device), sum(gb for _, gb in models), models))
        return rows
