"""The models and devices: list them, load and unload, statistics."""

from __future__ import annotations

from ..config import AnySpec
from ..devices import DeviceInfo
from ..engines.base import ModelInfo
from ..errors import InvalidInput, quote
from ..versions import LATEST
from .core import ServiceBase
from .requests import Task
from .results import ModelStats
from .validation import MAX_NAME_CHARS, device_name, string


class ModelService(ServiceBase):
    def models(self) -> list[ModelInfo]:
        """Every configured model, in models.yaml order: its task, device, status (unloaded |
        loading | ready | failed), why a load failed, load time and statistics on its device."""
        return self.pool.models()

    def model_names(self, task: Task | tuple[Task, ...] | None = None) -> list[str]:
        """The names of the configured models (of `task`), in models.yaml order."""
        return self.pool.names(task)

    def model_spec(self, name: str, task: Task | tuple[Task, ...] | None = None) -> AnySpec:
        """Model `name`'s configuration; ModelNotFound, or WrongTask when it does not serve `task`."""
        return self.pool.get(name, task).spec

    def devices(self) -> list[DeviceInfo]:
        """The devices OpenVINO sees on this machine ("CPU", "GPU.0", "NPU", ...). AUTO and
        HETERO:<dev>,<dev> combinations of their names are accepted wherever a device is."""
        return self.pool.devices()

    def load(self, name: str, device: str | None = None, version: int | str | None = None) -> ModelInfo:
        """Load model `name` on `device` (None or "": its configured one), or move it there; returns
        once it is ready. A failed move leaves it serving where it was (ModelLoadFailed says so).
        `version` (a number, "latest"; None or "": the one it serves) switches to that numbered
        version folder: built beside the running one and swapped in once ready."""
        return self.pool.load(_name(name), device_name(device), _version(version))

    def unload(self, name: str) -> ModelInfo:
        """Unload model `name` and free its memory (a request in flight finishes first)."""
        return self.pool.unload(_name(name))

    def stats(self, name: str | None = None) -> list[ModelStats]:
        """Request statistics per model and device since the server started; `name` None or "":
        every model. Only devices that served (or failed) a request have a row."""
        names = [_name(name)] if name else self.pool.names()
        rows = []
        for model in names:
            engine = self.pool.get(model)
            for device, snapshot in engine.stats_by_device().items():
                rows.append(ModelStats(model, engine.spec.task, device, snapshot))
        return rows


def _version(value: int | str | None) -> int | str | None:
    """None, "latest" or a version number (a digit string is read as one)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() == LATEST:
        return LATEST
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(
            f"version must be a number from 1 up or 'latest'; got {quote(value)}.", param="version"
        )
    return value


def _name(value: str) -> str:
    return str(string(value, "name", max_chars=MAX_NAME_CHARS))
