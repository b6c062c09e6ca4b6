"""A model is a directory: config.json, vocab.json, model.safetensors (no pickle, no torch.load).

config.json holds the format version, the versioned architecture name, the network and feature
hyper-parameters, the task and labels, per-label thresholds and free-form training metadata
(the training config, data sources, metrics). Loading rebuilds the network from the config and
then loads the weights; every missing or corrupted file is a `ResourceError` naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.overrides import TorchFunctionMode

from ..errors import ResourceError
from ..resources import read_json_file
from .model import TextClassifier
from .nets import config_from_dict, config_to_dict
from .vocab import FeatureConfig, Featurizer, Vocab

FORMAT_VERSION = 1
CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE = "config.json", "vocab.json", "model.safetensors"
MODEL_FILES = (CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE)
T = TypeVar("T")


def save_model(classifier: TextClassifier, folder: str | os.PathLike[str]) -> Path:
    """Write the three files of `classifier` into `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "format_version": FORMAT_VERSION,
        "arch": classifier.net_config.arch,
        "task": classifier.task,
        "labels": list(classifier.labels),
        "thresholds": list(classifier.thresholds),
        "net": config_to_dict(classifier.net_config),
        "features": classifier.featurizer.config.to_dict(),
        **classifier.metadata,
    }
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    classifier.featurizer.vocab.save(folder / VOCAB_FILE)
    tensors = {name: t.detach().contiguous().clone() for name, t in classifier.net.state_dict().items()}
    save_file(tensors, str(folder / WEIGHTS_FILE), metadata={"format_version": str(FORMAT_VERSION), "arch": classifier.net_config.arch})
    return folder


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    config = read_json_file(path, "model config")
    if not isinstance(config, dict):
        raise ResourceError(f"model config {path} is corrupted: expected a JSON object")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ResourceError(f"model {folder} has format version {version!r}; this library reads version {FORMAT_VERSION}")
    return config


class _Uninitialised(TorchFunctionMode):
    """Inside, the random initialisers leave tensors as torch.empty made them: the tensor methods,
    and the `nn.init` functions that hand themselves to the mode (whose inner calls it never sees)."""

    SKIPPED = frozenset({
        torch.Tensor.normal_, torch.Tensor.uniform_, nn.init.normal_, nn.init.uniform_, nn.init.trunc_normal_,
        nn.init.kaiming_uniform_, nn.init.kaiming_normal_, nn.init.xavier_uniform_, nn.init.xavier_normal_,
        nn.init.orthogonal_, nn.init.sparse_,
    })

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        if func in self.SKIPPED:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **(kwargs or {}))


def built_for_loading(build: Callable[[], T]) -> T:
    """`build()` without the random initialisation of its weights, which `load_weights` then
    overwrites (initialising the shipped models took about a quarter of a second of loading them)."""
    with _Uninitialised():
        return build()


def load_weights(net: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Copy `tensors` into the weights of `net`: a RuntimeError where they do not match its
    parameters and persistent buffers."""
    net.load_state_dict(tensors, strict=True)


def load_model(folder: str | os.PathLike[str]) -> TextClassifier:
    """Rebuild the classifier saved in `folder`, in eval mode."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResourceError(f"model directory not found: {folder}")
    config = read_config(folder)
    vocab = Vocab.load(folder / VOCAB_FILE)
    try:
        net_config = config_from_dict(config["net"])
        features = FeatureConfig.from_dict(config["features"])
        metadata = {k: v for k, v in config.items() if k not in ("format_version", "arch", "task", "labels", "thresholds", "net", "features")}
        featurizer = Featurizer(features, vocab)
        classifier = built_for_loading(lambda: TextClassifier.create(config["task"], config["labels"], featurizer, net_config, seed=None))
        classifier.thresholds = tuple(float(t) for t in config.get("thresholds") or ()) or classifier.thresholds
        classifier.metadata = metadata
    except (KeyError, TypeError, ValueError) as exc:
        raise ResourceError(f"model config {folder / CONFIG_FILE} is invalid: {exc}") from None
    weights_path = folder / WEIGHTS_FILE
    if not weights_path.is_file():
        raise ResourceError(f"model weights missing: {weights_path}")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ResourceError(f"model weights {weights_path} are corrupted or unreadable: {exc}") from None
    try:
        load_weights(classifier.net, tensors)
    except RuntimeError as exc:
        raise ResourceError(f"model weights {weights_path} do not match the network in {CONFIG_FILE}: {exc}") from None
    classifier.net.eval()
    return classifier
