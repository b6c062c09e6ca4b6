"""The networks and their configs: an MLP over a bag of n-grams and an RNN over word sequences.

Each config carries a versioned architecture name (`"mlp.v1"`, `"rnn.v1"`); a saved model is
rebuilt from its config by `build_net`, then its weights are loaded. Networks return raw scores
(logits); `output_activation` turns them into probabilities or a value.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .vocab import PAD_ID

ACTIVATIONS = ("sigmoid", "tanh", "hardtanh", "relu", "leaky_relu")
OUTPUTS = ("softmax", "sigmoid", "linear")
INITS = ("zeros", "normal", "uniform", "xavier", "he")
CELLS = ("gru", "lstm")
POOLINGS = ("mean", "max", "attention", "last")
# Spread of the "normal" and "uniform" initialisations: small enough that sigmoid/tanh units
# start in their linear range, large enough to break symmetry.
RANDOM_INIT_STD = 0.05
RANDOM_INIT_BOUND = 0.05
# Embedding rows start at N(0, 1/dim): a bag mean of such rows has unit-order entries.
EMBEDDING_STD_SCALE = 1.0


def _check_choice(name: str, value: str, valid: Sequence[str]) -> None:
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")


@dataclass(frozen=True)
class LayerConfig:
    """One hidden layer: its width, activation and, for leaky_relu, the negative slope."""

    size: int
    activation: str = "relu"
    negative_slope: float = 0.01

    def __post_init__(self) -> None:
        _check_choice("activation", self.activation, ACTIVATIONS)
        if self.size < 1:
            raise ValueError(f"hidden layer size must be >= 1, got {self.size}")


def _layers(value: Any) -> tuple[LayerConfig, ...]:
    return tuple(v if isinstance(v, LayerConfig) else LayerConfig(**v) for v in value)


@dataclass(frozen=True)
class MLPConfig:
    """Bag of n-gram embeddings (mean) -> hidden layers -> outputs."""

    num_ids: int
    num_outputs: int
    embedding_dim: int = 32
    hidden: tuple[LayerConfig, ...] = ()
    dropout: float = 0.0
    output: str = "softmax"
    init: str = "xavier"
    arch: str = "mlp.v1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", _layers(self.hidden))
        _check_choice("output", self.output, OUTPUTS)
        _check_choice("init", self.init, INITS)


@dataclass(frozen=True)
class RNNConfig:
    """Word embeddings -> GRU/LSTM (uni- or bidirectional) -> pooling over states -> hidden layers -> outputs."""

    num_ids: int
    num_outputs: int
    embedding_dim: int = 64
    hidden_size: int = 64
    cell: str = "gru"
    num_layers: int = 1
    bidirectional: bool = True
    pooling: str = "max"
    hidden: tuple[LayerConfig, ...] = ()
    dropout: float = 0.0
    output: str = "softmax"
    init: str = "xavier"
    arch: str = "rnn.v1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", _layers(self.hidden))
        _check_choice("cell", self.cell, CELLS)
        _check_choice("pooling", self.pooling, POOLINGS)
        _check_choice("output", self.output, OUTPUTS)
        _check_choice("init", self.init, INITS)


NetConfig = MLPConfig | RNNConfig


def config_to_dict(config: NetConfig) -> dict[str, Any]:
    return asdict(config)


def config_from_dict(data: Mapping[str, Any]) -> NetConfig:
    """Rebuild a config from its dict; the `arch` name picks the class."""
    arch = data.get("arch")
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHITECTURES)}")
    config_class = ARCHITECTURES[arch][0]
    known = {f.name for f in fields(config_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {arch} config keys {unknown}; valid: {', '.join(sorted(known))}")
    return config_class(**data)


def make_activation(layer: LayerConfig) -> nn.Module:
    if layer.activation == "leaky_relu":
        return nn.LeakyReLU(layer.negative_slope)
    return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "hardtanh": nn.Hardtanh, "relu": nn.ReLU}[layer.activation]()


def _feed_forward(in_size: int, layers: Sequence[LayerConfig], dropout: float, num_outputs: int) -> nn.Sequential:
    modules: list[nn.Module] = []
    for layer in layers:
        modules += [nn.Linear(in_size, layer.size), make_activation(layer)]
        if dropout > 0:
            modules.append(nn.Dropout(dropout))
        in_size = layer.size
    modules.append(nn.Linear(in_size, num_outputs))
    return nn.Sequential(*modules)


def _gain(activation: str | None, negative_slope: float = 0.01) -> float:
    if activation in (None, "sigmoid", "hardtanh"):
        return 1.0
    if activation == "leaky_relu":
        return nn.init.calculate_gain("leaky_relu", negative_slope)
    return nn.init.calculate_gain(activation)


def initialize_matrix(weight: torch.Tensor, scheme: str, activation: str | None = None, negative_slope: float = 0.01) -> None:
    """Fill a weight matrix in place with the named scheme (`zeros` is kept to show symmetry failure)."""
    _check_choice("init", scheme, INITS)
    with torch.no_grad():
        if scheme == "zeros":
            weight.zero_()
        elif scheme == "normal":
            weight.normal_(0.0, RANDOM_INIT_STD)
        elif scheme == "uniform":
            weight.uniform_(-RANDOM_INIT_BOUND, RANDOM_INIT_BOUND)
        elif scheme == "xavier":
            nn.init.xavier_uniform_(weight, gain=_gain(activation, negative_slope))
        else:  # he
            relu_like = activation in ("relu", "leaky_relu")
            nn.init.kaiming_uniform_(
                weight,
                a=negative_slope if activation == "leaky_relu" else 0.0,
                nonlinearity="leaky_relu" if relu_like else "linear",
            )


def _initialize_feed_forward(stack: nn.Sequential, layers: Sequence[LayerConfig], scheme: str) -> None:
    linears = [m for m in stack if isinstance(m, nn.Linear)]
    for index, linear in enumerate(linears):
        layer = layers[index] if index < len(layers) else None
        initialize_matrix(
            linear.weight, scheme, layer.activation if layer else None, layer.negative_slope if layer else 0.01
        )
        nn.init.zeros_(linear.bias)


def _initialize_embedding(embedding: nn.Module, dim: int) -> None:
    with torch.no_grad():
        embedding.weight.normal_(0.0, EMBEDDING_STD_SCALE / math.sqrt(dim))
        if isinstance(embedding, nn.Embedding):
            embedding.weight[PAD_ID].zero_()


@dataclass
class BagBatch:
    """Ids of a batch of bags, concatenated, with each bag's start offset (nn.EmbeddingBag input)."""

    ids: torch.Tensor
    offsets: torch.Tensor

    def __len__(self) -> int:
        return len(self.offsets)


@dataclass
class SequenceBatch:
    """Right-padded word-id sequences and their lengths."""

    ids: torch.Tensor
    lengths: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))

    def __len__(self) -> int:
        return self.ids.shape[0]


class MLP(nn.Module):
    """Mean of n-gram embeddings, then a configurable feed-forward stack."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.EmbeddingBag(config.num_ids, config.embedding_dim, mode="mean")
        self.dropout = nn.Dropout(config.dropout)
        self.feed_forward = _feed_forward(config.embedding_dim, config.hidden, config.dropout, config.num_outputs)
        _initialize_embedding(self.embedding, config.embedding_dim)
        _initialize_feed_forward(self.feed_forward, config.hidden, config.init)

    @staticmethod
    def collate(examples: Sequence[Sequence[int]]) -> BagBatch:
        arrays = [np.asarray(e, dtype=np.int64) for e in examples]
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.zeros(len(arrays), dtype=np.int64)
        if len(arrays) > 1:
            offsets[1:] = np.cumsum(lengths[:-1])
        ids = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
        return BagBatch(torch.from_numpy(ids), torch.from_numpy(offsets))

    def encode(self, batch: BagBatch) -> torch.Tensor:
        return self.embedding(batch.ids, batch.offsets)

    def forward(self, batch: BagBatch) -> torch.Tensor:
        return self.feed_forward(self.dropout(self.encode(batch)))


class RNN(nn.Module):
    """Embeddings -> recurrent layers -> mean/max/attention/last pooling -> feed-forward stack."""

    def __init__(self, config: RNNConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.num_ids, config.embedding_dim, padding_idx=PAD_ID)
        rnn_class = nn.GRU if config.cell == "gru" else nn.LSTM
        self.rnn = rnn_class(
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        state_size = config.hidden_size * (2 if config.bidirectional else 1)
        self.attention = nn.Linear(state_size, 1) if config.pooling == "attention" else None
        self.dropout = nn.Dropout(config.dropout)
        self.feed_forward = _feed_forward(state_size, config.hidden, config.dropout, config.num_outputs)
        _initialize_embedding(self.embedding, config.embedding_dim)
        for name, weight in self.rnn.named_parameters():
            if name.startswith("weight"):
                initialize_matrix(weight, config.init, "tanh")
            else:
                nn.init.zeros_(weight)
        if self.attention is not None:
            initialize_matrix(self.attention.weight, config.init)
            nn.init.zeros_(self.attention.bias)
        _initialize_feed_forward(self.feed_forward, config.hidden, config.init)

    @staticmethod
    def collate(examples: Sequence[Sequence[int]]) -> SequenceBatch:
        arrays = [np.asarray(e, dtype=np.int64) for e in examples]
        lengths = np.array([max(1, len(a)) for a in arrays], dtype=np.int64)
        ids = np.full((len(arrays), int(lengths.max())), PAD_ID, dtype=np.int64)
        for row, array in enumerate(arrays):
            ids[row, : len(array)] = array
        return SequenceBatch(torch.from_numpy(ids), torch.from_numpy(lengths))

    def states(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        output, _ = self.rnn(packed)
        states, _ = pad_packed_sequence(output, batch_first=True, total_length=embedded.shape[1])
        return states

    def pool(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = torch.arange(states.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
        if self.config.pooling == "mean":
            return (states * mask.unsqueeze(-1)).sum(1) / lengths.unsqueeze(1).to(states.dtype)
        if self.config.pooling == "max":
            return states.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values
        if self.config.pooling == "last":
            size = self.config.hidden_size
            forward_last = states[torch.arange(len(lengths)), lengths - 1, :size]
            if not self.config.bidirectional:
                return forward_last
            return torch.cat([forward_last, states[:, 0, size:]], dim=1)
        scores = self.attention(states).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        return (weights.unsqueeze(-1) * states).sum(1)

    def forward_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        pooled = self.pool(self.states(self.dropout(embedded), lengths), lengths)
        return self.feed_forward(self.dropout(pooled))

    def forward(self, batch: SequenceBatch) -> torch.Tensor:
        return self.forward_embedded(self.embedding(batch.ids), batch.lengths)


ARCHITECTURES: dict[str, tuple[type, Callable[[Any], nn.Module]]] = {
    "mlp.v1": (MLPConfig, MLP),
    "rnn.v1": (RNNConfig, RNN),
}


def build_net(config: NetConfig) -> nn.Module:
    """A freshly initialised network for `config`."""
    if config.arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {config.arch!r}; valid: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[config.arch][1](config)


def output_activation(logits: torch.Tensor, output: str) -> torch.Tensor:
    """Logits -> probabilities (softmax over classes, or an independent sigmoid each) or values (linear)."""
    _check_choice("output", output, OUTPUTS)
    if output == "softmax":
        return torch.softmax(logits, dim=-1)
    if output == "sigmoid":
        return torch.sigmoid(logits)
    return logits
