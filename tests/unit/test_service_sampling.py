"""Sampling: one set of bounds (SamplingOptions = models.yaml = the UI's sliders), and the walk of
every value from a request to openvino_genai's GenerationConfig through named, typed fields."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import openvino_genai as og
import pytest

from openvino_ui.config import GenerationDefaults, GenerationLimits, LLMSpec, parse_config
from openvino_ui.engines.streaming import generation_config
from openvino_ui.errors import ConfigError, InvalidInput
from openvino_ui.generation import MAX_NEW_TOKENS, GenerationParams
from openvino_ui.service import SamplingOptions, generation_params
from openvino_ui.service.sampling import NUMERIC, rule
from openvino_ui.service.validation import Range
from openvino_ui.ui.common import STEPS, slider_bounds

SLIDERS = ("temperature", "top_p", "top_k", "repetition_penalty")


def spec(**settings) -> LLMSpec:
    return LLMSpec(task="llm", path="/m", **settings)


@pytest.mark.parametrize("name", NUMERIC)
def test_models_yaml_takes_exactly_what_a_request_may_ask_for(name):
    assert Range.of_field(SamplingOptions, name) == Range.of_field(GenerationDefaults, name)


def test_the_limit_on_max_new_tokens_has_the_same_ceiling():
    assert Range.of_field(GenerationLimits, "max_new_tokens") == rule("max_new_tokens")
    assert rule("max_new_tokens").high == MAX_NEW_TOKENS
    assert rule("max_new_tokens", spec(limits=GenerationLimits(max_new_tokens=64))).high == 64


@pytest.mark.parametrize("name", SLIDERS)
def test_the_sliders_span_exactly_the_accepted_values(name):
    low, high = slider_bounds(name, STEPS[name])
    bounds = rule(name)
    assert high == bounds.high
    SamplingOptions.of(**{name: low})  # the slider's ends are accepted
    SamplingOptions.of(**{name: high})
    below = low - 1 if bounds.kind is int else math.nextafter(low - STEPS[name], -math.inf)
    with pytest.raises(InvalidInput):  # and nothing beyond them is
        SamplingOptions.of(**{name: below})
    with pytest.raises(InvalidInput):
        SamplingOptions.of(**{name: high + 1})


def test_top_k_slider_reaches_the_api_bound_and_top_p_starts_above_zero():
    assert slider_bounds("top_k", 1) == (0, 1000)
    assert slider_bounds("top_p", 0.01) == (0.01, 1.0)
    assert slider_bounds("max_new_tokens", 1, 2048) == (1, 2048)


def test_every_request_field_reaches_the_engine_and_every_default_has_a_field():
    params = {f.name for f in dataclasses.fields(GenerationParams)}
    assert set(SamplingOptions.model_fields) == params
    assert set(GenerationDefaults.model_fields) <= params


def test_a_value_walks_from_the_request_to_the_generation_config():
    model = spec(limits=GenerationLimits(max_new_tokens=300))
    options = SamplingOptions.of(
        model,
        max_new_tokens=123,
        temperature=0.5,
        top_p=0.8,
        top_k=7,
        repetition_penalty=1.3,
        frequency_penalty=0.25,
        presence_penalty=-0.5,
        seed=42,
        stop=["END", "\n\n"],
    )
    params = generation_params(model, options)
    assert params == GenerationParams(123, 0.5, 0.8, 7, 1.3, 0.25, -0.5, 42, ("END", "\n\n"))
    base = og.GenerationConfig()
    base.stop_strings = {"\nUser:"}  # the model's own (generation_config.json) stay
    cfg = generation_config(params, base)
    assert (cfg.max_new_tokens, cfg.do_sample, cfg.rng_seed) == (123, True, 42)
    assert cfg.temperature == pytest.approx(0.5) and cfg.top_p == pytest.approx(0.8) and cfg.top_k == 7
    assert cfg.repetition_penalty == pytest.approx(1.3)
    assert cfg.frequency_penalty == pytest.approx(0.25) and cfg.presence_penalty == pytest.approx(-0.5)
    assert cfg.stop_strings == {"\nUser:", "END", "\n\n"}
    cfg.validate()


def test_greedy_and_no_top_k_map_to_genai_own_values():
    cfg = generation_config(GenerationParams(temperature=0.0))
    assert cfg.do_sample is False
    cfg = generation_config(GenerationParams(temperature=1.0, top_k=0))
    assert cfg.do_sample and cfg.top_k == og.GenerationConfig().top_k  # genai's "no filter"
    cfg.validate()


def test_left_out_values_are_the_model_defaults_within_its_limit():
    model = spec(
        generation=GenerationDefaults(temperature=0.0, top_k=5), limits=GenerationLimits(max_new_tokens=100)
    )
    params = generation_params(model, SamplingOptions())
    assert (params.temperature, params.top_k) == (0.0, 5)
    assert params.max_new_tokens == 100  # the built-in default (512) is clipped to the model's limit
    assert generation_params(model, SamplingOptions.of(seed=-1, max_new_tokens=None)).seed is None


def test_stop_and_logprobs_are_checked():
    assert SamplingOptions.of(stop="END").stop == ("END",)
    assert SamplingOptions.of(stop=None).stop == ()
    for bad in (["a"] * 5, [""], [1], {"a": 1}, ["x" * 201]):
        with pytest.raises(InvalidInput, match="stop") as info:
            SamplingOptions.of(stop=bad)
        assert info.value.param == "stop"
    with pytest.raises(InvalidInput, match="not valid Unicode"):
        SamplingOptions.of(stop=["a\ud800"])
    assert SamplingOptions.of(logprobs=False).logprobs is False
    assert SamplingOptions.of(logprobs=True).logprobs is True
    for name in ("logprobs", "ignore_eos"):
        with pytest.raises(InvalidInput, match=f"{name} must be true or false") as info:
            SamplingOptions.of(**{name: 1})
        assert info.value.param == name and info.value.status == 400


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("frequency_penalty", 2.5, "between -2 and 2 (a number)"),
        ("presence_penalty", "1", "between -2 and 2 (a number)"),
        ("temperature", math.inf, "(not a finite number)"),
        ("top_k", 1001, "between 0 and 1000 (an integer)"),
    ],
)
def test_numbers_out_of_bounds_name_the_field(name, value, shown):
    with pytest.raises(InvalidInput, match=rf"^{name} must be .*{re.escape(shown)}") as info:
        SamplingOptions.of(**{name: value})
    assert info.value.param == name


def test_models_yaml_may_not_default_above_its_own_limit():
    entry = "models:\n  m: {task: llm, path: x, limits: {max_new_tokens: 100}%s}\n"
    parse_config(entry % "", Path("/tmp/models.yaml"))  # the built-in default (512) is clipped instead
    with pytest.raises(ConfigError, match="'generation.max_new_tokens': 200 is above limits.max_new_tokens"):
        parse_config(entry % ", generation: {max_new_tokens: 200}", Path("/tmp/models.yaml"))
    with pytest.raises(ConfigError, match="top_k"):  # the bounds of a request hold in models.yaml too
        parse_config(entry % ", generation: {top_k: 1001}", Path("/tmp/models.yaml"))
