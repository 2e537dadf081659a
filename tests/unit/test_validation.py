"""Request checks (service/validation.py, service/sampling.py, api/arguments.py, api/uploads.py):
typed, strict, clear."""

from __future__ import annotations

import math
from typing import Literal

import pytest

from openvino_ui.api.arguments import argument_checker
from openvino_ui.api.errors import _file_references
from openvino_ui.api.uploads import check_reference
from openvino_ui.config import GenerationDefaults, GenerationLimits, LLMSpec
from openvino_ui.errors import InvalidInput
from openvino_ui.service.requests import ChatMessage, chat_messages
from openvino_ui.service.sampling import SamplingOptions, generation_params
from openvino_ui.service.validation import (
    Range,
    check_unicode,
    choice,
    device_name,
    integer,
    model_name,
    number,
    option,
    require_text,
    string,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("10", "'10' (a string)"), (1.5, "1.5 (a number)"), (2.0, "2.0 (a number)"), (True, "True (a boolean)"),
     (None, "None"), ([1], "[1] (a list of 1 items)"), ({"a": 1}, "{'a': 1} (a dict)"),
     (math.nan, "nan (not a finite number)"), (math.inf, "inf (not a finite number)")],
)  # fmt: skip
def test_integers_are_strict(value, shown):
    with pytest.raises(InvalidInput) as info:
        integer(value, "max_new_tokens", 1, 2048)
    assert str(info.value) == f"max_new_tokens must be between 1 and 2048 (an integer); got {shown}."


def test_integer_bounds_and_big_values():
    assert integer(5, "n", 1, 8) == 5 and type(integer(5, "n", 1, 8)) is int
    with pytest.raises(InvalidInput, match=r"got 0 \(an integer\)"):
        integer(0, "n", 1, 8)
    with pytest.raises(InvalidInput, match=str(2**70)):
        integer(2**70, "seed", 0, 2**64 - 1)
    assert integer(2**64 - 1, "seed", 0, 2**64 - 1) == 2**64 - 1


def test_numbers_take_ints_but_never_bools_strings_nan_or_infinity():
    assert number(1, "speed") == 1.0 and type(number(1, "speed")) is float
    assert number(0.5, "t", 0, 2) == 0.5
    for bad in (True, "1.0", None, math.nan, -math.inf, [1.0]):
        with pytest.raises(InvalidInput, match="^speed must be a number; got "):
            number(bad, "speed")
    with pytest.raises(InvalidInput, match=r"top_p must be above 0 and at most 1 \(a number\); got 0 "):
        Range(float, 0, 1, low_open=True).check(0, "top_p")


def test_range_reads_pydantic_fields_like_the_config():
    # the request's sampling bounds are the ones models.yaml accepts (config.GenerationDefaults)
    for name in ("max_new_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "seed"):
        assert Range.of_field(SamplingOptions, name) == Range.of_field(GenerationDefaults, name), name
    assert Range.of_field(SamplingOptions, "max_new_tokens") == Range.of_field(
        GenerationLimits, "max_new_tokens"
    )
    assert Range.of_field(SamplingOptions, "top_p").describe() == "above 0 and at most 1 (a number)"


def llm_spec(**settings) -> LLMSpec:
    return LLMSpec(task="llm", path="/m", **settings)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_new_tokens": "10"}, "max_new_tokens must be between 1 and 2048 (an integer), or None for the "
         "model's default; got '10' (a string)."),
        ({"max_new_tokens": 5000}, "max_new_tokens must be between 1 and 2048"),
        ({"max_new_tokens": 1.5}, "got 1.5 (a number)"),
        ({"top_k": 2.5}, "top_k must be between 0 and 1000 (an integer)"),
        ({"top_k": False}, "got False (a boolean)"),
        ({"temperature": "0.5"}, "temperature must be between 0 and 2 (a number)"),
        ({"temperature": math.nan}, "nan (not a finite number)"),
        ({"repetition_penalty": 3}, "repetition_penalty must be between 0.5 and 2"),
        ({"seed": 2**70}, "seed must be between 0 and 18446744073709551615 (an integer), or -1 or None"),
        ({"seed": -2}, "got -2 (an integer)"),
        ({"seed": 1.0}, "got 1.0 (a number)"),
        ({"bogus": 1}, "Unknown sampling parameter 'bogus'"),
    ],
)  # fmt: skip
def test_sampling_options_messages(values, message):
    with pytest.raises(InvalidInput) as info:
        SamplingOptions.of(llm_spec(limits=GenerationLimits(max_new_tokens=2048)), **values)
    assert message in str(info.value)
    assert info.value.param == next(iter(values))


def test_sampling_options_defaults_and_random_seed():
    spec = llm_spec(limits=GenerationLimits(max_new_tokens=16))
    options = SamplingOptions.of(spec, seed=-1, temperature=0, top_k=0)
    assert options.seed is None and options.temperature == 0.0 and options.top_k == 0
    spec = llm_spec(generation=GenerationDefaults(seed=3), limits=GenerationLimits(max_new_tokens=64))
    params = generation_params(spec, SamplingOptions.of(spec, max_new_tokens=8, top_p=None, seed=None))
    assert params.max_new_tokens == 8 and params.top_p == 0.95 and params.seed == 3
    with pytest.raises(InvalidInput, match="between 1 and 64"):
        SamplingOptions.of(spec, max_new_tokens=65)
    with pytest.raises(InvalidInput, match="between 1 and 64"):  # built without the model, checked here
        generation_params(spec, SamplingOptions.of(max_new_tokens=65))


def test_lone_surrogates_are_found_anywhere():
    check_unicode(["fine", {"k": "ünïcödé ✓"}], "texts")
    with pytest.raises(InvalidInput, match=r"texts\[1\]\['content'\] is not valid Unicode text.*U\+D800"):
        check_unicode(["ok", {"content": "a\ud800b"}], "texts")
    with pytest.raises(InvalidInput, match="a key of history"):
        check_unicode({"\udfff": 1}, "history")
    with pytest.raises(InvalidInput, match="at character 4"):
        require_text("good\ud800", "message", 100)


def test_strings_names_and_options():
    assert string("a", "x") == "a" and string(None, "x", optional=True) is None
    with pytest.raises(InvalidInput, match=r"^language must be a string; got 7 \(an integer\)\.$"):
        string(7, "language")
    with pytest.raises(InvalidInput, match="at most 3"):
        string("abcd", "x", max_chars=3)
    with pytest.raises(InvalidInput, match="The message must be a string; got 123"):
        require_text(123, "message", 10)
    with pytest.raises(InvalidInput, match="The message is empty"):
        require_text(None, "message", 10)
    assert model_name("") is None and model_name(None) is None and model_name("m") == "m"
    with pytest.raises(InvalidInput, match=r"model must be a model name \(a string\) from /models"):
        model_name(["m"])
    assert option("", "voice") is None and option("af", "voice") == "af"
    with pytest.raises(InvalidInput, match="task must be one of 'transcribe', 'translate'; got None"):
        choice(None, "task", ("transcribe", "translate"))


def test_device_strings_are_short_and_not_echoed_whole():
    assert device_name("") is None and device_name("AUTO:GPU,CPU") == "AUTO:GPU,CPU"
    with pytest.raises(InvalidInput) as info:
        device_name("X" * 100_000)
    message = str(info.value)
    assert "a string of 100000 characters" in message and "…" in message and len(message) < 300


def test_history_turns_are_checked():
    assert chat_messages([{"role": "user", "content": "hi", "extra": 1}], "history", ("user",)) == (
        ChatMessage(role="user", content="hi"),
    )
    with pytest.raises(InvalidInput, match=r"history must be a list of .*; got 'earlier' \(a string\)"):
        chat_messages("earlier", "history", ("user",))
    with pytest.raises(InvalidInput, match=r"history\[0\] must be"):
        chat_messages([{"role": ["user"], "content": "x"}], "history", ("user",))
    with pytest.raises(InvalidInput) as info:
        chat_messages([{"role": "robot", "content": "c" * 10_000}], "history", ("user",))
    assert len(str(info.value)) < 250


def test_argument_checker_follows_the_type_hints():
    def endpoint(
        self, text: str, model: str = "", prompt: str | None = None, kind: Literal["a", "b"] = "a", n: int = 1
    ) -> None:
        pass

    check = argument_checker(endpoint)
    check((object(), "t", None, None, "b", "anything"), {})  # model "" accepts None; numbers are left alone
    with pytest.raises(InvalidInput, match=r"^text must be a string; got None\.$"):
        check((object(), None), {})
    with pytest.raises(InvalidInput, match="prompt must be a string or None; got 5"):
        check((object(), "t", "", 5), {})
    with pytest.raises(InvalidInput, match="kind must be one of 'a', 'b'; got 'c'"):
        check((object(), "t", "", None, "c"), {})
    with pytest.raises(InvalidInput, match="not valid Unicode"):
        check((object(), "t", "", None, "a", [{"x": "\ud800"}]), {})
    with pytest.raises(InvalidInput, match="endpoint takes 5 values"):
        check((object(), "t", "", None, "a", 1, 2), {})


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc/passwd", "was not uploaded to this server; upload it first"),
        ("/tmp/gradio/../../etc/passwd", "was not uploaded to this server"),
        ("file:///etc/passwd", "not given as a URL"),
        ("http://example.com/a.wav", "not given as a URL"),
        ("/tmp/gradio/a\x00b", "was not uploaded to this server"),
        ("", "must be an uploaded file"),
        (7, "must be an uploaded file"),
    ],
)
def test_file_references_must_be_uploads(path, message):
    with pytest.raises(InvalidInput) as info:
        check_reference(path, "audio")
    assert message in str(info.value) and "handle_file('speech.wav')" in str(info.value)


def test_file_references_are_found_at_any_depth():
    ref = {"path": "/x", "meta": {"_type": "gradio.FileData"}}
    assert _file_references([1, {"a": [ref]}, {"path": "/y"}]) == [ref]
