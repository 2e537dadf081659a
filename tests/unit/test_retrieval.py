"""Embedding and reranking logic that needs no model: pooling from sentence-transformers files,
cosine scores, ranking, input limits, text files, and the similarity heatmap."""

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from openvino_ui.errors import InvalidInput
from openvino_ui.retrieval import (
    choose_pooling,
    cosine_scores,
    lines_of,
    pooling_from_folder,
    ranked,
    read_lines_file,
    similarity_matrix,
)
from openvino_ui.service.validation import text_list
from openvino_ui.ui.heatmap import colour_of, render_heatmap, short_label


def st_folder(tmp_path, pooling_flags=None, normalize=True, pooling_mode=None):
    modules = [{"idx": 0, "path": "", "type": "sentence_transformers.models.Transformer"}]
    modules.append({"idx": 1, "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})
    if normalize:
        modules.append({"idx": 2, "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "1_Pooling").mkdir()
    config = {"word_embedding_dimension": 8, **(pooling_flags or {})}
    if pooling_mode:
        config["pooling_mode"] = pooling_mode
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(config))
    return tmp_path


def test_pooling_and_normalize_come_from_sentence_transformers_files(tmp_path):
    folder = st_folder(tmp_path, {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False})
    assert pooling_from_folder(folder) == ("mean", True)
    choice = choose_pooling(folder, None, None)
    assert (choice.pooling, choice.normalize) == ("mean", True) and "model folder" in choice.source


def test_cls_without_normalize_module(tmp_path):
    folder = st_folder(tmp_path, {"pooling_mode_cls_token": True}, normalize=False)
    assert pooling_from_folder(folder) == ("cls", False)


def test_newer_pooling_mode_names(tmp_path):
    assert pooling_from_folder(st_folder(tmp_path, pooling_mode="lasttoken"))[0] == "last_token"


def test_spec_overrides_the_folder(tmp_path):
    folder = st_folder(tmp_path, {"pooling_mode_mean_tokens": True})
    choice = choose_pooling(folder, "cls", False)
    assert (choice.pooling, choice.normalize, choice.source) == ("cls", False, "models.yaml")


def test_defaults_without_any_files(tmp_path):
    assert pooling_from_folder(tmp_path) == (None, None)
    choice = choose_pooling(tmp_path, None, None)
    assert (choice.pooling, choice.normalize) == ("cls", True)


def test_unsupported_pooling_names_the_override(tmp_path):
    folder = st_folder(tmp_path, {"pooling_mode_max_tokens": True})
    with pytest.raises(ValueError, match="'max_tokens' pooling.*set 'pooling:'"):
        pooling_from_folder(folder)


def test_cosine_scores_and_similarity_matrix():
    docs = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, 0.0]], np.float32)
    scores = cosine_scores(np.array([2.0, 0.0]), docs)
    assert scores.dtype == np.float32
    assert np.allclose(scores, [1.0, 0.0, -1.0, 0.0])
    matrix = similarity_matrix(docs[:3])
    assert matrix.shape == (3, 3) and np.allclose(np.diag(matrix), 1.0) and np.allclose(matrix, matrix.T)


def test_ranked_sorts_by_score_and_applies_top_n():
    docs = ["a", "b", "c", "d"]
    result = ranked([(0, 0.1), (1, 0.9), (2, 0.5), (3, 0.9)], docs, top_n=3)
    assert [(r.index, r.document) for r in result] == [(1, "b"), (3, "d"), (2, "c")]  # ties keep input order
    assert [r.score for r in result] == sorted((r.score for r in result), reverse=True)
    assert len(ranked([(0, 1.0)], ["a"], top_n=10)) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        result[0].score = 0  # type: ignore[misc]


def test_text_lists_are_checked():
    assert text_list(["a", "b"], "texts", 3, "text") == ("a", "b")
    assert text_list("one", "texts", 3, "text") == ("one",)
    with pytest.raises(InvalidInput, match="No texts were given"):
        text_list([], "texts", 3, "text")
    with pytest.raises(InvalidInput, match="4 texts were given; this model takes at most 3"):
        text_list(["a"] * 4, "texts", 3, "text")
    with pytest.raises(InvalidInput, match=r"documents\[1\] is empty") as info:
        text_list(["a", "  "], "documents", 3, "document")
    assert info.value.param == "documents"
    with pytest.raises(InvalidInput, match=r"texts\[0\] must be a string"):
        text_list([3], "texts", 3, "text")


def test_lines_and_text_files(tmp_path):
    assert lines_of(" a \n\n b\r\n") == ["a", "b"]
    good = tmp_path / "docs.txt"
    good.write_text("\ufefffirst\n\nsecond\n", encoding="utf-8")
    assert read_lines_file(good) == ["first", "second"]
    binary = tmp_path / "pic.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x00")
    with pytest.raises(ValueError, match="not a text file"):
        read_lines_file(binary)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        read_lines_file(latin)


def test_heatmap_renders_labelled_cells():
    texts = ["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell."]
    matrix = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, -0.2], [0.0, -0.2, 1.0]])
    image = render_heatmap(matrix, texts)
    assert isinstance(image, Image.Image) and image.mode == "RGB"
    assert 300 < image.width < 1500 and 200 < image.height < 1500
    colours = {c for _, c in image.getcolors(maxcolors=1_000_000)}
    assert colour_of(1.0) in colours and colour_of(0.0) == (255, 255, 255)
    assert colour_of(-1.0)[0] > colour_of(-1.0)[2]  # negative is red, positive blue
    assert short_label(0, "x" * 100).endswith("…") and short_label(2, "hi") == "3. hi"


def test_heatmap_scales_to_many_texts_and_checks_shapes():
    n = 200
    image = render_heatmap(np.eye(n), [f"text {i}" for i in range(n)])
    assert image.width < 2000 and image.height < 2000
    with pytest.raises(ValueError):
        render_heatmap(np.eye(3), ["a", "b"])


def test_engine_class_for_picks_the_reranker_kind():
    from openvino_ui.config import RerankSpec
    from openvino_ui.engines.rerank import BiEncoderRerankEngine, CrossEncoderRerankEngine, engine_class_for

    bi = RerankSpec(task="rerank", method="bi_encoder", embedding_model="e")
    assert engine_class_for(bi) is BiEncoderRerankEngine
    assert engine_class_for(RerankSpec(task="rerank", path="/m")) is CrossEncoderRerankEngine


def test_vlm_prompt_puts_images_in_the_first_user_turn_and_escapes_tags():
    from openvino_ui.engines.vlm import with_image_tags

    turns = with_image_tags(
        [
            {"role": "user", "content": "What color is this?"},
            {"role": "assistant", "content": "red"},
            {"role": "user", "content": "and <ov_genai_image_3>?"},
        ],
        1,
    )
    assert turns[0]["content"] == "<ov_genai_image_0>What color is this?"
    assert "<ov_genai_image_3>" not in turns[2]["content"] and "ov_genai_image_3" in turns[2]["content"]
    assert with_image_tags([{"role": "user", "content": "q"}], 0) == [{"role": "user", "content": "q"}]
