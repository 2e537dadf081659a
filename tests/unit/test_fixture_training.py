"""fixtures.common.train: a fixed number of steps, then on until the fixture has learned what its
tests assert, bounded by max_steps (the tiny models train differently on each CPU kind)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from openvino_ui.fixtures.common import train  # noqa: E402


class Regression(torch.nn.Module):
    """y = 3x, with a `.loss` output as transformers models give."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(1, 1)
        self.steps = 0

    def forward(self, x, y):
        self.steps += self.training
        return SimpleNamespace(loss=torch.nn.functional.mse_loss(self.linear(x), y))


def batch() -> dict:
    x = torch.linspace(-1, 1, 16).unsqueeze(1)
    return {"x": x, "y": 3 * x}


def test_trains_the_fixed_steps_then_until_the_check_holds() -> None:
    model, checks = Regression(), []

    def learned(m) -> bool:
        assert not m.training  # checked in eval mode
        checks.append(m.steps)
        return len(checks) == 3

    train(model, batch(), 10, lr=0.05, until=learned, max_steps=100, check_every=5)
    assert checks == [10, 15, 20] and model.steps == 20


def test_a_fixture_that_never_learns_fails_clearly_at_max_steps() -> None:
    model = Regression()
    with pytest.raises(RuntimeError, match="within 30 training steps"):
        train(model, batch(), 10, until=lambda m: False, max_steps=30, check_every=7)
    assert model.steps == 30


def test_without_a_check_it_trains_the_fixed_steps() -> None:
    model = Regression()
    loss = train(model, batch(), 40, lr=0.1)
    assert model.steps == 40 and loss < 1.0 and not model.training
