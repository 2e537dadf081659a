"""The bench runs the variant models.yaml serves: its folder, format and properties are read from
the config (none when the file is missing, so the bench builds its own copy)."""

from __future__ import annotations

from pathlib import Path

from openvino_ui.bench import assets


def test_the_products_model_format_and_properties_come_from_models_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "minilm"
    folder.mkdir()
    config = tmp_path / "models.yaml"
    config.write_text(
        "models:\n"
        f"  e: {{task: embedding, path: {folder}, properties: {{NUM_STREAMS: 1}},\n"
        "      source: {kind: pypi, recipe: all-minilm-l6-v2, weight_format: fp16}}\n"
    )
    assert assets.product_format("all-minilm-l6-v2", config) == "fp16"
    assert assets.product_properties("all-minilm-l6-v2", config) == {"NUM_STREAMS": 1}
    assert assets.product_model("all-minilm-l6-v2", config) is None  # not prepared yet
    (folder / "openvino_model.xml").write_text("<net/>")
    assert assets.product_model("all-minilm-l6-v2", config) == folder
    assert assets.product_model("all-minilm-l6-v2", config, weight_format="int8") is None
    assert assets.product_format("kokoro-82m", config) is None


def test_without_models_yaml_the_bench_has_no_product_model(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    assert assets.product_model("all-minilm-l6-v2", missing) is None
    assert assets.product_format("all-minilm-l6-v2", missing) is None
    assert assets.product_properties("all-minilm-l6-v2", missing) == {}
