"""The errors a user may see. Each message says what is wrong and what to do about it.

The API layer turns every `UserError` into a `gr.Error` with the same text; anything else is an
internal error, logged with its traceback and shown as a generic message.
"""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the request or the configuration, with a message a user can act on."""

    title = "Error"


class ConfigError(UserError):
    """`models.yaml` is malformed. `problems` holds one line per problem."""

    title = "Configuration error"

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ModelNotFound(UserError):
    title = "Unknown model"

    def __init__(self, name: str, known: list[str]):
        choices = ", ".join(sorted(known)) or "none"
        super().__init__(
            f"Model {name!r} is not configured. Choose one of: {choices} (or add it to models.yaml)."
        )


class WrongTask(UserError):
    title = "Wrong model type"

    def __init__(self, name: str, task: str, wanted: str | tuple[str, ...], choices: list[str]):
        wanted_text = wanted if isinstance(wanted, str) else " or ".join(wanted)
        options = ", ".join(sorted(choices)) or "none is configured"
        super().__init__(
            f"Model {name!r} is a {task!r} model, but this needs a {wanted_text!r} model. "
            f"Choose one of: {options}."
        )


class ModelLoadFailed(UserError):
    title = "Model failed to load"

    def __init__(self, name: str, device: str, reason: str):
        self.reason = reason
        super().__init__(
            f"Model {name!r} failed to load on {device}: {reason}. "
            "Fix the cause (see the Models tab), then load it again."
        )


class ModelNotReady(UserError):
    title = "Model not loaded"


class DeviceNotAvailable(UserError):
    title = "Device not available"

    def __init__(self, device: str, missing: str, available: list[str]):
        options = ", ".join(available) or "none"
        super().__init__(
            f"Device {device!r} needs {missing!r}, which OpenVINO does not see on this machine. "
            f"Available devices: {options}. Pick one of them (or AUTO)."
        )


class InvalidInput(UserError):
    title = "Invalid input"


class ModelBusy(UserError):
    title = "Model busy"

    def __init__(self, name: str, waited_s: float):
        super().__init__(
            f"Model {name!r} is still serving other requests after {waited_s:.0f} s. Try again shortly."
        )
