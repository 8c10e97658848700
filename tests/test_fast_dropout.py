"""The training's CPU dropout: the same keep rate, scaling and gradient as torch's."""

from __future__ import annotations

import pytest
import torch

from training.fast_dropout import FastDropout, use_fast_dropout


def test_it_keeps_one_minus_p_of_the_elements_scaled_like_torch_dropout() -> None:
    torch.manual_seed(0)
    x = torch.ones(64, 256, 64, requires_grad=True)
    out = FastDropout(0.1).train()(x)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.9) < 0.002
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / 0.9))
    out.sum().backward()
    assert torch.equal(x.grad, kept.float() / 0.9)  # the gradient passes where the mask keeps


def test_masks_differ_between_calls_and_follow_the_seed() -> None:
    dropout, x = FastDropout(0.5).train(), torch.ones(4, 1000)
    torch.manual_seed(1)
    first, second = dropout(x), dropout(x)
    torch.manual_seed(1)
    assert not torch.equal(first, second) and torch.equal(dropout(x), first)


def test_it_is_the_identity_when_evaluating_and_refuses_a_bad_probability() -> None:
    x = torch.randn(3, 5)
    assert torch.equal(FastDropout(0.3).eval()(x), x)
    with pytest.raises(ValueError):
        FastDropout(1.0)


def test_every_torch_dropout_of_a_model_is_replaced_with_its_probability() -> None:
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 4),
        torch.nn.Dropout(0.2),
        torch.nn.ModuleDict({"a": torch.nn.Dropout(0.1)}),
    )
    assert use_fast_dropout(model) == 2
    fast = [m for m in model.modules() if isinstance(m, FastDropout)]
    assert sorted(m.p for m in fast) == [0.1, 0.2]
    assert not any(type(m) is torch.nn.Dropout for m in model.modules())
