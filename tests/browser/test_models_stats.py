"""The Models tab's server panel: the figures of server_stats and the two charts (requests per second,
process memory) render, and they follow a request served in the meantime."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

from .conftest import ARTIFACTS, open_tab

pytestmark = pytest.mark.browser

MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-rerank")}
SCREENSHOT = "/tmp/stats_panel.png"


@pytest.fixture(scope="module")
def stats_app(tmp_path_factory):
    """An app of its own: the panel's request count must not see other tests' requests."""
    config = write_test_config(tmp_path_factory.mktemp("stats-ui"), MODELS)
    app = launch_app(config)
    yield app
    close_app(app)


def test_models_tab_shows_the_server_panel_and_charts(browser, stats_app, request):
    served = httpx.post(stats_app.url + "v1/embeddings", json={"input": "a cat"}, timeout=120)
    assert served.status_code == 200  # one request, and a loaded model
    stats_app.server.telemetry.sample_now()  # a second point (the first: at startup): a line to draw
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(stats_app.url)
        page.wait_for_selector("#tab-chat", state="attached")
        open_tab(page, "Models")
        panel = page.locator("#models-server-stats")
        expect(panel).to_contain_text("Uptime")
        expect(panel).to_contain_text(re.compile(r"Loaded models \(1 of 2\): tiny-embed"))
        expect(panel).to_contain_text("OpenVINO 20")
        expect(panel).to_contain_text("no device reports it")
        expect(panel.get_by_role("cell").nth(1)).to_have_text("1")  # the request counted
        for chart in ("#models-server-rps", "#models-server-memory"):
            expect(page.locator(chart)).to_be_visible()
            # the chart is drawn (vega's canvas or svg) once the history has its first point
            expect(page.locator(f"{chart} canvas, {chart} svg").first).to_be_visible()
        page.locator("#models-server-memory").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOT, full_page=False)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True, timeout=10_000)
        except Exception as exc:  # a missing screenshot must not fail a journey that passed
            print(f"screenshot failed: {exc}")
        context.close()
