"""The Models tab's details panel: opened, it shows the picked model (weight format, sizes,
compiled properties once loaded, versions) and a table of inputs and outputs per IR file; picking
another model shows that one."""

import pytest
from playwright.sync_api import expect

from .conftest import open_tab

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/details_panel.png"


def pick(page, name: str) -> None:
    page.locator("#models-details-name input").click()
    page.get_by_role("option", name=name, exact=True).click()


def test_details_panel_shows_the_picked_model(page, client):
    client.predict("tiny-chat", "", api_name="/load_model")  # so it has compiled properties
    open_tab(page, "Models")
    page.locator("#models-details").get_by_text("Model details", exact=True).click()
    summary = page.locator("#models-details-summary")
    irs = page.locator("#models-details-irs")
    expect(summary).to_contain_text("tiny-chat · llm · ready on CPU")
    for text in ("Weight format", "fp32", "Size on disk", "Memory at load", "KV_CACHE_PRECISION"):
        expect(summary).to_contain_text(text)
    for text in ("openvino_model.xml", "openvino_tokenizer.xml", "input_ids", "[?,?]", "logits"):
        expect(irs).to_contain_text(text)
    page.locator("#models-details").scroll_into_view_if_needed()
    page.locator("#models-details").screenshot(path=SCREENSHOT)

    pick(page, "tiny-vision")
    expect(irs).to_contain_text("openvino_language_model.xml")
    expect(irs).to_contain_text("inputs_embeds")
    expect(summary).to_contain_text("tiny-vision · vlm")

    pick(page, "tiny-bi-rerank")
    expect(summary).to_contain_text("no IR of its own")
    expect(summary).to_contain_text("'tiny-embed'")
