"""Check a JSON schema before it constrains generation.

openvino-genai compiles a request's schema into a grammar (xgrammar) when the request is first
scheduled. On the plain pipeline a refusal fails only that request; in a continuous-batching step
it fails the step, and with it every request in the batch. So a schema is checked here first: it
must be a valid JSON schema (the `jsonschema` package's metaschema check, Draft 2020-12), and free
of what the grammar compiler refuses although the metaschema allows it (measured on openvino-genai
2026.4: contradictory bounds, empty enums, unresolvable local references, regular-expression
features beyond its dialect). The message names the problem and where it is in the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from .errors import InvalidInput, clip

# Regular-expression features the grammar compiler does not support (it says "not supported yet").
_REGEX_REFUSED = (
    (re.compile(r"\(\?[=!]|\(\?<[=!]"), "lookaround assertions"),
    (re.compile(r"\(\?(?!:)"), "group flags and named groups ((?i), (?P<name>...))"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\[1-9]"), "backreferences"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\[bB]"), "word boundaries (\\b)"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\[pP]\{"), "Unicode classes (\\p{...})"),
    (re.compile(r"(?<!\\)\{,\d"), "repetition without a lower bound ({,n})"),
)
_BOUNDS = (
    ("minimum", "maximum"),
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
    ("minContains", "maxContains"),
)


def check_json_schema(text: str) -> None:
    """Raise InvalidInput(param="json_schema") naming the first problem of the schema `text`."""
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise _refused(f"it is not JSON ({exc.msg})") from None
    if not isinstance(schema, dict | bool):
        raise _refused("it must be a JSON object")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise _refused(f"{clip(exc.message, 100)}{_where(exc.absolute_path)}") from None
    for path, node in _subschemas(schema, ()):
        problem = _problem(node, schema)
        if problem is not None:
            raise _refused(f"{problem}{_where(path)}")


def _problem(node: dict[str, Any], root: Any) -> str | None:
    for low, high in _BOUNDS:
        if _number(node.get(low)) and _number(node.get(high)) and node[low] > node[high]:
            return f"{low} {node[low]} is greater than {high} {node[high]}"
    if node.get("type") == "integer":
        for key in ("minimum", "maximum"):
            if _number(node.get(key)) and node[key] != int(node[key]):
                return f"{key} {node[key]} of an integer must be a whole number"
    if node.get("enum") == []:
        return "enum is empty: no value could match"
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name in node.get("required") or ():
            if properties.get(name) is False:
                return f"required property {clip(name, 40)!r} is false: no value could match"
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#") and not _resolves(root, ref):
        return f"$ref {clip(ref, 60)!r} points to nothing in the schema"
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        for found, feature in _REGEX_REFUSED:
            if found.search(pattern):
                return f"pattern {clip(pattern, 40)!r} uses {feature}, which generation cannot follow"
    return None


def _subschemas(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every object in the schema, with its path (plain values like `enum` lists are not walked)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("enum", "const", "default", "examples"):
                continue
            yield from _subschemas(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, (*path, index))


def _resolves(root: Any, ref: str) -> bool:
    node = root
    for part in ref[1:].split("/")[1:] if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return f" (at {clip('/'.join(parts), 60)})" if parts else ""


def _refused(reason: str) -> InvalidInput:
    return InvalidInput(f"The JSON schema cannot constrain generation: {reason}.", param="json_schema")
