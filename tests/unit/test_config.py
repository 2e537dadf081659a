"""models.yaml validation: every problem reported at once, one line each, naming file, model and key."""

from pathlib import Path

import pytest

from openvino_ui.config import load_config, parse_config
from openvino_ui.errors import ConfigError

FILE = Path("/srv/app/models.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, FILE)
    return info.value.problems


def test_valid_file_applies_defaults_and_resolves_paths():
    cfg = parse_config(
        """
defaults:
  device: cpu
  properties: {PERFORMANCE_HINT: LATENCY}
models:
  chat:
    task: llm
    path: models/chat
    properties: {INFERENCE_NUM_THREADS: 1}
    generation: {temperature: 0}
  emb: {task: embedding, path: /abs/emb, device: "AUTO:GPU,CPU"}
  rr: {task: rerank, method: bi_encoder, embedding_model: emb}
""",
        FILE,
    )
    chat = cfg.models["chat"]
    assert chat.path == Path("/srv/app/models/chat")
    assert chat.device == "CPU"
    assert chat.properties == {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 1}
    assert chat.generation.temperature == 0
    assert cfg.models["emb"].device == "AUTO:GPU,CPU"
    assert cfg.models["rr"].path is None
    assert cfg.names("embedding") == ["emb"]
    assert cfg.defaults.cache_dir == Path("/srv/app/.cache/openvino")


def test_every_problem_is_reported_with_file_model_and_key():
    lines = problems(
        """
defaults: {device: CPU, colour: red}
models:
  a: {task: llm, path: x, generation: {temperature: 5}, tempreature: 1}
  b: {task: painting, path: y}
  c: {task: asr, path: z, device: "GPU..1"}
  d: {task: embedding}
"""
    )
    text = "\n".join(lines)
    assert len(lines) == 6, text
    assert all(line.startswith(str(FILE)) for line in lines)
    assert "defaults: key 'colour': unknown key" in text
    assert "model 'a': key 'generation.temperature'" in text and "less than or equal to 2" in text
    assert "model 'a': key 'tempreature': unknown key" in text
    assert "model 'b': key 'task': unknown task 'painting'" in text
    assert "model 'c': key 'device'" in text and "GPU..1" in text
    assert "model 'd': key 'path' is missing" in text


def test_duplicate_keys_are_errors_with_line_numbers():
    lines = problems("models:\n  a: {task: llm, path: x}\n  a: {task: llm, path: y}\n")
    assert lines == [f"{FILE}: line 3: duplicate key 'a' (first at line 2, again at line 3)"]


def test_bi_encoder_must_name_an_embedding_model():
    lines = problems(
        "models:\n  chat: {task: llm, path: x}\n"
        "  rr: {task: rerank, method: bi_encoder, embedding_model: chat}\n"
    )
    assert "model 'rr': key 'embedding_model'" in lines[0] and "none is configured" in lines[0]


@pytest.mark.parametrize(
    "device, ok",
    [
        ("CPU", True),
        ("GPU.1", True),
        ("NPU", True),
        ("AUTO", True),
        ("AUTO:-CPU", True),
        ("HETERO:GPU,CPU", True),
        ("MULTI:GPU.0,GPU.1", True),
        ("HETERO", False),
        ("TPU", False),
        ("CPU:GPU", False),
        ("AUTO:FOO", False),
    ],
)
def test_device_syntax(device, ok):
    text = f"models:\n  a: {{task: llm, path: x, device: '{device}'}}\n"
    if ok:
        parse_config(text, FILE)
    else:
        assert "key 'device'" in problems(text)[0]


def test_malformed_yaml_and_missing_file(tmp_path):
    assert "line" in problems("models: [unclosed\n")[0]
    assert problems("- just\n- a list\n") == [
        f"{FILE}: expected a mapping with 'models:' (and optionally 'defaults:')"
    ]
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_source_kinds_are_checked():
    lines = problems(
        "models:\n  a: {task: llm, path: x, source: {kind: pypi, recipe: llama-70b}}\n"
        "  b: {task: llm, path: x, source: {kind: ftp}}\n"
        "  c: {task: llm, path: x, source: {kind: local, path: hf, weight_format: int3}}\n"
    )
    text = "\n".join(lines)
    assert "model 'a': key 'source.pypi.recipe'" in text
    assert "model 'b': key 'source'" in text
    assert "model 'c': key 'source.local.weight_format'" in text


def test_the_shipped_models_yaml_is_valid():
    cfg = load_config(Path(__file__).parents[2] / "models.yaml")
    assert {spec.task for spec in cfg.models.values()} >= {"llm"}


def test_max_queue_has_a_default_a_per_model_override_and_null_for_no_bound():
    cfg = parse_config(
        """
defaults: {max_queue: 4}
models:
  a: {task: llm, path: a}
  b: {task: llm, path: b, max_queue: 0}
  c: {task: llm, path: c, max_queue: null}
""",
        FILE,
    )
    assert cfg.defaults.max_queue == 4
    assert [cfg.models[n].max_queue for n in "abc"] == [4, 0, None]
    assert parse_config("models:\n  a: {task: asr, path: a}\n", FILE).models["a"].max_queue == 32


def test_a_negative_max_queue_is_refused_where_it_is_set():
    found = problems("defaults: {max_queue: -1}\nmodels:\n  a: {task: llm, path: a, max_queue: -2}\n")
    assert len(found) == 2
    assert "defaults" in found[0] and "'max_queue'" in found[0] and "-1" in found[0]
    assert "model 'a'" in found[1] and "'max_queue'" in found[1] and "-2" in found[1]
