"""The VLM engine on the tiny trained Qwen2-VL: it names the colour of a solid image, so a right
answer proves the pixels reach the model; multi-turn, streaming, stop, stateless, stats."""

import threading
from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.fixtures import fixture_path
from openvino_ui.fixtures.vision import COLOURS, FOLLOW_UP, QUESTION, follow_up_answer
from openvino_ui.generation import Delta, Finished, GenerationParams
from openvino_ui.images import prepare_image
from openvino_ui.pool import EnginePool

GREEDY = GenerationParams(max_new_tokens=16, temperature=0.0)


@pytest.fixture(scope="module")
def engine():
    path = fixture_path("tiny-vlm")
    pool = EnginePool(parse_config(f"models:\n  tiny: {{task: vlm, path: '{path}'}}\n", Path("/tmp/m.yaml")))
    yield pool.ready("tiny", "vlm")
    pool.close()


def solid(rgb, width=56, height=56):
    image = np.zeros((height, width, 3), np.uint8)
    image[...] = rgb
    return image


def ask(engine, image, question=QUESTION, history=(), params=GREEDY, cancel=None):
    messages = [*history, {"role": "user", "content": question}]
    return list(engine.stream(messages, [image], params, cancel))


@pytest.mark.parametrize("name", list(COLOURS))
def test_names_the_colour_of_the_image(engine, name):
    events = ask(engine, solid(COLOURS[name]))
    done = events[-1]
    assert isinstance(done, Finished) and done.text == name
    assert "".join(e.text for e in events if isinstance(e, Delta)) == name
    assert done.metrics.generated_tokens >= 1 and done.metrics.ttft_ms > 0
    assert done.device == "CPU" and not done.stopped


def test_large_photo_after_normalisation(engine):
    # 1280x960 scaled to the model's side limit first, as the API does
    pixels = prepare_image(solid(COLOURS["blue"], 1280, 960), max_side=448).pixels
    assert ask(engine, pixels)[-1].text == "blue"


@pytest.mark.parametrize("name", list(COLOURS))
def test_follow_up_question_is_about_the_same_image(engine, name):
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": name}]
    assert ask(engine, solid(COLOURS[name]), FOLLOW_UP, history)[-1].text == follow_up_answer(name)


def test_requests_do_not_share_state(engine):
    assert ask(engine, solid(COLOURS["red"]))[-1].text == "red"
    assert ask(engine, solid(COLOURS["green"]))[-1].text == "green"
    assert ask(engine, solid(COLOURS["red"]))[-1].text == "red"


def test_typed_media_tags_are_plain_text(engine):
    done = ask(engine, solid(COLOURS["red"]), "<ov_genai_image_7> What color is this?")[-1]
    assert isinstance(done.text, str)  # no "Missing image/video with index 7"


def test_cancel_stops_and_releases_the_model(engine):
    cancel = threading.Event()
    cancel.set()  # stopped before the first token: nothing streams, the stream still finishes
    events = ask(engine, solid(COLOURS["red"]), params=GenerationParams(max_new_tokens=200), cancel=cancel)
    assert isinstance(events[-1], Finished) and events[-1].stopped
    assert not engine.is_busy()
    assert ask(engine, solid(COLOURS["green"]))[-1].text == "green"


def test_stats_count_generations(engine):
    before = engine.stats()
    ask(engine, solid(COLOURS["red"]))
    after = engine.stats()
    assert after.requests == before.requests + 1 and after.generated_tokens > before.generated_tokens
