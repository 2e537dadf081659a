"""Decide, for each model in models.yaml, what `prepare` does: build it, leave it, or skip it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import FixtureSource, LocalSource, PyPISource
from .atomic import MARKER_VERSION, is_up_to_date, read_marker
from .recipes import RECIPES, Recipe

# The optimum-intel export task for each task of models.yaml (local and hub sources).
OPTIMUM_TASKS = {
    "llm": "text-generation-with-past",
    "vlm": "image-text-to-text",
    "asr": "automatic-speech-recognition-with-past",
    "embedding": "feature-extraction",
    "rerank": "text-classification",
    "tts": "text-to-audio",
}

BUILDERS = {
    "local": "openvino_ui.prepare.hf:build_local",
    "hub": "openvino_ui.prepare.hf:build_hub",
    "fixture": "openvino_ui.prepare.hf:build_fixture",
}


@dataclass
class Plan:
    """What to do with one model. `action` is build | up to date | skipped | kept | failed."""

    name: str
    spec: Any
    action: str
    reason: str = ""
    builder: str = ""
    fingerprint: dict[str, Any] | None = None
    recipe: Recipe | None = None

    @property
    def source_text(self) -> str:
        return describe_source(self.spec)


def describe_source(spec: Any) -> str:
    source = spec.source
    if source is None:
        return "-" if spec.path is None else "(folder)"
    if isinstance(source, FixtureSource):
        return f"fixture:{source.name}"
    # `weight_format: auto` was resolved when models.yaml was loaded: show both.
    variant = source.weight_format + (" (auto)" if source.auto_choice else "")
    if isinstance(source, PyPISource):
        return f"pypi:{source.recipe} {variant}"
    if isinstance(source, LocalSource):
        return f"local:{Path(source.path).name} {variant}"
    return f"hub:{source.repo_id} {variant}"


def fingerprint(spec: Any) -> dict[str, Any]:
    """What a prepared folder was built from; a different fingerprint means 'rebuild'."""
    source = spec.source
    data: dict[str, Any] = {
        "marker": MARKER_VERSION,
        "task": spec.task,
        "source": source.model_dump(mode="json"),
    }
    if isinstance(source, PyPISource):
        data["recipe_version"] = RECIPES[source.recipe].version
    elif isinstance(source, FixtureSource):
        data["fixture_key"] = _fixture_key(source.name)
    return data


def _fixture_key(name: str) -> str | None:
    """The fixture cache's hash of the builder code: a changed fixture builder rebuilds the copy."""
    from ..fixture_cache import cache_key

    try:
        return cache_key(name)
    except Exception:  # unknown fixture: the build reports it
        return None


def plan_model(name: str, spec: Any, force: bool = False) -> Plan:
    if spec.task == "rerank" and getattr(spec, "method", "") == "bi_encoder":
        return Plan(
            name, spec, "skipped", f"bi-encoder reranker: uses the embedding model {spec.embedding_model!r}"
        )
    if spec.source is None:
        if spec.path is not None and Path(spec.path).exists():
            return Plan(name, spec, "kept", "no source: the folder is used as it is")
        return Plan(
            name,
            spec,
            "failed",
            f"{spec.path} does not exist and the model has no 'source' to build "
            "it from: add a source (pypi, local, hub or fixture) or put an OpenVINO IR folder there",
        )
    source = spec.source
    recipe = None
    if isinstance(source, PyPISource):
        recipe = RECIPES[source.recipe]
        if spec.task not in recipe.tasks:
            return Plan(
                name,
                spec,
                "failed",
                f"recipe {recipe.name!r} makes a {'/'.join(recipe.tasks)} model, "
                f"but the model's task is {spec.task!r}",
            )
        if source.weight_format not in recipe.formats:
            return Plan(
                name,
                spec,
                "failed",
                f"recipe {recipe.name!r} supports weight_format "
                f"{' or '.join(recipe.formats)} only (got {source.weight_format!r})",
            )
        builder = recipe.builder
    else:
        builder = BUILDERS[source.kind]
    wanted = fingerprint(spec)
    path = Path(spec.path)
    if not force and is_up_to_date(path, wanted):
        return Plan(name, spec, "up to date", builder=builder, fingerprint=wanted, recipe=recipe)
    if (
        not force
        and path.exists()
        and read_marker(path) is None
        and (not path.is_dir() or any(path.iterdir()))
    ):
        return Plan(
            name,
            spec,
            "kept",
            f"{path} exists but was not made by `prepare`; it is used as it is "
            "(delete it, or run `openvino-ui prepare --force NAME`, to build it from its source)",
        )
    return Plan(name, spec, "build", builder=builder, fingerprint=wanted, recipe=recipe)
