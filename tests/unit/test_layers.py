"""The import rules of the layers, checked by reading the sources (ast), not by importing them.

Dependencies point one way: config (and the other plain modules) -> engines -> pool -> service ->
(api | ui | rest) -> server / cli. Every import counts: at the top, inside a function, or under
TYPE_CHECKING (a type is a dependency too). The rules:

* openvino_genai only in engines/ (and bench/, which measures the runtime itself against peer
  runtimes: its cases build raw pipelines on purpose);
* gradio only in ui/ and api/; fastapi only in rest/ (and bench/, whose REST case runs a bare
  FastAPI echo as the peer); service/ imports neither;
* engines/ do not import prepare (a model folder holds what an engine needs: prepare writes it);
* prepare/ and fixtures/ do not import each other (shared code lives in conversion.py and
  fixture_cache.py);
* bench/ uses the public interfaces: not ui/ (it drives the app through openvino_ui.server, the
  entry point `openvino-ui serve` uses), no private name of pool (EnginePool is its interface), and
  of prepare only the package itself (prepare_models, transformers_checkpoint, ...) and its recipe
  registry (prepare.recipes), never its other modules ("prepare internals").
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import openvino_ui

ROOT = Path(openvino_ui.__file__).parent
PACKAGE = "openvino_ui"

# The layers of the serving path, lowest first: a module may import its own layer and those below.
LAYERS: dict[str, int] = {
    "engines": 1,
    "cluster": 1,  # Ray Serve engines: replicas wrap the local engines
    "pool": 2,
    "memory": 2,
    "service": 3,
    "api": 4,
    "ui": 4,
    "rest": 4,
    "server": 5,
}
# Modules in none of the layers above are the plain base (config, errors, generation, audio, ...),
# or tools beside the serving path (prepare, fixtures, bench, cli, metrics), checked by their rules.


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "openvino_ui.service.text"
    target: str  # the imported module, e.g. "openvino_ui.pool" or "gradio"
    name: str | None = None  # for `from target import name`: the name (not a submodule)
    line: int = 0

    def __str__(self) -> str:
        what = f"{self.target}.{self.name}" if self.name else self.target
        return f"{self.source}:{self.line} imports {what}"


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join((PACKAGE, *parts))


def is_module(dotted: str) -> bool:
    """True if `dotted` (openvino_ui.x.y) is a module or package of ours."""
    relative = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative / "__init__.py").is_file()


def imports_in(path: Path) -> list[Import]:
    source = module_of(path)
    package = source if path.name == "__init__.py" else source.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(source, alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if target.startswith(PACKAGE) and is_module(submodule):
                    found.append(Import(source, submodule, None, node.lineno))
                else:
                    found.append(Import(source, target, alias.name, node.lineno))
    return found


ALL_IMPORTS = [imp for path in sorted(ROOT.rglob("*.py")) for imp in imports_in(path)]


def within(module: str, *areas: str) -> bool:
    """True if `module` is one of openvino_ui.<area> or inside it."""
    return any(module == f"{PACKAGE}.{a}" or module.startswith(f"{PACKAGE}.{a}.") for a in areas)


def uses(target: str, top: str) -> bool:
    return target == top or target.startswith(top + ".")


def violations(rule) -> list[str]:
    return [str(imp) for imp in ALL_IMPORTS if rule(imp)]


def test_the_parser_sees_every_kind_of_import():
    imports = {(i.target, i.name) for i in imports_in(ROOT / "service" / "core.py")}
    assert ("openvino_ui.pool", "EnginePool") in imports  # from ..pool import EnginePool
    assert ("openvino_ui.engines.llm", "LLMEngine") in imports  # under TYPE_CHECKING
    assert ("openvino_ui.service.validation", "pick_model") in imports  # from .validation import
    lazy = {i.target for i in imports_in(ROOT / "pool.py")}
    assert "openvino_ui.engines" in lazy and "openvino" in lazy  # imports inside functions count
    assert len(ALL_IMPORTS) > 300


def test_ray_only_in_the_cluster_engine():
    assert violations(lambda i: uses(i.target, "ray") and not within(i.source, "cluster")) == []


def test_openvino_genai_only_in_engines_and_the_bench():
    assert (
        violations(lambda i: uses(i.target, "openvino_genai") and not within(i.source, "engines", "bench"))
        == []
    )


def test_gradio_only_in_ui_and_api():
    assert violations(lambda i: uses(i.target, "gradio") and not within(i.source, "ui", "api")) == []


def test_fastapi_only_in_rest_and_the_bench():
    assert violations(lambda i: uses(i.target, "fastapi") and not within(i.source, "rest", "bench")) == []


def test_the_service_imports_neither_gradio_nor_fastapi_nor_its_adapters():
    web = ("gradio", "gradio_client", "fastapi", "starlette", "uvicorn")
    adapters = ("api", "ui", "rest", "server", "cli")
    assert (
        violations(
            lambda i: (
                within(i.source, "service")
                and (any(uses(i.target, top) for top in web) or within(i.target, *adapters))
            )
        )
        == []
    )


def test_dependencies_point_one_way():
    def layer(module: str) -> int | None:
        part = module.split(".")[1] if module.startswith(PACKAGE + ".") else None
        return LAYERS.get(part or "")

    def upward(i: Import) -> bool:
        low, high = layer(i.source), layer(i.target)
        return low is not None and high is not None and high > low

    assert violations(upward) == []
    # the base modules (config, errors, generation, ...) import no layer at all
    assert (
        violations(
            lambda i: (
                layer(i.source) is None
                and not within(i.source, "prepare", "fixtures", "bench", "cli", "metrics", "__main__")
                and layer(i.target) is not None
            )
        )
        == []
    )


def test_engines_do_not_import_prepare():
    assert violations(lambda i: within(i.source, "engines") and within(i.target, "prepare")) == []


def test_prepare_and_fixtures_do_not_import_each_other():
    assert violations(lambda i: within(i.source, "prepare") and within(i.target, "fixtures")) == []
    assert violations(lambda i: within(i.source, "fixtures") and within(i.target, "prepare")) == []


@pytest.mark.parametrize(
    ("what", "rule"),
    [
        ("the ui", lambda i: within(i.target, "ui")),
        ("a private name of the pool", lambda i: within(i.target, "pool") and (i.name or "").startswith("_")),
        (
            "prepare's internals",
            lambda i: (
                within(i.target, "prepare")
                and i.target not in (f"{PACKAGE}.prepare", f"{PACKAGE}.prepare.recipes")
            ),
        ),
        ("the engines' modules", lambda i: within(i.target, "engines") and i.target != f"{PACKAGE}.engines"),
    ],
)
def test_the_bench_uses_public_interfaces(what, rule):
    assert violations(lambda i: within(i.source, "bench") and rule(i)) == [], f"bench imports {what}"
