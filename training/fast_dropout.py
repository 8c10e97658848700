"""Dropout with a cheaper random mask, for training on a CPU.

torch's CPU dropout draws one random number per element, and on a LoRA step of MPNet-base its
masks cost more than the matrix products (README, "Training the readers"). This mask takes 16 bits
per element out of 64-bit draws, a quarter of the draws, with the same keep probability (to 1 in
65,536) and the same scaling, so training is the same in distribution; the draws still come from
torch's generator, whose state the checkpoints keep, so a resumed run stays exact.
"""

from __future__ import annotations

from typing import Any

import torch

_LEVELS = 1 << 16


class FastDropout(torch.nn.Module):
    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability {p} is not in [0, 1)")
        self.p = p
        self._dropped_below = -(_LEVELS // 2) + round(p * _LEVELS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        n = x.numel()
        words = torch.randint(
            -(2**63), 2**63 - 1, ((n + 3) // 4,), dtype=torch.int64, device=x.device
        )
        keep = words.view(torch.int16)[:n].view(x.shape) >= self._dropped_below
        scale = torch.tensor(1.0 / (1.0 - self.p), dtype=x.dtype, device=x.device)
        # One product forward and one backward, as torch's own dropout: the scale is in the mask.
        return x * torch.where(keep, scale, torch.zeros((), dtype=x.dtype, device=x.device))

    def extra_repr(self) -> str:
        return f"p={self.p}"


def use_fast_dropout(model: Any) -> int:
    """Put a FastDropout in place of every ``nn.Dropout`` of the model; how many were replaced."""
    replaced = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is torch.nn.Dropout:
                setattr(module, name, FastDropout(child.p))
                replaced += 1
    return replaced
