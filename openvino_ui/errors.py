"""The errors a user may see. Each message says what is wrong and what to do about it.

Every `UserError` carries what an HTTP adapter needs besides its text: `status` (the HTTP status),
an OpenAI-style `type` and `code`, and `param`, the request field that is wrong (None when no one
field is). The Gradio adapter turns it into a `gr.Error` with the same text; the REST adapter into
`{"error": {"message", "type", "param", "code"}}` with `status` (see `UserError.details`), without
matching on the text. Anything else is an internal error, shown as a generic message and logged by
its type and place (error_place, error_reason), not by its text, which may quote the request (the
traceback is logged at DEBUG).

    error                 status  type                   code
    InvalidInput          400     invalid_request_error  invalid_value
    WrongTask             400     invalid_request_error  wrong_model_task
    DeviceNotAvailable    400     invalid_request_error  device_not_available
    NoDeviceLeft          400     invalid_request_error  no_device_left
    ModelNotFound         404     invalid_request_error  model_not_found
    ModelBusy             503     server_error           model_busy
    ModelQueueFull        429     invalid_request_error  model_queue_full
    ModelLoadFailed       503     server_error           model_load_failed
    ModelNotReady         503     server_error           model_not_ready
    ConfigError           500     server_error           config_error
    ModelTooLarge         507     server_error           model_too_large
    ConfigNotApplied      400     invalid_request_error  config_invalid
    RemoteUnavailable     503     server_error           remote_unavailable
    RemoteFailed          502     server_error           remote_error
    RemoteTimeout         504     server_error           remote_timeout

A message that quotes a user's value does it with quote() or describe(): at most QUOTE_LIMIT
characters of it, so a huge value is never echoed whole.
"""

from __future__ import annotations

import math
import reprlib
from typing import ClassVar

# -- quoting user values in messages ---------------------------------------------------------------

# The most characters of a user's value that a message quotes: a 100 kB device string or prompt
# must not come back whole (nor fill a log line). Every message that quotes a value uses quote().
QUOTE_LIMIT = 80

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxlist, _repr.maxtuple, _repr.maxdict, _repr.maxset = 2, 6, 6, 4, 6
_repr.maxstring = _repr.maxother = QUOTE_LIMIT


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`repr(value)` for a message, at most `limit` characters: a longer one ends in an ellipsis.

    Lone surrogates and control characters come out escaped, so the message is always valid text.
    """
    try:
        text = repr(value[: limit + 1]) if isinstance(value, str) else _repr.repr(value)
    except Exception:  # e.g. an int beyond Python's digit limit, an object whose repr fails
        text = f"<{type(value).__name__}>"
    return clip(text, limit)


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` as it is (no quotes), cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(value: object) -> str:
    """A value and its kind for a message, e.g. `'10' (a string)`, `1.5 (a number)`, `None`."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int):
        kind = "an integer"
    elif isinstance(value, float):
        kind = "a number" if math.isfinite(value) else "not a finite number"
    elif isinstance(value, str):
        kind = "a string" if len(value) <= QUOTE_LIMIT else f"a string of {len(value)} characters"
    elif isinstance(value, list | tuple):
        kind = f"a list of {len(value)} items"
    elif isinstance(value, dict):
        kind = "a dict"
    else:
        kind = f"a {type(value).__name__}"
    return f"{quote(value)} ({kind})"


# -- describing an internal error without its text (for the log) ----------------------------------

# Input-free reasons by exception type (the first match in the exception's MRO wins).
_REASONS: dict[type[BaseException], str] = {
    UnicodeError: "text that could not be encoded or decoded",
    TypeError: "a value of an unexpected type",
    KeyError: "a missing key",
    IndexError: "an index out of range",
    AttributeError: "a missing attribute",
    ValueError: "an unexpected value",
    MemoryError: "out of memory",
    RecursionError: "too deep a recursion",
    NotImplementedError: "something not implemented",
    TimeoutError: "a timeout",
    ConnectionError: "a connection failure",
    RuntimeError: "a runtime failure (for example inside OpenVINO)",
    OSError: "an operating-system error",
}


def error_place(exc: BaseException) -> str:
    """module:function:line of the innermost frame of `exc`'s traceback ("unknown" without one)."""
    tb = exc.__traceback__
    if tb is None:
        return "unknown"
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    return f"{frame.f_globals.get('__name__', '?')}:{frame.f_code.co_name}:{tb.tb_lineno}"


def error_reason(exc: BaseException) -> str:
    """A short reason for `exc` that cannot contain user input (it depends only on the type)."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}"  # never the file name, which may be the user's
    for kind in type(exc).__mro__:
        if kind in _REASONS:
            return _REASONS[kind]
    return "an unexpected failure"


# -- the errors ------------------------------------------------------------------------------------


class UserError(Exception):
    """An error caused by the request or the configuration, with a message a user can act on.

    `param` names the request field at fault (e.g. "temperature", "model"), or None.
    """

    title = "Error"
    status: ClassVar[int] = 400  # the HTTP status of a response carrying this error
    type: ClassVar[str] = "invalid_request_error"  # OpenAI's error.type
    code: ClassVar[str | None] = None  # OpenAI's error.code: a stable name for clients to test
    param: str | None = None

    def __init__(self, message: str = "", *, param: str | None = None):
        super().__init__(message)
        if param is not None:
            self.param = param

    @property
    def details(self) -> dict[str, str | None]:
        """The body of an OpenAI-style error: {"message", "type", "param", "code"}."""
        return {"message": str(self), "type": self.type, "param": self.param, "code": self.code}


class ConfigError(UserError):
    """`models.yaml` is malformed. `problems` holds one line per problem."""

    title = "Configuration error"
    status = 500
    type = "server_error"
    code = "config_error"

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ModelNotFound(UserError):
    title = "Unknown model"
    status = 404
    code = "model_not_found"
    param = "model"

    def __init__(self, name: str, known: list[str]):
        choices = ", ".join(sorted(known)) or "none"
        super().__init__(
            f"Model {quote(name)} is not configured. Choose one of: {choices} (or add it to models.yaml)."
        )


class WrongTask(UserError):
    title = "Wrong model type"
    code = "wrong_model_task"
    param = "model"

    def __init__(self, name: str, task: str, wanted: str | tuple[str, ...], choices: list[str]):
        wanted_text = wanted if isinstance(wanted, str) else " or ".join(wanted)
        options = ", ".join(sorted(choices)) or "none is configured"
        super().__init__(
            f"Model {quote(name)} is a {task!r} model, but this needs a {wanted_text!r} model. "
            f"Choose one of: {options}."
        )


class ModelLoadFailed(UserError):
    """The model could not be built (missing files, a device that refused it, ...): the server cannot
    serve it until someone fixes the cause, so 503, not a fault of the request."""

    title = "Model failed to load"
    status = 503
    type = "server_error"
    code = "model_load_failed"

    def __init__(self, name: str, device: str, reason: str):
        self.reason = reason
        super().__init__(
            f"Model {quote(name)} failed to load on {clip(device)}: {reason}. "
            "Fix the cause (see the Models tab), then load it again."
        )


class ModelNotReady(UserError):
    title = "Model not loaded"
    status = 503
    type = "server_error"
    code = "model_not_ready"


class DeviceNotAvailable(UserError):
    title = "Device not available"
    code = "device_not_available"
    param = "device"

    def __init__(self, device: str, missing: str, available: list[str]):
        options = ", ".join(available) or "none"
        super().__init__(
            f"Device {quote(device)} needs {quote(missing)}, which OpenVINO does not see on this machine. "
            f"Available devices: {options}. Pick one of them (or AUTO)."
        )


class InvalidInput(UserError):
    title = "Invalid input"
    code = "invalid_value"


class ModelBusy(UserError):
    """The model kept serving others for the whole queue timeout: the server is overloaded, not the
    client over a quota, so 503 (which clients such as the OpenAI SDK retry), not 429."""

    title = "Model busy"
    status = 503
    type = "server_error"
    code = "model_busy"

    def __init__(self, name: str, waited_s: float):
        super().__init__(
            f"Model {quote(name)} is still serving other requests after {waited_s:.0f} s. Try again shortly."
        )


class ModelQueueFull(ModelBusy):
    """Refused at once: `max_queue` requests already wait for the model (models.yaml bounds each
    model's queue, so no request waits behind a long one). 429 with Retry-After, which clients
    such as the OpenAI SDK retry. A ModelBusy, so callers that handle that handle this too; its
    type follows the rule that every status below 500 is an `invalid_request_error`."""

    title = "Model busy"
    status = 429
    type = "invalid_request_error"
    code = "model_queue_full"

    def __init__(self, name: str, waiting: int, serving: int = 1):
        if waiting == 0:
            doing = "another request" if serving == 1 else f"{serving} requests, as many as it batches"
            why = f"it is serving {doing} and max_queue in models.yaml is 0, so none may wait"
        else:
            queued = "1 request is" if waiting == 1 else f"{waiting} requests are"
            why = f"{queued} already waiting (max_queue in models.yaml)"
        UserError.__init__(self, f"Model {quote(name)} is busy: {why}; retry in a moment.")


# -- issue 11 (pool and devices): a device string that leaves no device ------------------------


class NoDeviceLeft(DeviceNotAvailable):
    """AUTO's '-DEV' exclusions (or its list) leave no device OpenVINO sees, e.g. AUTO:-CPU on a
    machine with only a CPU. A DeviceNotAvailable, so callers that handle that handle this too."""

    code = "no_device_left"

    def __init__(self, device: str, excluded: list[str], available: list[str]):
        options = ", ".join(available) or "no device"
        what = f"it excludes {', '.join(excluded)} and " if excluded else ""
        UserError.__init__(
            self,
            f"Device {quote(device)} leaves no device to run on: {what}OpenVINO sees only {options} on "
            "this machine. Pick one of the available devices (or AUTO).",
        )


# -- issue 14 (runtime operations): memory budgets ---------------------------------------------


class ModelTooLarge(UserError):
    """The model alone needs more memory than its device's budget (defaults.memory_budget_gb), so
    no eviction can make room: 507, the server lacks the storage, not the client's fault."""

    title = "Model too large for the memory budget"
    status = 507
    type = "server_error"
    code = "model_too_large"

    def __init__(self, name: str, device: str, need_gb: float, budget_gb: float, measured: bool):
        how = "measured at its last load" if measured else "its size on disk (it was never loaded)"
        super().__init__(
            f"Model {quote(name)} needs {need_gb:.2f} GB ({how}), more than the {budget_gb:g} GB memory "
            f"budget of {clip(device)} (defaults.memory_budget_gb in models.yaml). Raise the budget, or "
            "use a smaller weight format (int4) or another device."
        )


class ConfigNotApplied(ConfigError):
    """A reload found models.yaml broken: every problem is listed and nothing changed. 400: the
    operator's file is at fault, and the server goes on serving what it served."""

    title = "models.yaml not applied"
    status = 400
    type = "invalid_request_error"
    code = "config_invalid"

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.args = (
            "models.yaml was not applied; nothing changed. Fix these and reload:\n" + "\n".join(problems),
        )

    def __str__(self) -> str:
        return str(self.args[0])


# -- issue 15 (remote endpoints): another server that cannot serve a model now ---------------------


class RemoteUnavailable(UserError):
    """A model served by another server (models.yaml `remote`) could not be reached: the connection
    failed, or that server said it is busy. 503, as for a local model that cannot serve now (clients
    such as the OpenAI SDK retry it). `reason` (the endpoint and what went wrong) is what the Models
    tab's error column shows. Messages name the endpoint's URL, never its API key."""

    title = "Remote endpoint unavailable"
    status = 503
    type = "server_error"
    code = "remote_unavailable"

    def __init__(self, name: str, endpoint: str, what: str):
        self.reason = f"{endpoint} {what}"
        super().__init__(f"Model {quote(name)} is served by {endpoint}, which {what}.")


class RemoteFailed(RemoteUnavailable):
    """The remote server answered, but with an error that is not the request's fault (a 5xx, a
    refused API key, a route it does not offer, a malformed answer): 502, a bad gateway."""

    title = "Remote endpoint failed"
    status = 502
    code = "remote_error"


class RemoteTimeout(RemoteUnavailable):
    """The remote server did not answer (or a stream paused) for longer than `remote.timeout_s`: 504."""

    title = "Remote endpoint timed out"
    status = 504
    code = "remote_timeout"
