"""Check the arguments of a Gradio endpoint call against what its type hints can say.

gr.api endpoints receive the client's JSON values as they are: a str parameter may get a number,
a Literal one any string. `argument_checker` refuses those with the service's messages before the
endpoint runs (api/errors.py's user_errors applies it); ranges, lists and contents are checked by
the service's request models (openvino_ui/service).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

from ..errors import InvalidInput
from ..service.validation import check_unicode, choice, string


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
