"""The Models tab's Operate panel (issue 14): switch a versioned model's version, change a model's
execution mode, reload models.yaml after an edit, and see memory per device, all from the browser."""

import pytest
import yaml
from playwright.sync_api import expect

from openvino_ui.fixtures import fixture_path
from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

from .conftest import ARTIFACTS, open_tab

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def operate_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operate-ui")
    versions = folder / "embed-versions"
    versions.mkdir()
    for number in ("1", "2"):
        (versions / number).symlink_to(fixture_path("tiny-embedding"), target_is_directory=True)
    models = {"tiny-embed": TEST_MODELS["tiny-embed"]}
    models["versioned-embed"] = (None, {"task": "embedding", "path": str(versions)})
    app = launch_app(write_test_config(folder, models))
    yield app
    close_app(app)


def choose(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_operate_panel_switches_versions_modes_and_reloads_the_config(browser, operate_app, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(operate_app.url)
        page.wait_for_selector("#tab-chat", state="attached")
        open_tab(page, "Models")
        page.locator("#models-operate").get_by_text("Operate: versions").click()
        status = page.locator("#operate-status")

        choose(page, "operate-model", "versioned-embed")
        choose(page, "operate-version", "1")
        page.locator("#operate-switch").click()
        expect(status).to_contain_text("versioned-embed serves version 1 on CPU")
        assert operate_app.pool.get("versioned-embed").version == 1
        expect(page.locator("#operate-memory")).to_contain_text("versioned-embed")

        choose(page, "operate-hint", "THROUGHPUT")
        page.locator("#operate-apply").click()
        expect(status).to_contain_text("rebuilt with PERFORMANCE_HINT=THROUGHPUT")
        assert operate_app.pool.get("versioned-embed").properties["PERFORMANCE_HINT"] == "THROUGHPUT"

        page.locator("#operate-streams textarea, #operate-streams input").first.fill("lots")
        page.locator("#operate-apply").click()
        expect(status).to_contain_text("Nothing changed: NUM_STREAMS must be")

        path = operate_app.pool.config.path
        data = yaml.safe_load(path.read_text())
        data["models"]["tiny-embed-copy"] = dict(data["models"]["tiny-embed"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        page.locator("#operate-reload-config").click()
        expect(status).to_contain_text("models.yaml applied: added tiny-embed-copy")
        expect(page.locator("#models-table")).to_contain_text("tiny-embed-copy", timeout=30_000)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "models_operate.png"), full_page=True)
        context.close()
