"""A trained text classifier: featurizer + network + labels + task, with batched prediction.

Tasks: `multiclass` (softmax over labels), `binary` (one sigmoid output: P(labels[1])),
`multilabel` (a sigmoid per label, each with its own threshold) and `regression` (a linear
output predicting the 1-based position of an ordered label, e.g. 1-5 stars).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .inference import Encoder, has_batched_path, make_encoder, stack_inputs, weights_key
from .nets import MLPConfig, NetConfig, build_net, output_activation
from .tokens import TextTokens, TokenBatch
from .vocab import UNK_ID, Featurizer

TASK_OUTPUTS = {"multiclass": "softmax", "binary": "sigmoid", "multilabel": "sigmoid", "regression": "linear"}
TASKS = tuple(TASK_OUTPUTS)
DEFAULT_THRESHOLD = 0.5
INFERENCE_BATCH_SIZE = 512
# Tokens per batched inference pass (`predict_batch`): bounds its arrays (the RNN's gate inputs take
# directions x gates numbers per token) while keeping passes long enough to amortize their fixed costs.
INFERENCE_BATCH_TOKENS = 16_384

# A label as it comes from a corpus: one name, several names (multi-label) or a distribution.
Label = str | tuple[str, ...] | Mapping[str, float]


def check_task(task: str, labels: Sequence[str]) -> None:
    if task not in TASK_OUTPUTS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    if len(set(labels)) != len(labels) or len(labels) < 2:
        raise ValueError(f"a task needs at least two distinct labels, got {list(labels)}")
    if task == "binary" and len(labels) != 2:
        raise ValueError(f"a binary task has exactly two labels, got {list(labels)}")


def num_outputs(task: str, labels: Sequence[str]) -> int:
    return 1 if task in ("binary", "regression") else len(labels)


@dataclass(frozen=True)
class Prediction:
    """`probabilities[i, j]`: P(label j | text i) (multilabel: independent per label);
    `values[i]`: expected 1-based label position (the regression output itself for regression)."""

    probabilities: np.ndarray
    values: np.ndarray

    def rows(self, index: slice) -> "Prediction":
        """These rows (texts) only."""
        return Prediction(self.probabilities[index], self.values[index])


@dataclass
class TextClassifier:
    """What a model directory holds, rebuilt in memory; `net` is in eval mode after loading."""

    task: str
    labels: tuple[str, ...]
    featurizer: Featurizer
    net_config: NetConfig
    net: nn.Module
    thresholds: tuple[float, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    # The batched inference path (inference.py) of a serving classifier, and the weights it was built for.
    _encoder: tuple[tuple, Encoder | None] | None = field(default=None, init=False, repr=False, compare=False)
    _serving: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_task(self.task, self.labels)
        self.labels = tuple(self.labels)
        if not self.thresholds:
            self.thresholds = (DEFAULT_THRESHOLD,) * len(self.labels)
        expected = TASK_OUTPUTS[self.task]
        if self.net_config.output != expected:
            raise ValueError(f"task {self.task!r} needs a {expected} output, the network has {self.net_config.output}")

    @classmethod
    def create(
        cls, task: str, labels: Sequence[str], featurizer: Featurizer, net_config: NetConfig, seed: int | None = 0
    ) -> "TextClassifier":
        """A new, randomly initialised classifier (seeded, so the same seed gives the same weights;
        None leaves torch's global generator alone, for a network whose weights are loaded next)."""
        if seed is not None:
            torch.manual_seed(seed)
        return cls(task, tuple(labels), featurizer, net_config, build_net(net_config))

    @property
    def uses_bags(self) -> bool:
        return isinstance(self.net_config, MLPConfig)

    def encode_tokens(self, tokens: Sequence[str]) -> list[int]:
        return self.featurizer.bag_ids(tokens) if self.uses_bags else self.featurizer.word_ids(tokens)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode_tokens(self.featurizer.tokens(text)) for text in texts]

    def targets(self, labels: Sequence[Label]) -> torch.Tensor:
        """Float targets of shape (N, outputs); an unknown label names the valid ones."""
        index = {label: i for i, label in enumerate(self.labels)}

        def position(name: str) -> int:
            try:
                return index[name]
            except KeyError:
                raise ValueError(f"unknown label {name!r}; valid labels: {', '.join(self.labels)}") from None

        rows = np.zeros((len(labels), len(self.labels)), dtype=np.float32)
        for row, label in enumerate(labels):
            if isinstance(label, str):
                rows[row, position(label)] = 1.0
            elif isinstance(label, Mapping):
                for name, weight in label.items():
                    rows[row, position(name)] = float(weight)
            else:
                names = tuple(label)
                for name in names:
                    rows[row, position(name)] = 1.0 if self.task == "multilabel" else 1.0 / len(names)
        if self.task == "multiclass" or self.task == "regression":
            totals = rows.sum(1, keepdims=True)
            rows = rows / np.where(totals > 0, totals, 1.0)
        if self.task == "binary":
            rows = rows[:, 1:2] / np.maximum(rows.sum(1, keepdims=True), 1e-12)
        elif self.task == "regression":
            rows = (rows * np.arange(1, len(self.labels) + 1, dtype=np.float32)).sum(1, keepdims=True)
        return torch.from_numpy(np.ascontiguousarray(rows))

    def probabilities_from_outputs(self, outputs: torch.Tensor) -> Prediction:
        """Network outputs (after the output activation) -> per-label probabilities and values."""
        outputs = outputs.detach().to(torch.float64).numpy()
        positions = np.arange(1, len(self.labels) + 1, dtype=np.float64)
        if self.task == "binary":
            probabilities = np.concatenate([1 - outputs, outputs], axis=1)
        elif self.task == "regression":
            values = np.clip(outputs[:, 0], 1, len(self.labels))
            probabilities = np.eye(len(self.labels))[np.rint(values).astype(int) - 1]
            return Prediction(probabilities, values)
        else:
            probabilities = outputs
        if self.task == "multilabel":
            normalized = probabilities / np.maximum(probabilities.sum(1, keepdims=True), 1e-12)
            return Prediction(probabilities, normalized @ positions)
        return Prediction(probabilities, probabilities @ positions)

    def forward_ids(self, encoded: Sequence[Sequence[int]]) -> torch.Tensor:
        """Output-activated network outputs for already-encoded texts (no gradient), as float32.

        A network switched to float64 (`batch_invariant`) gives the same float32 result for a
        text whatever batch it is in: batched matrix kernels sum in different orders, and the
        float64 differences vanish when rounded to float32."""
        with torch.inference_mode():
            return output_activation(self.net(self.net.collate(encoded)), self.net_config.output).float()

    def batch_invariant(self) -> "TextClassifier":
        """Serve from now on: compute in float64 (see `forward_ids`) and keep the batched inference
        path's tables (`encoder`); the weights must not be trained any more. Returns self."""
        self.net.to(torch.float64)
        self._serving = True
        return self

    def encoder(self) -> Encoder | None:
        """The batched inference path for this network (None where there is none). It keeps
        what it derives from the weights (per-word sums and projections) only once the classifier
        serves (`batch_invariant`), whose weights no longer change (it is still rebuilt if they are
        replaced or loaded anew); before, a new one reads the current weights each time (training
        steps may change them in place without a trace)."""
        if not self._serving:
            return make_encoder(self.net, self.featurizer)
        key = weights_key(self.net)
        if self._encoder is None or self._encoder[0] != key:
            self._encoder = (key, make_encoder(self.net, self.featurizer))
        return self._encoder[1]

    def predict_tokens(self, token_lists: Sequence[Sequence[str]], batch_size: int = INFERENCE_BATCH_SIZE) -> Prediction:
        """`predict` for token strings (`featurizer.tokens`)."""
        if not has_batched_path(self.net):
            return self.predict_encoded([self.encode_tokens(tokens) for tokens in token_lists], batch_size)
        return self.predict_batch(self.token_batch(TextTokens.of_lists(token_lists)), batch_size)

    def token_batch(self, tokens: TextTokens, first: np.ndarray | None = None, end: np.ndarray | None = None) -> TokenBatch:
        """These tokens as this model's batch: each text's (or the runs `first` ..< `end`, e.g.
        sentences), with their ids in its vocabulary."""
        if first is None or end is None:
            first, end = tokens.first, tokens.first + tokens.counts
        return TokenBatch.of_runs(tokens, tokens.word_ids(self.featurizer.vocab), first, end, self.featurizer.config.max_tokens)

    def predict_batch(self, tokens: TokenBatch, batch_size: int = INFERENCE_BATCH_SIZE) -> Prediction:
        """Batched prediction through the batched inference path (inference.py; for an RNN of
        several recurrent layers, the network's own forward): the same outputs as `predict_encoded`
        of `encode_tokens`. A pass takes at most `batch_size` texts and INFERENCE_BATCH_TOKENS
        tokens (but at least one text)."""
        self.net.eval()
        encoder = self.encoder()
        if encoder is None:  # the network's own forward
            return self.predict_encoded(tokens.word_id_lists(UNK_ID), batch_size)
        if not len(tokens):
            return self.probabilities_from_outputs(torch.zeros(0, self.net_config.num_outputs))
        with torch.inference_mode():
            outputs = [
                output_activation(self.net.feed_forward(stack_inputs(encoder, tokens.select(part))), self.net_config.output)
                for part in _passes(tokens.counts, batch_size)
            ]
        return self.probabilities_from_outputs(torch.cat(outputs).float())

    def predict_encoded(self, encoded: Sequence[Sequence[int]], batch_size: int = INFERENCE_BATCH_SIZE) -> Prediction:
        self.net.eval()
        if not encoded:
            empty = np.zeros((0, len(self.labels)))
            return Prediction(empty, np.zeros(0))
        chunks = [self.forward_ids(encoded[i : i + batch_size]) for i in range(0, len(encoded), batch_size)]
        return self.probabilities_from_outputs(torch.cat(chunks))

    def predict(self, texts: Sequence[str], batch_size: int = INFERENCE_BATCH_SIZE) -> Prediction:
        """Batched prediction under torch.inference_mode."""
        return self.predict_encoded(self.encode(texts), batch_size)

    def decide(self, probabilities: np.ndarray) -> list[tuple[str, ...]]:
        """The predicted label(s) per row: the argmax, or every label over its threshold (at least the top one)."""
        if self.task != "multilabel":
            return [(self.labels[i],) for i in probabilities.argmax(1).tolist()]
        above = probabilities >= np.asarray(self.thresholds)
        none = np.flatnonzero(~above.any(1))
        above[none, probabilities[none].argmax(1)] = True
        return [tuple(compress(self.labels, row)) for row in above.tolist()]


def _passes(counts: np.ndarray, batch_size: int) -> list[slice]:
    """Consecutive texts of at most `batch_size` texts and INFERENCE_BATCH_TOKENS tokens each
    (a longer text alone)."""
    passes, start, tokens = [], 0, 0
    for end, count in enumerate(counts.tolist()):
        if end > start and (end - start >= batch_size or tokens + count > INFERENCE_BATCH_TOKENS):
            passes.append(slice(start, end))
            start, tokens = end, 0
        tokens += count
    return passes + [slice(start, len(counts))]
