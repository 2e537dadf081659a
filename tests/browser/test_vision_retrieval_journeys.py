"""Real journeys in Chromium: ask about an uploaded image and follow up; embed texts and see the
heatmap; rerank documents and read the table."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from openvino_ui.fixtures.retrieval import RERANK_DOCUMENTS
from openvino_ui.fixtures.vision import FOLLOW_UP, follow_up_answer

from .conftest import open_tab

pytestmark = pytest.mark.browser


def test_vision_answers_about_an_uploaded_image_and_follows_up(page, tmp_path):
    picture = tmp_path / "red.png"
    Image.new("RGB", (640, 480), (255, 0, 0)).save(picture)
    open_tab(page, "Vision")
    expect(page.locator("#vision-model-note")).to_contain_text("Demo model")
    page.locator("#vision-image input[type=file]").set_input_files(str(picture))
    expect(page.locator("#vision-image-info")).to_contain_text("image 640×480, scaled down to 448×336")
    page.locator("#vision-question textarea").fill("What color is this?")
    page.locator("#vision-send").click()
    expect(page.locator("#vision-history")).to_contain_text("red", timeout=30_000)
    expect(page.locator("#vision-readout")).to_contain_text("tok/s", timeout=30_000)
    page.locator("#vision-question textarea").fill(FOLLOW_UP)
    page.locator("#vision-question textarea").press("Enter")
    expect(page.locator("#vision-history")).to_contain_text(follow_up_answer("red"), timeout=30_000)


def test_vision_without_an_image_shows_an_error(page):
    open_tab(page, "Vision")
    page.locator("#vision-question textarea").fill("What color is this?")
    page.locator("#vision-send").click()
    expect(page.get_by_text("No image yet")).to_be_visible(timeout=10_000)


def test_embeddings_show_a_heatmap_and_the_vectors(page):
    open_tab(page, "Embeddings")
    page.locator("#embed-texts textarea").fill(
        "a cat sat on the mat\ndogs like to play\nparis is the capital"
    )
    page.locator("#embed-run").click()
    readout = page.locator("#embed-readout")
    expect(readout).to_contain_text("3 texts", timeout=30_000)
    expect(readout).to_contain_text("dimension 32")
    expect(page.locator("#embed-heatmap img")).to_be_visible()
    expect(page.locator("#embed-download")).to_contain_text(".json")


def test_rerank_shows_the_best_document_first(page):
    open_tab(page, "Reranking")
    page.locator("#rerank-query textarea, #rerank-query input").first.fill("capital of france")
    page.locator("#rerank-docs textarea").fill("\n".join(RERANK_DOCUMENTS))
    page.locator("#rerank-run").click()
    expect(page.locator("#rerank-readout")).to_contain_text("of 3 documents", timeout=30_000)
    first_row = page.locator("#rerank-table").get_by_role("row").nth(1)
    expect(first_row).to_contain_text(RERANK_DOCUMENTS[1])
