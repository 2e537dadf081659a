"""The Models tab shows the live state as soon as it is seen (defect 9): a model that has served a
request before the page was opened is `ready` with its request count, without waiting for the
periodic refresh. The test app has that refresh switched off, so only opening the page or selecting
the tab can fill the table."""

import re

import gradio as gr
import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_MODELS, free_port, write_test_config

from .conftest import open_tab

pytestmark = pytest.mark.browser

MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-chat")}


@pytest.fixture(scope="module")
def quiet_app(tmp_path_factory):
    """The app on two tiny models, every gr.Timer in it switched off."""
    from openvino_ui.config import load_config
    from openvino_ui.pool import EnginePool
    from openvino_ui.ui import CSS, build_app

    pool = EnginePool(load_config(write_test_config(tmp_path_factory.mktemp("quiet"), MODELS)))
    demo = build_app(pool)
    timers = [block for block in demo.blocks.values() if isinstance(block, gr.Timer)]
    assert timers, "the Models tab refreshes on a timer; this test switches it off"
    for timer in timers:  # launch() writes the page's config from these
        timer.active = False
        timer.value = 3600.0
    demo.queue()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
    pool.close()


@pytest.fixture
def quiet_page(browser, quiet_app):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def embed_once(url: str) -> None:
    from gradio_client import Client

    vectors = Client(url, verbose=False).predict(["a cat sat on the mat"], "tiny-embed", api_name="/embed")
    assert len(vectors) == 1


def row_text(page, name: str):
    # the table also holds a hidden sizing copy of its rows; roles skip it
    return page.locator("#models-table").get_by_role("row").filter(has_text=name).first


def status_and_requests(status: str, requests: int) -> re.Pattern:
    """A row's text is its cells, one per line: name, task, device, status, requests, failures, ..."""
    return re.compile(rf"^tiny-embed\s+embedding\s+\S+\s+{status}\s+{requests}\s", re.M)


def test_models_tab_shows_live_state_when_first_opened(quiet_page, quiet_app):
    embed_once(quiet_app)  # before the page is opened: the app was built with tiny-embed unloaded
    quiet_page.goto(quiet_app)
    quiet_page.wait_for_selector("#tab-chat", state="attached")
    open_tab(quiet_page, "Models")
    expect(row_text(quiet_page, "tiny-embed")).to_have_text(
        status_and_requests("ready", 1), use_inner_text=True, timeout=10_000
    )


def test_models_tab_is_refreshed_when_selected(quiet_page, quiet_app):
    quiet_page.goto(quiet_app)
    quiet_page.wait_for_selector("#tab-chat", state="attached")
    open_tab(quiet_page, "Models")
    row = row_text(quiet_page, "tiny-embed")
    expect(row).to_contain_text(re.compile(r"\bready\b"), timeout=10_000)
    before = int(row.inner_text().split("\n")[4])
    open_tab(quiet_page, "Chat")
    embed_once(quiet_app)  # while another tab is shown
    open_tab(quiet_page, "Models")
    expect(row).to_have_text(status_and_requests("ready", before + 1), use_inner_text=True, timeout=10_000)
