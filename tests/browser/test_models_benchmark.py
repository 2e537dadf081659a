"""The Models tab's device benchmark panel: benchmark the tiny chat model on the CPU and see its
medians as bar charts and its row among the kept results."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from openvino_ui.device_bench import DB_ENV
from tests.conftest import TEST_MODELS, close_app, launch_app, write_test_config

from .conftest import ARTIFACTS, open_tab

pytestmark = pytest.mark.browser

MODELS = {name: TEST_MODELS[name] for name in ("tiny-chat", "tiny-embed")}
SCREENSHOT = "/tmp/bench_panel.png"


@pytest.fixture(scope="module")
def bench_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench-ui")
    with pytest.MonkeyPatch.context() as patch:  # results kept here, not in the user's cache
        patch.setenv(DB_ENV, str(folder / "benchmarks.sqlite"))
        app = launch_app(write_test_config(folder, MODELS))
        yield app
        close_app(app)


def test_a_benchmark_from_the_models_tab_shows_its_chart_and_row(browser, bench_app, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(bench_app.url)
        page.wait_for_selector("#tab-chat", state="attached")
        open_tab(page, "Models")
        page.locator("#models-benchmark").get_by_text("Device benchmark").click()
        page.locator("#bench-model input").click()
        page.get_by_role("option", name="tiny-chat", exact=True).click()
        expect(page.locator("#bench-devices").get_by_label("CPU")).to_be_checked()

        page.locator("#bench-run").click()
        expect(page.locator("#bench-status")).to_contain_text("tiny-chat measured on CPU", timeout=120_000)
        for chart in ("#bench-chart-1", "#bench-chart-2"):
            expect(page.locator(chart)).to_be_visible()
            expect(page.locator(f"{chart} canvas, {chart} svg").first).to_be_visible()
        row = page.locator("#bench-history").get_by_role("row").filter(has_text="tiny-chat").first
        expect(row).to_contain_text("CPU")
        expect(row).to_contain_text("TTFT, 512-token prompt")
        expect(row).to_contain_text("OpenVINO")
        page.locator("#models-benchmark").scroll_into_view_if_needed()
        page.locator("#models-benchmark").screenshot(path=SCREENSHOT)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
