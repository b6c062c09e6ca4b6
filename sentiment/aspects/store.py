"""Saving and loading the aspect networks in the toolkit's model-directory format
(`sentiment.neural.checkpoint`): config.json with the format version and the versioned
architecture name, vocab.json, model.safetensors. No pickle; weights load with safetensors only.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..errors import ResourceError
from ..neural.checkpoint import (
    CONFIG_FILE, FORMAT_VERSION, VOCAB_FILE, WEIGHTS_FILE, built_for_loading, load_weights, read_config,
)
from ..neural.vocab import Vocab


def save_network(folder: str | Path, net_config: Any, vocab: Vocab, net: torch.nn.Module, metadata: Mapping[str, Any]) -> Path:
    """Write config.json (format version, `net_config.arch`, the config fields, metadata), the
    vocabulary and the weights (float32) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {"format_version": FORMAT_VERSION, "arch": net_config.arch, "net": _plain(asdict(net_config)), **metadata}
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    vocab.save(folder / VOCAB_FILE)
    # Weights are stored as float32 even from a network switched to float64 for inference.
    tensors = {name: (t.detach().float() if t.is_floating_point() else t.detach()).contiguous().clone() for name, t in net.state_dict().items()}
    save_file(tensors, str(folder / WEIGHTS_FILE), metadata={"format_version": str(FORMAT_VERSION), "arch": net_config.arch})
    return folder


def load_network(folder: str | Path, config_class: type, net_class: type) -> tuple[Any, Vocab, torch.nn.Module, dict[str, Any]]:
    """(net config, vocabulary, network in eval mode, metadata) from a model directory whose
    architecture must be one `config_class` builds; every missing or corrupted file is a ResourceError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResourceError(f"model directory not found: {folder}")
    config = read_config(folder)
    # A config class lists the architectures it builds in ARCHS (older versions it still loads).
    expected = getattr(config_class, "ARCHS", (config_class.arch,))
    if config.get("arch") not in expected:
        raise ResourceError(f"model {folder} has architecture {config.get('arch')!r}; expected {' or '.join(map(repr, expected))}")
    try:
        fields = dict(config["net"])
        net_config = config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    except (KeyError, TypeError, ValueError) as error:
        raise ResourceError(f"model config {folder / CONFIG_FILE} is invalid: {error}") from None
    vocab = Vocab.load(folder / VOCAB_FILE)
    net = built_for_loading(lambda: net_class(net_config, len(vocab)))
    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise ResourceError(f"model weights missing: {path}")
    try:
        load_weights(net, load_file(str(path)))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise ResourceError(f"model weights {path} are corrupted or do not match {CONFIG_FILE}: {error}") from None
    net.eval()
    metadata = {k: v for k, v in config.items() if k not in ("format_version", "arch", "net")}
    return net_config, vocab, net, metadata


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
