"""Token attributions: how much each token moves a scalar read off the model's output.

- MLP (bag of n-grams): occlusion, exactly and for a whole batch at once. Removing a token
  removes its features from the bag (its word id, its character n-grams and every word n-gram
  it is part of); every occluded bag mean follows from the parts of the text's bag
  (inference.py), then the feed-forward stack runs once over all of them.
  weight = value(text) - value(text without the token).
- RNN: gradient x input on the word embeddings (one backward pass per batch, through the
  batched recurrence), summed over the embedding dimensions: a first-order estimate of the same
  quantity.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from .inference import BagEncoder, SequenceEncoder
from .model import TextClassifier
from .nets import output_activation
from .tokens import TextTokens, TokenBatch
from .vocab import UNK_ID

# Maps activated outputs (N, outputs) and row indices to the explained value per row; must be
# made of torch operations so that gradients flow through it.
ValueFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def bag_occlusion(classifier: TextClassifier, tokens: TokenBatch, value: ValueFunction) -> list[np.ndarray]:
    """Per text, one weight per token (MLP only), for the whole batch at once."""
    encoder = classifier.encoder()
    if not isinstance(encoder, BagEncoder):
        raise TypeError(f"bag occlusion needs a bag-of-n-grams network, not {classifier.net_config.arch}")
    with torch.inference_mode():
        bags = encoder.bags(tokens)
        inputs = torch.cat([encoder.means(bags), encoder.occluded_means(bags)])
        outputs = output_activation(classifier.net.feed_forward(inputs), classifier.net_config.output)
        rows = np.concatenate([np.arange(len(tokens)), tokens.rows])
        values = value(outputs, torch.from_numpy(rows)).double().numpy()
    weights = values[tokens.rows] - values[len(tokens) :]
    return [weights[start : start + count] for start, count in zip(tokens.first.tolist(), tokens.counts.tolist())]


def gradient_times_input(classifier: TextClassifier, tokens: TokenBatch, value: ValueFunction) -> list[np.ndarray]:
    """Per text, one weight per token (RNN: gradient of the value w.r.t. each word embedding,
    dotted with that embedding). Through the batched recurrence (inference.py) where the network
    has one, which gives the same weights as its own forward at a small fraction of the cost."""
    net = classifier.net
    encoder = classifier.encoder()
    if not isinstance(encoder, SequenceEncoder):
        return _gradient_times_input_by_forward(classifier, tokens, value)
    with torch.enable_grad():
        embedded, pooled, schedule = encoder.differentiable(tokens)
        outputs = output_activation(net.feed_forward(pooled), classifier.net_config.output)
        (gradient,) = torch.autograd.grad(value(outputs, torch.arange(len(tokens))).sum(), embedded)
    scores = (gradient * embedded).sum(-1).detach().double().numpy()  # no parameter .grad is touched
    # a text without tokens read one unknown word there, which it does not report
    first = schedule.tokens.first.tolist()
    return [scores[start : start + count] for start, count in zip(first, tokens.counts.tolist())]


def _gradient_times_input_by_forward(classifier: TextClassifier, tokens: TokenBatch, value: ValueFunction) -> list[np.ndarray]:
    """`gradient_times_input` through the network's own forward (an RNN of several layers)."""
    net = classifier.net
    encoded = tokens.word_id_lists(UNK_ID)
    batch = net.collate(encoded)
    with torch.enable_grad():
        embedded = net.embedding(batch.ids).detach().requires_grad_(True)
        outputs = output_activation(net.forward_embedded(embedded, batch.lengths), classifier.net_config.output)
        (gradient,) = torch.autograd.grad(value(outputs, torch.arange(len(encoded))).sum(), embedded)
    scores = (gradient * embedded).sum(-1).detach().double().numpy()
    return [scores[row, :count] for row, count in enumerate(tokens.counts.tolist())]


# Texts per attribution pass: bounds the padded RNN batch and the occluded bags (one per token).
ATTRIBUTION_BATCH_SIZE = 256


def attributions(
    classifier: TextClassifier,
    tokens: TokenBatch | Sequence[Sequence[str]],
    value: ValueFunction,
    batch_size: int = ATTRIBUTION_BATCH_SIZE,
) -> list[np.ndarray]:
    """Occlusion for bag models, gradient x input for sequence models: per text (a batch, or token
    strings), one weight per token it reads; `value(outputs, rows)` gets row indices into the texts."""
    if not isinstance(tokens, TokenBatch):
        tokens = classifier.token_batch(TextTokens.of_lists(tokens))
    method = bag_occlusion if classifier.uses_bags else gradient_times_input
    was_training = classifier.net.training
    classifier.net.eval()
    results: list[np.ndarray] = []
    try:
        for start in range(0, len(tokens), batch_size):
            shifted: ValueFunction = lambda outputs, rows, start=start: value(outputs, rows + start)  # noqa: E731
            results.extend(method(classifier, tokens.select(slice(start, start + batch_size)), shifted))
    finally:
        classifier.net.train(was_training)
    return results
