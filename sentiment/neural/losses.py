"""Loss functions over raw network scores (logits) and dense float targets.

Targets are always a float tensor of shape (N, outputs): a one-hot or soft distribution for a
softmax output, 0/1 per output for a sigmoid output, the value itself for a linear output.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .nets import output_activation

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# Which output activations each loss is defined for.
LOSS_OUTPUTS: dict[str, tuple[str, ...]] = {
    "cross_entropy": ("softmax", "sigmoid"),
    "logistic": ("sigmoid",),
    "bce": ("sigmoid",),
    "hinge": ("softmax", "sigmoid"),
    "mse": ("softmax", "sigmoid", "linear"),
    "mae": ("softmax", "sigmoid", "linear"),
    "kl": ("softmax",),
}
LOSSES = tuple(LOSS_OUTPUTS)
HINGE_MARGIN = 1.0


def _soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return -(targets * F.log_softmax(logits, dim=-1)).sum(-1).mean()


def _binary_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, targets)


def _kl_divergence(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.kl_div(F.log_softmax(logits, dim=-1), targets, reduction="batchmean")


def _multiclass_hinge(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.multi_margin_loss(logits, targets.argmax(-1), margin=HINGE_MARGIN)


def _binary_hinge(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    signs = targets * 2 - 1
    return torch.clamp(HINGE_MARGIN - signs * logits, min=0).mean()


def make_loss(name: str, output: str) -> LossFunction:
    """The loss `name` for a network whose output activation is `output`."""
    if name not in LOSS_OUTPUTS:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    if output not in LOSS_OUTPUTS[name]:
        raise ValueError(
            f"loss {name!r} does not fit a {output} output; it needs one of: {', '.join(LOSS_OUTPUTS[name])}"
        )
    if name in ("cross_entropy", "logistic", "bce"):
        return _soft_cross_entropy if output == "softmax" else _binary_cross_entropy
    if name == "kl":
        return _kl_divergence
    if name == "hinge":
        return _multiclass_hinge if output == "softmax" else _binary_hinge
    distance = F.mse_loss if name == "mse" else F.l1_loss
    return lambda logits, targets: distance(output_activation(logits, output), targets)
