"""Checks on request values, in one place; each failure is an InvalidInput naming the value and what
it accepts, e.g. "max_new_tokens must be between 1 and 2048 (an integer); got '10' (a string)."

Typed and strict: a string is never read as a number, a float never truncated to an integer, a
boolean never taken for a number, NaN and infinity never pass, and text must be valid Unicode (a lone
surrogate such as "\\ud800" cannot be encoded for a model). Quoted values are capped (errors.quote).

Numbers: `Range` states what a parameter takes; `Range.check` validates one value and `Range.of_field`
reads the same rule from a strict pydantic field (see api/generation.py's SamplingRequest), so that a
pydantic model and a plain parameter give the same message. Shapes that a type hint can express
(str, str | None, Literal[...]) are checked for every endpoint by `argument_checker` (api/errors.py's
user_errors runs it); ranges and contents are checked by the endpoint with these functions.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

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


# -- text ------------------------------------------------------------------------------------------


def check_unicode(value: Any, what: str) -> None:
    """Every string in `value` (nested lists, tuples and dicts too) must be valid Unicode text.

    JSON may carry a lone surrogate ("\\ud800"), which no model, tokenizer or log can encode.
    """
    if isinstance(value, str):
        if value.isascii():
            return
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = value[exc.start]
            raise InvalidInput(
                f"{what} is not valid Unicode text: it holds a lone surrogate (U+{ord(char):04X}) at "
                f"character {exc.start}. Send UTF-8 text."
            ) from None
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_unicode(item, f"{what}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_unicode(key, f"a key of {what}")
            check_unicode(item, f"{what}[{quote(key)}]")


def string(value: Any, what: str, *, max_chars: int | None = None, optional: bool = False) -> str | None:
    """`value` if it is a string of valid Unicode (at most `max_chars` characters); None if `optional`."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        accepts = "a string or None" if optional else "a string"
        raise InvalidInput(f"{what} must be {accepts}; got {describe(value)}.")
    if max_chars is not None and len(value) > max_chars:
        raise InvalidInput(f"{what} has {len(value)} characters; it takes at most {max_chars}.")
    check_unicode(value, what)
    return value


def require_text(value: Any, what: str, max_chars: int) -> str:
    """Non-empty text (stripped) of at most `max_chars` characters; None counts as empty."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"The {what} must be a string; got {describe(value)}.")
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"The {what} is empty; type some text first.")
    if len(text) > max_chars:
        raise InvalidInput(
            f"The {what} has {len(text)} characters; the limit is {max_chars}. Shorten it "
            "(the limit is set per model in models.yaml)."
        )
    check_unicode(text, f"The {what}")
    return text


def choice(value: Any, what: str, choices: Iterable[str]) -> str:
    """`value` if it is one of `choices` (strings)."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise InvalidInput(f"{what} must be one of {listed}; got {describe(value)}.")
    return value


# -- names -----------------------------------------------------------------------------------------


def model_name(value: Any, what: str = "model") -> str | None:
    """A model name, or None for "the default" (None or an empty string)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a model name (a string) from /models; got {describe(value)}.")
    return string(value, what, max_chars=MAX_NAME_CHARS)


def pick_model(pool: EnginePool, model: Any, task: str | tuple[str, ...]) -> str:
    """The requested model name, or the first configured model of `task` when none is given."""
    name = model_name(model)
    if name:
        return name
    names = pool.names(task)
    if not names:
        wanted = task if isinstance(task, str) else " or ".join(task)
        raise InvalidInput(f"No {wanted!r} model is configured; add one to models.yaml.")
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
            f"(a string of at most {MAX_DEVICE_CHARS} characters); got {describe(value)}."
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
            raise InvalidInput(self.message(what, value, also))
        if self.kind is int and not isinstance(value, int):
            raise InvalidInput(self.message(what, value, also))
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(self.message(what, value, also))
        below = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        above = self.high is not None and value > self.high
        if below or above:
            raise InvalidInput(self.message(what, value, also))
        return int(value) if self.kind is int else float(value)

    @classmethod
    def of_field(cls, model: type[BaseModel], name: str) -> Range:
        """The rule of a numeric pydantic field: its type (int or float) and its ge/gt/le/lt bounds."""
        field = model.model_fields[name]
        kinds = [t for t in typing.get_args(field.annotation) or (field.annotation,) if t in (int, float)]
        low = high = None
        low_open = False
        for rule in field.metadata:
            if isinstance(rule, annotated_types.Ge):
                low = rule.ge
            elif isinstance(rule, annotated_types.Gt):
                low, low_open = rule.gt, True
            elif isinstance(rule, annotated_types.Le):
                high = rule.le
            elif isinstance(rule, annotated_types.Lt):
                high = rule.lt
        return cls(kind=kinds[0] if kinds else float, low=low, high=high, low_open=low_open)  # type: ignore[arg-type]


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


# -- whole calls -----------------------------------------------------------------------------------


def argument_checker(fn: Callable[..., Any]) -> Callable[[tuple, dict], None]:
    """A check of the arguments of a call to `fn` against what its type hints can say.

    Every argument must be valid Unicode throughout; a `str` parameter takes a string (or None when
    its hint allows None or its default is ""); a `Literal[...]` parameter takes one of its values.
    Numbers, lists and files are left to the endpoint, which knows their bounds.
    """
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn)
    strings: dict[str, bool] = {}  # parameter -> None allowed
    literals: dict[str, tuple[str, ...]] = {}
    for name, parameter in signature.parameters.items():
        hint = hints.get(name)
        args = typing.get_args(hint) if _is_union(hint) else (hint,)
        if typing.get_origin(hint) is Literal:
            literals[name] = tuple(typing.get_args(hint))
        elif str in args and all(a in (str, type(None)) for a in args):
            strings[name] = type(None) in args or parameter.default == ""
    names = [n for n in signature.parameters if n != "self"]

    def check(args: tuple, kwargs: dict) -> None:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            raise InvalidInput(
                f"{fn.__name__} takes {len(names)} values ({', '.join(names)}; see Client.view_api()); "
                f"got {len(args) + len(kwargs) - (1 if 'self' in signature.parameters else 0)}."
            ) from None
        for name, value in bound.arguments.items():
            if name == "self":
                continue
            check_unicode(value, name)
            if name in strings:
                string(value, name, optional=strings[name])
            elif name in literals:
                choice(value, name, literals[name])

    return check


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)
