"""Checks on request values, in one place; each failure is an InvalidInput naming the value and what
it accepts, e.g. "max_new_tokens must be between 1 and 2048 (an integer); got '10' (a string).", with
`param` set to the request field at fault ("max_new_tokens").

Typed and strict: a string is never read as a number, a float never truncated to an integer, a
boolean never taken for a number, NaN and infinity never pass, and text must be valid Unicode (a lone
surrogate such as "\\ud800" cannot be encoded for a model). Quoted values are capped (errors.quote).

Numbers: `Range` states what a parameter takes; `Range.check` validates one value and `Range.of_field`
reads the same rule from a pydantic field (see service/sampling.py's SamplingOptions), so that a
pydantic model and a plain parameter give the same message. The request models (service/requests.py)
run these checks in their validators; every adapter (Gradio, REST) gets the same messages.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel

from ..errors import InvalidInput, describe, quote
from ..pool import EnginePool

# Model names and device strings are short; a longer value is a mistake (and is not echoed whole).
MAX_NAME_CHARS = 200
MAX_DEVICE_CHARS = 80
# Option strings (language, voice) are short names too; a longer one is refused before an engine
# quotes it in a message.
MAX_OPTION_CHARS = 64
# Per text of an embedding or rerank request; far beyond any model's max_length (longer input is
# truncated by the model).
MAX_TEXT_CHARS = 100_000


def field_of(what: str) -> str | None:
    """The request field that `what` (as a message names a value) is: "texts[1]" -> "texts",
    "The message" -> "message", "history[0]['content']" -> "history"."""
    name = what.removeprefix("The ").split("[", 1)[0].split(" ", 1)[0]
    return name if name.isidentifier() else None


def invalid(message: str, what: str) -> InvalidInput:
    return InvalidInput(message, param=field_of(what))


# -- text ------------------------------------------------------------------------------------------


def check_unicode(value: Any, what: str, param: str | None = None) -> None:
    """Every string in `value` (nested lists, tuples and dicts too) must be valid Unicode text.

    JSON may carry a lone surrogate ("\\ud800"), which no model, tokenizer or log can encode.
    """
    param = param or field_of(what)
    if isinstance(value, str):
        if value.isascii():
            return
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = value[exc.start]
            raise InvalidInput(
                f"{what} is not valid Unicode text: it holds a lone surrogate (U+{ord(char):04X}) at "
                f"character {exc.start}. Send UTF-8 text.",
                param=param,
            ) from None
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_unicode(item, f"{what}[{i}]", param)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_unicode(key, f"a key of {what}", param)
            check_unicode(item, f"{what}[{quote(key)}]", param)


def string(value: Any, what: str, *, max_chars: int | None = None, optional: bool = False) -> str | None:
    """`value` if it is a string of valid Unicode (at most `max_chars` characters); None if `optional`."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        accepts = "a string or None" if optional else "a string"
        raise invalid(f"{what} must be {accepts}; got {describe(value)}.", what)
    if max_chars is not None and len(value) > max_chars:
        raise invalid(f"{what} has {len(value)} characters; it takes at most {max_chars}.", what)
    check_unicode(value, what)
    return value


def require_text(value: Any, what: str, max_chars: int | None = None) -> str:
    """Non-empty text (stripped) of at most `max_chars` characters (None: any); None counts as empty."""
    if value is not None and not isinstance(value, str):
        raise invalid(f"The {what} must be a string; got {describe(value)}.", what)
    text = (value or "").strip()
    if not text:
        raise invalid(f"The {what} is empty; type some text first.", what)
    if max_chars is not None and len(text) > max_chars:
        raise invalid(
            f"The {what} has {len(text)} characters; the limit is {max_chars}. Shorten it "
            "(the limit is set per model in models.yaml).",
            what,
        )
    check_unicode(text, f"The {what}")
    return text


def choice(value: Any, what: str, choices: Iterable[str]) -> str:
    """`value` if it is one of `choices` (strings)."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise invalid(f"{what} must be one of {listed}; got {describe(value)}.", what)
    return value


def text_list(value: Any, what: str, max_count: int | None, item: str) -> tuple[str, ...]:
    """A non-empty list of at most `max_count` non-empty strings (each <= MAX_TEXT_CHARS); one string
    is a list of one."""
    if isinstance(value, str):
        value = [value]
    elif value is None:
        value = []
    if not isinstance(value, list | tuple):
        raise invalid(f"{what} must be a list of strings; got {describe(value)}.", what)
    if not value:
        raise invalid(f"No {what} were given; send a list with at least one {item}.", what)
    if max_count is not None and len(value) > max_count:
        raise invalid(
            f"{len(value)} {what} were given; this model takes at most {max_count} per request "
            "(max_texts / max_documents in models.yaml). Send them in smaller batches.",
            what,
        )
    for i, text in enumerate(value):
        if not isinstance(text, str):
            raise invalid(f"{what}[{i}] must be a string; got {describe(text)}.", what)
        if not text.strip():
            raise invalid(f"{what}[{i}] is empty; remove it or give it some text.", what)
        if len(text) > MAX_TEXT_CHARS:
            raise invalid(f"{what}[{i}] has {len(text)} characters; the limit is {MAX_TEXT_CHARS}.", what)
        check_unicode(text, f"{what}[{i}]")
    return tuple(value)


# -- names -----------------------------------------------------------------------------------------


def model_name(value: Any, what: str = "model") -> str | None:
    """A model name, or None for "the default" (None or an empty string)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(f"{what} must be a model name (a string) from /models; got {describe(value)}.", what)
    return string(value, what, max_chars=MAX_NAME_CHARS)


def pick_model(pool: EnginePool, model: Any, task: str | tuple[str, ...]) -> str:
    """The requested model name, or the first configured model of `task` when none is given."""
    name = model_name(model)
    if name:
        return name
    names = pool.names(task)
    if not names:
        wanted = task if isinstance(task, str) else " or ".join(task)
        raise InvalidInput(f"No {wanted!r} model is configured; add one to models.yaml.", param="model")
    return names[0]


def device_name(value: Any) -> str | None:
    """A device string such as "CPU", "GPU.1" or "AUTO:GPU,CPU"; None or "" means the configured one.

    Only its type and length are checked here; devices.device_syntax_error checks the syntax.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_DEVICE_CHARS:
        raise InvalidInput(
            "device must be a device name such as CPU, GPU, GPU.1, NPU, AUTO or HETERO:GPU,CPU "
            f"(a string of at most {MAX_DEVICE_CHARS} characters); got {describe(value)}.",
            param="device",
        )
    return string(value, "device")


def option(value: Any, what: str) -> str | None:
    """A short option string (a language, a voice); None or "" means the default."""
    if value is None or value == "":
        return None
    return string(value, what, max_chars=MAX_OPTION_CHARS)


# -- numbers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """What a numeric parameter takes: an integer or a number (float), within optional bounds.

    Strict: an int for a float parameter is accepted (as a float), but never a bool, a string, a
    non-integral float for an int parameter, NaN or infinity.
    """

    kind: type[int] | type[float]
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: the value must be above `low`, not equal to it

    def describe(self) -> str:
        """E.g. "between 1 and 8 (an integer)", "above 0 and at most 1 (a number)", "a number"."""
        noun = "an integer" if self.kind is int else "a number"
        low, high = _fmt(self.low), _fmt(self.high)
        if self.low is None and self.high is None:
            return noun
        if self.low_open:
            bounds = f"above {low}" + (f" and at most {high}" if self.high is not None else "")
        elif self.low is None:
            bounds = f"at most {high}"
        elif self.high is None:
            bounds = f"at least {low}"
        else:
            bounds = f"between {low} and {high}"
        return f"{bounds} ({noun})"

    def message(self, what: str, value: Any, also: str = "") -> str:
        return f"{what} must be {self.describe()}{also}; got {describe(value)}."

    def check(self, value: Any, what: str, also: str = "") -> Any:
        """`value` as an int or float if it is of the right kind and within bounds; else InvalidInput.

        `also` extends the message with other accepted values, e.g. ", or None for the default".
        """
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid(self.message(what, value, also), what)
        if self.kind is int and not isinstance(value, int):
            raise invalid(self.message(what, value, also), what)
        if isinstance(value, float) and not math.isfinite(value):
            raise invalid(self.message(what, value, also), what)
        below = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        above = self.high is not None and value > self.high
        if below or above:
            raise invalid(self.message(what, value, also), what)
        return int(value) if self.kind is int else float(value)

    def with_high(self, high: float) -> Range:
        """The same rule with another upper bound (a model's own limit)."""
        return Range(self.kind, self.low, high, self.low_open)

    @classmethod
    def of_field(cls, model: type[BaseModel], name: str) -> Range:
        """The rule of a numeric pydantic field: its type (int or float) and its ge/gt/le/lt bounds,
        also when they sit in an annotated type inside an optional (`MaxNewTokens | None`)."""
        field = model.model_fields[name]
        kind: type[int] | type[float] = float
        rules: list[Any] = list(field.metadata)
        for member in typing.get_args(field.annotation) or (field.annotation,):
            if typing.get_origin(member) is typing.Annotated:
                base, *extras = typing.get_args(member)
                for extra in extras:
                    rules.extend(getattr(extra, "metadata", [extra]))
                member = base
            if member in (int, float):
                kind = member
        low = high = None
        low_open = False
        for rule in rules:
            if isinstance(rule, annotated_types.Ge):
                low = rule.ge
            elif isinstance(rule, annotated_types.Gt):
                low, low_open = rule.gt, True
            elif isinstance(rule, annotated_types.Le):
                high = rule.le
            elif isinstance(rule, annotated_types.Lt):
                high = rule.lt
        return cls(kind=kind, low=low, high=high, low_open=low_open)  # type: ignore[arg-type]


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    if isinstance(number, int) or float(number).is_integer():
        return str(int(number))
    return f"{number:g}"


def integer(value: Any, what: str, low: int | None = None, high: int | None = None, also: str = "") -> int:
    """An int in [low, high] (bounds optional)."""
    return Range(int, low, high).check(value, what, also)


def number(
    value: Any, what: str, low: float | None = None, high: float | None = None, also: str = ""
) -> float:
    """A finite number in [low, high] (bounds optional); an int is accepted as a float."""
    return Range(float, low, high).check(value, what, also)
