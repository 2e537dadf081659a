"""The Models tab's "Add or remove a model" panel in Chromium: a model added from a local folder shows
its preparation's progress, then appears in the table and the tab's model dropdowns; removing it
(with its files) takes it away again. The app serves a copy of a models.yaml in a temporary folder."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from openvino_ui.fixtures import fixture_path
from openvino_ui.prepare import run_in_process
from openvino_ui.service.catalog import CatalogService
from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

from .conftest import ARTIFACTS, open_tab

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/catalog_panel.png")


@pytest.fixture(scope="module")
def catalog_app(tmp_path_factory):
    config = write_test_config(
        tmp_path_factory.mktemp("catalog-ui"), {"tiny-embed": TEST_MODELS["tiny-embed"]}
    )
    app = launch_app(config)
    app.config = config
    yield app
    close_app(app)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch):
    """Prepare runs in this process and holds after its first progress step until `release` is set,
    so that the page can be seen showing it (no timing involved)."""
    reached, release = threading.Event(), threading.Event()

    def gated(job: Any, display: Any, log_path: Path) -> None:
        def held(event: dict[str, Any]) -> None:
            display(event)
            if event.get("event") == "advance" and not reached.is_set():
                reached.set()
                assert release.wait(120), "the test never released the build"

        run_in_process(job, held, log_path)

    monkeypatch.setattr(CatalogService, "prepare_runner", gated)
    yield reached, release
    release.set()


def row_of(page, name: str):
    return page.locator("#models-table").get_by_role("row").filter(has_text=name)


def choose(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_add_a_model_watch_it_prepare_and_remove_it(browser, catalog_app, gate, request):
    reached, release = gate
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(30_000)
    request.addfinalizer(context.close)
    page.goto(catalog_app.url)
    page.wait_for_selector("#tab-chat", state="attached")
    open_tab(page, "Models")
    page.locator("#catalog").get_by_text("Add or remove a model").click()

    page.locator("#catalog-name textarea").fill("browser-embed")
    choose(page, "catalog-task", "embedding")
    page.locator("#catalog-kind").get_by_text("Local folder").click()
    expect(page.locator("#catalog-source")).to_contain_text("Folder on the server")
    page.locator("#catalog-source textarea").fill(str(fixture_path("tiny-embedding")))
    page.locator("#catalog-description textarea").fill("added in the browser")
    page.locator("#catalog-add").click()

    # the progress bar shows prepare's step while the build is held
    assert reached.wait(60)
    expect(page.locator("#catalog-add-status")).to_contain_text(
        "Step 1 of 1: copy OpenVINO IR", timeout=30_000
    )
    page.locator("#catalog").screenshot(path=str(SCREENSHOT.with_name("catalog_progress.png")))
    release.set()

    status = page.locator("#catalog-add-status")
    expect(status).to_contain_text("browser-embed was added (embedding on CPU)", timeout=60_000)
    expect(row_of(page, "browser-embed")).to_contain_text("unloaded")
    assert "browser-embed:" in catalog_app.config.read_text()
    folder = catalog_app.config.parent / "models" / "browser-embed-int8"
    assert (folder / "openvino_model.xml").is_file()
    page.locator("#catalog").screenshot(path=str(SCREENSHOT))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "catalog_added.png"), full_page=True)

    # the tab's Load dropdown lists it at once, and loading it works
    choose(page, "models-name", "browser-embed")
    page.locator("#models-load").click()
    expect(page.locator("#models-status")).to_contain_text("browser-embed is ready on CPU", timeout=60_000)
    expect(row_of(page, "browser-embed")).to_contain_text("ready")

    choose(page, "catalog-remove-model", "browser-embed")
    page.locator("#catalog-delete-files input").check()
    page.locator("#catalog-remove").click()
    expect(page.locator("#catalog-remove-status")).to_contain_text(
        "browser-embed was removed from models.yaml and its folder", timeout=60_000
    )
    expect(row_of(page, "browser-embed")).to_have_count(0)
    assert not folder.exists() and "browser-embed" not in catalog_app.config.read_text()
    page.locator("#models-name input").click()
    expect(page.get_by_role("option", name="browser-embed", exact=True)).to_have_count(0)
