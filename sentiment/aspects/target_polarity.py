"""Aspect polarity with a target-dependent attention network (architecture "aspect-polarity.v2"),
in the spirit of ATAE-LSTM (the aspect joins the attention query), IAN (the aspect's own hidden
states form the query) and RAM (position relative to the aspect weighs the context):

    tokens -> word + character n-gram features, concatenated with an embedding of the signed,
    clipped distance to the aspect (0 inside it) [and the token's lexicon prior] -> BiGRU -> H
    [RAM/TNet proximity: H_i *= max(0, 1 - d_i / window), d_i tokens between i and the aspect]
    query q = [mean of H over the aspect ; mean of the aspect's token features]
    attention a_i = softmax_i(v . tanh(W_h H_i + W_q q))    context c = sum_i a_i H_i
    logits = MLP([c ; mean of H over the aspect])  over negative / neutral / positive

The attention weights are kept: the most attended words outside the term are the evidence shown
to the user.

Versions: "aspect-polarity.v2" adds the two optional parts in brackets (`lexicon_prior`, the
per-token values of `prior.LexiconPrior`; `proximity_window`); with both off it is the v1 network,
and v1 model directories still load (their config has neither field).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..neural.vocab import Vocab
from ..types import POLARITY_LABELS
from .features import TokenBatch, TokenFeatures, make_token_batch
from .prior import PRIOR_CHANNELS, LexiconPrior
from .store import load_network, save_network

INFERENCE_BATCH_SIZE = 256


@dataclass(frozen=True)
class PolarityConfig:
    """Hyper-parameters of the polarity network (saved in config.json under "net")."""

    word_dim: int = 64
    char_dim: int = 32
    char_ngrams: tuple[int, int] = (2, 4)
    char_buckets: int = 2**14
    position_dim: int = 16
    max_distance: int = 20
    hidden_size: int = 64
    attention_size: int = 64
    classifier_size: int = 64
    dropout: float = 0.5
    lexicon_prior: bool = False
    proximity_window: int = 0
    labels: tuple[str, ...] = POLARITY_LABELS
    arch: str = "aspect-polarity.v2"

    # Architectures this class builds; v1 is v2 with lexicon_prior and proximity_window off.
    ARCHS: ClassVar[tuple[str, ...]] = ("aspect-polarity.v1", "aspect-polarity.v2")

    def __post_init__(self) -> None:
        object.__setattr__(self, "char_ngrams", tuple(int(n) for n in self.char_ngrams))
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.labels != POLARITY_LABELS:
            raise ValueError(f"the polarity labels are {POLARITY_LABELS}, got {self.labels}")
        if self.max_distance < 1:
            raise ValueError(f"max_distance must be >= 1, got {self.max_distance}")
        if self.proximity_window < 0:
            raise ValueError(f"proximity_window must be >= 0 (0: off), got {self.proximity_window}")
        if self.arch not in self.ARCHS:
            raise ValueError(f"unknown architecture {self.arch!r}; valid: {', '.join(self.ARCHS)}")
        if self.arch == self.ARCHS[0] and (self.lexicon_prior or self.proximity_window):
            raise ValueError(f"{self.arch} has no lexicon prior or proximity weighting; use {self.ARCHS[-1]}")


@dataclass
class TargetBatch:
    """Token features plus the aspect mask (B, T), position ids (B, T), tokens between each token
    and the aspect (B, T; 0 inside it) and, for a network with a lexicon prior, its values (B, T, C)."""

    tokens: TokenBatch
    aspect: torch.Tensor
    positions: torch.Tensor
    distance: torch.Tensor
    prior: torch.Tensor | None = None


class TargetPolarityNet(nn.Module):
    def __init__(self, config: PolarityConfig, num_words: int) -> None:
        super().__init__()
        self.config = config
        self.features = TokenFeatures(num_words, config.word_dim, config.char_buckets, config.char_dim)
        self.positions = nn.Embedding(2 * config.max_distance + 1, config.position_dim)
        prior_size = PRIOR_CHANNELS if config.lexicon_prior else 0
        self.rnn = nn.GRU(self.features.size + config.position_dim + prior_size, config.hidden_size, bidirectional=True, batch_first=True)
        state = 2 * config.hidden_size
        self.attend_states = nn.Linear(state, config.attention_size, bias=False)
        self.attend_query = nn.Linear(state + self.features.size, config.attention_size)
        self.attention_vector = nn.Linear(config.attention_size, 1, bias=False)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Sequential(
            nn.Linear(2 * state, config.classifier_size), nn.Tanh(), nn.Dropout(config.dropout),
            nn.Linear(config.classifier_size, len(config.labels)),
        )

    def forward(self, batch: TargetBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (B, 3), attention weights (B, T))."""
        mask = batch.tokens.mask
        features = self.features(batch.tokens)
        parts = [features, self.positions(batch.positions)]
        if self.config.lexicon_prior:
            if batch.prior is None:
                raise ValueError("this network reads a lexicon prior; the batch has none")
            parts.append(batch.prior.to(features.dtype))
        inputs = self.dropout(torch.cat(parts, dim=-1))
        packed = pack_padded_sequence(inputs, batch.tokens.lengths, batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=inputs.shape[1])
        if self.config.proximity_window:
            nearness = (1.0 - batch.distance.to(states.dtype) / self.config.proximity_window).clamp(min=0.0)
            states = states * nearness.unsqueeze(-1)
        aspect = batch.aspect.unsqueeze(-1).to(states.dtype)
        size = aspect.sum(1).clamp(min=1.0)
        aspect_states = (states * aspect).sum(1) / size
        aspect_features = (features * aspect).sum(1) / size
        query = self.attend_query(torch.cat([aspect_states, aspect_features], dim=-1)).unsqueeze(1)
        scores = self.attention_vector(torch.tanh(self.attend_states(states) + query)).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        context = (weights.unsqueeze(-1) * states).sum(1)
        return self.classifier(self.dropout(torch.cat([context, aspect_states], dim=-1))), weights


@dataclass(frozen=True)
class TargetPrediction:
    """Probabilities over negative / neutral / positive and the attention over the tokens."""

    probabilities: np.ndarray
    attention: np.ndarray

    @property
    def label(self) -> str:
        return POLARITY_LABELS[int(self.probabilities.argmax())]

    @property
    def score(self) -> float:
        """P(positive) - P(negative), in [-1, 1]."""
        return float(self.probabilities[2] - self.probabilities[0])


class TargetPolarityModel:
    """A trained polarity network with its vocabulary (and, if the network reads one, the lexicon
    prior); `predict` scores (tokens, first, last) targets."""

    def __init__(
        self,
        config: PolarityConfig,
        vocab: Vocab,
        net: TargetPolarityNet,
        metadata: Mapping[str, Any] | None = None,
        prior: LexiconPrior | None = None,
    ) -> None:
        if config.lexicon_prior and prior is None:
            raise ValueError("the network reads a lexicon prior: pass `prior` (LexiconPrior.load())")
        self.config = config
        self.vocab = vocab
        self.net = net
        self.metadata = dict(metadata or {})
        self.prior = prior if config.lexicon_prior else None

    @classmethod
    def create(cls, config: PolarityConfig, vocab: Vocab, seed: int = 0, prior: LexiconPrior | None = None) -> "TargetPolarityModel":
        """A fresh network; with `config.lexicon_prior`, `prior` defaults to the shipped lexicons'."""
        if config.lexicon_prior and prior is None:
            prior = LexiconPrior.load()
        torch.manual_seed(seed)
        return cls(config, vocab, TargetPolarityNet(config, len(vocab)), prior=prior)

    def batch(
        self, targets: Sequence[tuple[Sequence[str], int, int]], word_dropout: float = 0.0, generator: torch.Generator | None = None
    ) -> TargetBatch:
        """Tensors for (tokens, first, last) targets; `first..last` are the aspect's token indices."""
        tokens = make_token_batch([t[0] for t in targets], self.vocab, self.config.char_ngrams, self.config.char_buckets, word_dropout, generator)
        width = tokens.word_ids.shape[1]
        index = torch.arange(width).unsqueeze(0)
        first = torch.tensor([t[1] for t in targets], dtype=torch.long).unsqueeze(1)
        last = torch.tensor([t[2] for t in targets], dtype=torch.long).unsqueeze(1)
        distance = torch.where(index < first, index - first, torch.where(index > last, index - last, torch.zeros_like(index)))
        limit = self.config.max_distance
        prior = self.prior.batch([t[0] for t in targets], width) if self.prior is not None else None
        return TargetBatch(tokens, (index >= first) & (index <= last), distance.clamp(-limit, limit) + limit, distance.abs(), prior)

    def predict(self, targets: Sequence[tuple[Sequence[str], int, int]]) -> list[TargetPrediction]:
        """Batched prediction under torch.inference_mode."""
        self.net.eval()
        found: list[TargetPrediction] = []
        with torch.inference_mode():
            for begin in range(0, len(targets), INFERENCE_BATCH_SIZE):
                chunk = targets[begin : begin + INFERENCE_BATCH_SIZE]
                logits, weights = self.net(self.batch(chunk))
                probabilities = torch.softmax(logits, dim=-1).float().to(torch.float64).numpy()
                weights = weights.float().to(torch.float64).numpy()
                found.extend(
                    TargetPrediction(probabilities[row], weights[row, : len(target[0])]) for row, target in enumerate(chunk)
                )
        return found

    def batch_invariant(self) -> "TargetPolarityModel":
        """Compute in float64 from now on (see `AspectTagger.batch_invariant`); returns self."""
        self.net.to(torch.float64)
        return self

    def save(self, folder: str | Path) -> Path:
        return save_network(folder, self.config, self.vocab, self.net, self.metadata)

    @classmethod
    def load(cls, folder: str | Path, lexicons_dir: str | Path | None = None) -> "TargetPolarityModel":
        """A saved model; a network with a lexicon prior reads it from `lexicons_dir` (default:
        the shipped lexicons, the ones it was trained with)."""
        config, vocab, net, metadata = load_network(folder, PolarityConfig, TargetPolarityNet)
        return cls(config, vocab, net, metadata, LexiconPrior.load(lexicons_dir) if config.lexicon_prior else None)
