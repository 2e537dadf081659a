"""The Models tab under --admin-key asks for the key in a password box (kept in the page only) before
Load and Unload work; under --read-only the buttons are off and the tab says why."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

from .conftest import ARTIFACTS, open_tab

pytestmark = pytest.mark.browser

USER_KEY = "user-key-7f3a9c"
ADMIN_KEY = "admin-key-b81d2e"
MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-rerank")}


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory):
    config = write_test_config(tmp_path_factory.mktemp("admin-ui"), MODELS)
    app = launch_app(config, "--api-key", USER_KEY, "--admin-key", ADMIN_KEY)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def read_only_app(tmp_path_factory):
    config = write_test_config(tmp_path_factory.mktemp("read-only-ui"), MODELS)
    app = launch_app(config, "--read-only")
    yield app
    close_app(app)


def models_page(browser, url: str, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("#tab-chat", state="attached")
    open_tab(page, "Models")
    request.addfinalizer(lambda: _close(page, context, request.node.name))
    return page


def _close(page, context, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), timeout=10_000)
    except Exception as exc:  # a missing screenshot must not fail a journey that passed
        print(f"screenshot failed: {exc}")
    context.close()


def pick(page, name: str) -> None:
    page.locator("#models-name input").click()
    page.get_by_role("option", name=name, exact=True).click()


def row_of(page, name: str):
    return page.locator("#models-table").get_by_role("row").filter(has_text=name).first


def test_models_tab_asks_for_the_admin_key(browser, admin_app, request):
    page = models_page(browser, admin_app.url, request)
    status = page.locator("#models-status")
    key = page.locator("#models-admin-key input")
    expect(page.locator("#models-access")).to_contain_text("needs the admin key")
    expect(key).to_be_visible()
    assert key.get_attribute("type") == "password"
    pick(page, "tiny-embed")

    page.locator("#models-load").click()
    expect(status).to_contain_text("Enter the admin key to load models", timeout=30_000)
    key.fill(USER_KEY)
    page.locator("#models-load").click()
    expect(status).to_contain_text("is an API key", timeout=30_000)
    key.fill("wrong-key-123")
    page.locator("#models-unload").click()
    expect(status).to_contain_text("not valid", timeout=30_000)
    expect(row_of(page, "tiny-embed")).to_contain_text("unloaded")

    key.fill(ADMIN_KEY)
    page.locator("#models-load").click()
    expect(status).to_contain_text("tiny-embed is ready on CPU", timeout=60_000)
    expect(row_of(page, "tiny-embed")).to_contain_text(re.compile(r"\bready\b"))
    page.locator("#models-unload").click()
    expect(status).to_contain_text("tiny-embed unloaded", timeout=60_000)

    # the panels' actions take the same key box: without it refused, with it done
    page.locator("#models-operate").get_by_text("Operate: versions").click()
    operate = page.locator("#operate-status")
    key.fill("")
    page.locator("#operate-reload-config").click()
    expect(operate).to_contain_text("Not allowed", timeout=30_000)
    key.fill(ADMIN_KEY)
    page.locator("#operate-reload-config").click()
    expect(operate).to_contain_text("models.yaml applied: nothing changed", timeout=30_000)

    # the key stays in the page: not in the browser's storage, gone after a reload
    stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage, document.cookie])")
    assert ADMIN_KEY not in stored
    page.reload()
    page.wait_for_selector("#tab-chat", state="attached")
    open_tab(page, "Models")
    expect(page.locator("#models-admin-key input")).to_have_value("")


def test_read_only_models_tab_disables_management(browser, read_only_app, request):
    page = models_page(browser, read_only_app.url, request)
    expect(page.locator("#models-access")).to_contain_text("read-only")
    expect(page.locator("#models-load")).to_be_disabled()
    expect(page.locator("#models-unload")).to_be_disabled()
    expect(page.locator("#models-admin-key")).to_be_hidden()
    expect(page.locator("#models-refresh")).to_be_enabled()
    for panel in ("Operate: versions", "Device benchmark", "Add or remove a model"):
        page.get_by_text(panel).first.click()
    for button in ("#operate-reload-config", "#operate-apply", "#bench-run", "#catalog-add"):
        expect(page.locator(button)).to_be_disabled()
    expect(row_of(page, "tiny-embed")).to_contain_text("unloaded")
