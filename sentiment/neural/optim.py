"""Optimizers, learning-rate schedules and the L1/L2 penalties, built from a training config."""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw")
SCHEDULES = ("constant", "step", "one_cycle")
# One-cycle: the rate climbs from max/div_factor for this share of the steps, then anneals.
ONE_CYCLE_WARMUP_SHARE = 0.3


def make_optimizer(
    parameters: Iterable[nn.Parameter],
    name: str,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    betas: tuple[float, float] = (0.9, 0.999),
) -> torch.optim.Optimizer:
    """SGD (plain, with momentum, Nesterov), Adam or AdamW (decoupled weight decay).

    The fused kernels are used: on CPU they update a large embedding table several times faster
    than the per-tensor loop, with the same arithmetic."""
    parameters = list(parameters)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, weight_decay=weight_decay, fused=True)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(
            parameters, lr=lr, momentum=momentum, nesterov=name == "nesterov", weight_decay=weight_decay, fused=True
        )
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=betas, weight_decay=weight_decay, fused=True)
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, betas=betas, weight_decay=weight_decay, fused=True)
    raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")


def make_schedule(
    optimizer: torch.optim.Optimizer,
    name: str,
    steps_per_epoch: int,
    epochs: int,
    step_epochs: int = 1,
    gamma: float = 0.5,
) -> torch.optim.lr_scheduler.LRScheduler:
    """A per-batch schedule: constant, step (x `gamma` every `step_epochs` epochs) or one-cycle
    (peaking at the optimizer's rate)."""
    if name == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, step_epochs * steps_per_epoch), gamma=gamma)
    if name == "one_cycle":
        max_lr = [group["lr"] for group in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=max_lr,
            total_steps=max(1, steps_per_epoch * epochs),
            pct_start=ONE_CYCLE_WARMUP_SHARE,
            cycle_momentum=False,
        )
    raise ValueError(f"unknown schedule {name!r}; valid: {', '.join(SCHEDULES)}")


def penalized_weights(net: nn.Module) -> list[nn.Parameter]:
    """Weight matrices that L1/L2 penalties apply to: not biases, not the (large, sparse) embedding tables."""
    return [
        param
        for name, param in net.named_parameters()
        if param.dim() > 1 and not name.startswith("embedding")
    ]


def penalty(weights: list[nn.Parameter], l1: float, l2: float) -> torch.Tensor | None:
    """l1 * sum|w| + l2 * sum w^2 over `weights`, or None when both are zero."""
    if not weights or (l1 == 0 and l2 == 0):
        return None
    total = torch.zeros(())
    if l1:
        total = total + l1 * sum(w.abs().sum() for w in weights)
    if l2:
        total = total + l2 * sum(w.pow(2).sum() for w in weights)
    return total
