"""Learning-rate range test (Smith 2017): train for a few hundred steps while the rate grows
exponentially, record the loss, and suggest a maximum rate for a one-cycle schedule.

The network's weights are restored afterwards, so the test can run right before training.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .losses import make_loss
from .model import TextClassifier
from .optim import make_optimizer
from .train import Encoded, TrainConfig, batches, resolve_batch_size, seed_everything

# Exponential moving average of the loss: the raw per-batch loss is too noisy to read a slope from.
LOSS_SMOOTHING = 0.9
# The test stops once the smoothed loss exceeds this multiple of the best loss seen (diverged).
DIVERGENCE_FACTOR = 4.0
# The suggested maximum rate sits this factor below the rate at the loss minimum: at the minimum
# the loss is already about to blow up (the fast.ai rule of thumb).
SUGGESTION_DIVISOR = 10.0


@dataclass(frozen=True)
class RangeTest:
    rates: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    suggested: float
    diverged: bool

    def to_dict(self) -> dict:
        return {
            "rates": list(self.rates),
            "losses": list(self.losses),
            "smoothed": list(self.smoothed),
            "suggested": self.suggested,
            "diverged": self.diverged,
        }


def lr_range_test(
    classifier: TextClassifier,
    data: Encoded,
    config: TrainConfig,
    start: float = 1e-6,
    end: float = 10.0,
    steps: int = 100,
) -> RangeTest:
    """Sweep the rate from `start` to `end` over `steps` batches (cycling through `data`) with the
    loss and optimizer of `config`; the network is left as it was."""
    if not 0 < start < end:
        raise ValueError(f"need 0 < start < end, got start={start}, end={end}")
    seed_everything(config.seed)
    net = classifier.net
    saved = copy.deepcopy(net.state_dict())
    loss_fn = make_loss(config.loss, classifier.net_config.output)
    optimizer = make_optimizer(net.parameters(), config.optimizer, start, config.momentum, config.weight_decay, config.betas)
    factor = (end / start) ** (1 / max(steps - 1, 1))
    generator = torch.Generator().manual_seed(config.seed)
    batch_size = resolve_batch_size(config.batch_size, len(data))
    pending: list[torch.Tensor] = []
    rates, losses, smoothed = [], [], []
    average, best, diverged = 0.0, math.inf, False
    net.train()
    try:
        for step in range(steps):
            if not pending:
                pending = batches(len(data), batch_size, generator)
            index = pending.pop()
            rate = start * factor**step
            for group in optimizer.param_groups:
                group["lr"] = rate
            loss = loss_fn(net(net.collate([data.ids[i] for i in index])), data.targets[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip_grad_norm:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip_grad_norm)
            optimizer.step()
            value = loss.item()
            if not math.isfinite(value):
                diverged = True
                break
            average = LOSS_SMOOTHING * average + (1 - LOSS_SMOOTHING) * value
            debiased = average / (1 - LOSS_SMOOTHING ** (step + 1))
            rates.append(rate)
            losses.append(value)
            smoothed.append(debiased)
            best = min(best, debiased)
            if step > 0 and debiased > DIVERGENCE_FACTOR * best:
                diverged = True
                break
    finally:
        net.load_state_dict(saved)
        net.eval()
    if not rates:
        raise ValueError("the loss was not finite at the very first rate; lower `start`")
    return RangeTest(tuple(rates), tuple(losses), tuple(smoothed), suggest_rate(rates, smoothed), diverged)


def suggest_rate(rates: list[float], smoothed: list[float]) -> float:
    """A tenth of the rate where the smoothed loss is lowest."""
    return float(rates[int(np.argmin(smoothed))] / SUGGESTION_DIVISOR)


def plot_range_test(result: RangeTest, path: Path) -> Path:
    """Loss vs learning rate (log scale) with the suggested rate marked, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(result.rates, result.losses, alpha=0.3, label="loss")
    axes.plot(result.rates, result.smoothed, label="smoothed loss")
    axes.axvline(result.suggested, color="red", linestyle="--", label=f"suggested max rate {result.suggested:.2g}")
    axes.set_xscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel("loss")
    axes.set_title("learning-rate range test")
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
