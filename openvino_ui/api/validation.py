"""Checks on request values shared by the endpoints; each failure names the value and the fix."""

from ..errors import InvalidInput
from ..pool import EnginePool


def pick_model(pool: EnginePool, model: str | None, task: str | tuple[str, ...]) -> str:
    """The requested model name, or the first configured model of `task` when none is given."""
    if model:
        return model
    names = pool.names(task)
    if not names:
        wanted = task if isinstance(task, str) else " or ".join(task)
        raise InvalidInput(f"No {wanted!r} model is configured; add one to models.yaml.")
    return names[0]


def require_text(value: str | None, what: str, max_chars: int) -> str:
    """Non-empty text of at most `max_chars` characters."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"The {what} is empty; type some text first.")
    if len(text) > max_chars:
        raise InvalidInput(
            f"The {what} has {len(text)} characters; the limit is {max_chars}. Shorten it "
            "(the limit is set per model in models.yaml)."
        )
    return text


def bounded(value: float | int | None, default: float | int, low: float, high: float, what: str) -> float:
    """`value` (or `default` when None) if it lies in [low, high]; otherwise a clear error."""
    if value is None:
        return default
    if not (low <= value <= high):
        raise InvalidInput(f"{what} must be between {low:g} and {high:g}; got {value:g}.")
    return value
