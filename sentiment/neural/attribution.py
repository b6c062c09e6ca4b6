"""Token attributions: how much each token moves a scalar read off the model's output.

- MLP (bag of n-grams): occlusion, exactly and in one batch. Removing a token removes its
  features from the bag (its word id, its character n-grams and every word n-gram it is part
  of); the bag mean is recomputed from the cached embedding rows, then the feed-forward stack
  runs once over all occluded bags. weight = value(text) - value(text without the token).
- RNN: gradient x input on the word embeddings (one backward pass per batch), summed over
  the embedding dimensions: a first-order estimate of the same quantity.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from .model import TextClassifier
from .nets import output_activation

# Maps activated outputs (N, outputs) and row indices to the explained value per row; must be
# made of torch operations so that gradients flow through it.
ValueFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def bag_occlusion(classifier: TextClassifier, token_lists: Sequence[Sequence[str]], value: ValueFunction) -> list[np.ndarray]:
    """Per text, one weight per token (MLP only)."""
    net = classifier.net
    weight = net.embedding.weight
    limit = classifier.featurizer.config.max_tokens
    results = [np.zeros(0) for _ in token_lists]
    bags, pieces = [], []
    with torch.inference_mode():
        for row, tokens in enumerate(token_lists):
            tokens = list(tokens[:limit])
            if not tokens:
                continue
            ids, owners = classifier.featurizer.bag_features(tokens)
            vectors = weight[torch.tensor(ids)]
            spans = torch.tensor(owners)
            positions = torch.arange(len(tokens)).unsqueeze(1)
            owned = ((spans[:, 0] <= positions) & (positions <= spans[:, 1])).to(vectors.dtype)  # (tokens, ids)
            total, size = vectors.sum(0), float(len(ids))
            left = size - owned.sum(1)
            occluded = (total.unsqueeze(0) - owned @ vectors) / left.clamp(min=1.0).unsqueeze(1)
            occluded[left <= 0] = 0.0  # nothing left: EmbeddingBag's empty-bag value
            bags.append(torch.cat([(total / size).unsqueeze(0), occluded]))
            pieces.append((row, len(tokens)))
        if not bags:
            return results
        outputs = output_activation(net.feed_forward(torch.cat(bags)), classifier.net_config.output)
        rows = torch.tensor([row for row, count in pieces for _ in range(count + 1)])
        values = value(outputs, rows).double().numpy()
    start = 0
    for row, count in pieces:
        results[row] = values[start] - values[start + 1 : start + 1 + count]
        start += count + 1
    return results


def gradient_times_input(classifier: TextClassifier, token_lists: Sequence[Sequence[str]], value: ValueFunction) -> list[np.ndarray]:
    """Per text, one weight per token (RNN: gradient of the value w.r.t. each word embedding,
    dotted with that embedding)."""
    net = classifier.net
    encoded = [classifier.featurizer.word_ids(tokens) for tokens in token_lists]
    batch = net.collate(encoded)
    with torch.enable_grad():
        embedded = net.embedding(batch.ids).detach().requires_grad_(True)
        outputs = output_activation(net.forward_embedded(embedded, batch.lengths), classifier.net_config.output)
        (gradient,) = torch.autograd.grad(value(outputs, torch.arange(len(encoded))).sum(), embedded)
    scores = (gradient * embedded).sum(-1).detach().double().numpy()  # no parameter .grad is touched
    return [scores[row, : min(len(tokens), classifier.featurizer.config.max_tokens)] for row, tokens in enumerate(token_lists)]


# Texts per attribution pass: bounds the padded RNN batch and the occlusion matrices.
ATTRIBUTION_BATCH_SIZE = 64


def attributions(
    classifier: TextClassifier,
    token_lists: Sequence[Sequence[str]],
    value: ValueFunction,
    batch_size: int = ATTRIBUTION_BATCH_SIZE,
) -> list[np.ndarray]:
    """Occlusion for bag models, gradient x input for sequence models; `value(outputs, rows)`
    gets row indices into `token_lists`."""
    method = bag_occlusion if classifier.uses_bags else gradient_times_input
    was_training = classifier.net.training
    classifier.net.eval()
    results: list[np.ndarray] = []
    try:
        for start in range(0, len(token_lists), batch_size):
            chunk = token_lists[start : start + batch_size]
            shifted: ValueFunction = lambda outputs, rows, start=start: value(outputs, rows + start)  # noqa: E731
            results.extend(method(classifier, chunk, shifted))
    finally:
        classifier.net.train(was_training)
    return results
