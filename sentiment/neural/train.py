"""Training as plain functions: `fit` runs epochs of mini-batch gradient descent on a
`TextClassifier`, with early stopping on dev, and returns the per-epoch history.

Batch size 1 is stochastic gradient descent, N mini-batch, "full" one step per epoch over all the
data. Same config + same seed = same weights (on the same machine and thread count).
"""

from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from .losses import LOSSES, make_loss
from .model import TextClassifier
from .nets import output_activation
from .optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule, penalized_weights, penalty

MONITORS = ("macro_f1", "accuracy", "loss")


@dataclass(frozen=True)
class TrainConfig:
    """Every training hyper-parameter; the `[train]` table of a TOML config."""

    loss: str = "cross_entropy"
    optimizer: str = "adamw"
    lr: float = 1e-3
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    l1: float = 0.0
    l2: float = 0.0
    batch_size: int | str = 32
    epochs: int = 10
    schedule: str = "constant"
    step_epochs: int = 1
    gamma: float = 0.5
    clip_grad_norm: float | None = None
    patience: int | None = 3
    monitor: str = "macro_f1"
    seed: int = 13
    log_grad_norms: bool = True
    grad_norm_every: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "betas", tuple(self.betas))
        for name, value, valid in (
            ("loss", self.loss, LOSSES),
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("schedule", self.schedule, SCHEDULES),
            ("monitor", self.monitor, MONITORS),
        ):
            if value not in valid:
                raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")
        if not (self.batch_size == "full" or (isinstance(self.batch_size, int) and self.batch_size >= 1)):
            raise ValueError(f"batch_size must be a positive integer or 'full', got {self.batch_size!r}")
        if self.epochs < 1 or self.lr <= 0:
            raise ValueError("epochs must be >= 1 and lr > 0")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["betas"] = list(self.betas)
        return data


@dataclass
class Encoded:
    """Texts already turned into feature ids (a compact int32 array each), with their float targets."""

    ids: list[np.ndarray]
    targets: torch.Tensor

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, classifier: TextClassifier, texts: Sequence[str], labels: Sequence[Any]) -> "Encoded":
        ids = [np.asarray(e, dtype=np.int32) for e in classifier.encode(texts)]
        return cls(ids, classifier.targets(labels))


@dataclass
class TrainResult:
    """`history`: one dict per epoch (losses, metrics, rate, mean gradient norm per layer)."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_dev: dict[str, Any] = field(default_factory=dict)
    stopped_early: bool = False


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_batch_size(batch_size: int | str, size: int) -> int:
    return size if batch_size == "full" else min(int(batch_size), size)


def batches(size: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    """Index batches of one epoch, shuffled by `generator` (in order when None)."""
    order = torch.randperm(size, generator=generator) if generator is not None else torch.arange(size)
    return list(order.split(batch_size))


def macro_f1(gold: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    """Unweighted mean F1 over the label positions that occur in gold or predictions (as
    scikit-learn does by default); numpy only, cheap enough for every epoch."""
    scores = []
    for c in range(classes):
        tp = np.sum((predicted == c) & (gold == c))
        denominator = np.sum(predicted == c) + np.sum(gold == c)
        if denominator:
            scores.append(2 * tp / denominator)
    return float(np.mean(scores)) if scores else 0.0


def metrics_of(classifier: TextClassifier, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """accuracy and macro-F1 of activated outputs against targets (plus micro-F1 for multilabel, MAE for regression)."""
    predicted = classifier.probabilities_from_outputs(outputs)
    if classifier.task == "multilabel":
        gold = targets.numpy() >= 0.5
        chosen = predicted.probabilities >= np.asarray(classifier.thresholds)[None, :]
        tp, fp, fn = (gold & chosen).sum(0), (~gold & chosen).sum(0), (gold & ~chosen).sum(0)
        per_label = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
        micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
        return {"accuracy": float((gold == chosen).all(1).mean()), "macro_f1": float(per_label.mean()), "micro_f1": float(micro)}
    if classifier.task == "regression":
        gold = np.clip(np.rint(targets[:, 0].numpy()), 1, len(classifier.labels)).astype(int) - 1
    elif classifier.task == "binary":
        gold = (targets[:, 0].numpy() >= 0.5).astype(int)
    else:
        gold = targets.numpy().argmax(1)
    chosen = predicted.probabilities.argmax(1)
    result = {"accuracy": float((chosen == gold).mean()), "macro_f1": macro_f1(gold, chosen, len(classifier.labels))}
    if classifier.task == "regression":
        result["mae"] = float(np.abs(predicted.values - targets[:, 0].numpy()).mean())
    return result


def evaluate_loss(classifier: TextClassifier, data: Encoded, loss_name: str, batch_size: int = 512) -> tuple[float, dict[str, float]]:
    """Mean loss and metrics on `data`, in eval mode, without gradients."""
    loss_fn = make_loss(loss_name, classifier.net_config.output)
    classifier.net.eval()
    logits_chunks = []
    with torch.inference_mode():
        for index in batches(len(data), batch_size, None):
            logits_chunks.append(classifier.net(classifier.net.collate([data.ids[i] for i in index])))
    logits = torch.cat(logits_chunks)
    loss = float(loss_fn(logits, data.targets))
    return loss, metrics_of(classifier, output_activation(logits, classifier.net_config.output), data.targets)


def gradient_norms(net: torch.nn.Module) -> dict[str, float]:
    """L2 norm of each parameter's gradient: vanishing or exploding layers show up here."""
    named = [(name, p.grad) for name, p in net.named_parameters() if p.grad is not None]
    if not named:
        return {}
    norms = torch.stack(torch._foreach_norm([g for _, g in named])).tolist()
    return dict(zip((name for name, _ in named), norms))


def _monitor_value(entry: dict[str, Any], monitor: str) -> tuple[float, float]:
    """Higher is better; ties on the metric go to the lower dev loss."""
    return (-entry["dev_loss"] if monitor == "loss" else entry[f"dev_{monitor}"], -entry["dev_loss"])


def fit(
    classifier: TextClassifier,
    train: Encoded,
    config: TrainConfig,
    dev: Encoded | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train `classifier.net` in place; with `dev`, keep the weights of the best dev epoch and stop
    after `patience` epochs without improvement. Returns the history."""
    if len(train) == 0:
        raise ValueError("no training examples")
    seed_everything(config.seed)
    net = classifier.net
    loss_fn = make_loss(config.loss, classifier.net_config.output)
    optimizer = make_optimizer(net.parameters(), config.optimizer, config.lr, config.momentum, config.weight_decay, config.betas)
    batch_size = resolve_batch_size(config.batch_size, len(train))
    steps_per_epoch = math.ceil(len(train) / batch_size)
    schedule = make_schedule(optimizer, config.schedule, steps_per_epoch, config.epochs, config.step_epochs, config.gamma)
    weights = penalized_weights(net)
    generator = torch.Generator().manual_seed(config.seed)
    result = TrainResult()
    best_state, best_value, stale = None, (-math.inf, -math.inf), 0
    for epoch in range(1, config.epochs + 1):
        net.train()
        total_loss, seen, norm_sums, norm_samples = 0.0, 0, {}, 0
        outputs, targets = [], []
        bar = tqdm(batches(len(train), batch_size, generator), desc=f"epoch {epoch}/{config.epochs}", disable=not progress, leave=False)
        for step, index in enumerate(bar):
            batch_targets = train.targets[index]
            logits = net(net.collate([train.ids[i] for i in index]))
            loss = loss_fn(logits, batch_targets)
            extra = penalty(weights, config.l1, config.l2)
            objective = loss + extra if extra is not None else loss
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            if config.log_grad_norms and step % config.grad_norm_every == 0:
                norm_samples += 1
                for name, norm in gradient_norms(net).items():
                    norm_sums[name] = norm_sums.get(name, 0.0) + norm
            if config.clip_grad_norm:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip_grad_norm)
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(index)
            seen += len(index)
            outputs.append(output_activation(logits.detach(), classifier.net_config.output))
            targets.append(batch_targets)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        entry: dict[str, Any] = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"], "train_loss": total_loss / seen}
        entry.update({f"train_{k}": v for k, v in metrics_of(classifier, torch.cat(outputs), torch.cat(targets)).items()})
        if config.log_grad_norms:
            entry["grad_norms"] = {name: s / max(norm_samples, 1) for name, s in norm_sums.items()}
        if dev is not None and len(dev):
            dev_loss, dev_metrics = evaluate_loss(classifier, dev, config.loss)
            entry["dev_loss"] = dev_loss
            entry.update({f"dev_{k}": v for k, v in dev_metrics.items()})
            value = _monitor_value(entry, config.monitor)
            if value > best_value:
                best_value, stale, result.best_epoch = value, 0, epoch
                best_state = copy.deepcopy(net.state_dict())
                result.best_dev = {k: v for k, v in entry.items() if k.startswith("dev_")}
            else:
                stale += 1
        result.history.append(entry)
        if progress:
            shown = {k: round(v, 4) for k, v in entry.items() if isinstance(v, float) and k != "lr"}
            tqdm.write(f"epoch {epoch}: {shown}")
        if config.patience is not None and dev is not None and stale >= config.patience:
            result.stopped_early = True
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    else:
        result.best_epoch = len(result.history)
    net.eval()
    return result


def save_history(history: list[dict[str, Any]], folder: Path) -> tuple[Path, Path]:
    """history.json and curves.png (loss and metrics per epoch, train vs dev) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "history.json"
    json_path.write_text(json.dumps(history, indent=1), encoding="utf-8")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    figure, (loss_axes, metric_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "dev"):
        if f"{split}_loss" in history[0]:
            loss_axes.plot(epochs, [h[f"{split}_loss"] for h in history], marker="o", label=f"{split} loss")
        for metric in ("accuracy", "macro_f1"):
            if f"{split}_{metric}" in history[0]:
                metric_axes.plot(epochs, [h[f"{split}_{metric}"] for h in history], marker="o", label=f"{split} {metric}")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_title("loss")
    loss_axes.legend()
    metric_axes.set_xlabel("epoch")
    metric_axes.set_title("metrics")
    metric_axes.legend()
    figure.tight_layout()
    png_path = folder / "curves.png"
    figure.savefig(png_path, dpi=90)
    plt.close(figure)
    return json_path, png_path
