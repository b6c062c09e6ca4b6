"""Tiny deterministic data and models for the neural tests (no shared data, seconds to train)."""

from __future__ import annotations

import itertools
from pathlib import Path

import torch

from sentiment.neural.model import TASK_OUTPUTS, TextClassifier, num_outputs
from sentiment.neural.nets import MLPConfig, RNNConfig
from sentiment.neural.vocab import FeatureConfig, Featurizer, Vocab

# The test machine is small and shared: several torch threads on tiny networks only contend.
torch.set_num_threads(1)

POSITIVE_WORDS = ("good", "great", "lovely", "excellent", "fun")
NEGATIVE_WORDS = ("bad", "awful", "boring", "terrible", "dull")
SUBJECTS = ("the film", "this phone", "our dinner", "the hotel")


def toy_polarity(size: int = 40) -> tuple[list[str], list[str]]:
    """Sentences whose label is given by one sentiment word; balanced."""
    texts, labels = [], []
    pairs = itertools.cycle(itertools.product(SUBJECTS, range(len(POSITIVE_WORDS))))
    while len(texts) < size:
        subject, i = next(pairs)
        texts += [f"{subject} was {POSITIVE_WORDS[i]}", f"{subject} was {NEGATIVE_WORDS[i]}"]
        labels += ["positive", "negative"]
    return texts[:size], labels[:size]


def featurizer_for(texts, word_ngrams: int = 2, char_ngrams=(0, 0), buckets: int = 256) -> Featurizer:
    config = FeatureConfig(word_ngrams=word_ngrams, char_ngrams=char_ngrams, buckets=buckets)
    return Featurizer(config, Vocab.build(texts, config))


def make_classifier(texts, labels, arch: str = "mlp", task: str = "multiclass", seed: int = 0, **net) -> TextClassifier:
    featurizer = featurizer_for(texts, word_ngrams=2 if arch == "mlp" else 1)
    outputs, output = num_outputs(task, labels), TASK_OUTPUTS[task]
    if arch == "mlp":
        config = MLPConfig(num_ids=featurizer.num_ids, num_outputs=outputs, output=output, embedding_dim=8,
                           **{"hidden": [{"size": 8, "activation": "tanh"}], **net})
    else:
        config = RNNConfig(num_ids=featurizer.num_ids, num_outputs=outputs, output=output, embedding_dim=8,
                           hidden_size=8, **net)
    return TextClassifier.create(task, labels, featurizer, config, seed=seed)


def write_jsonl(path: Path, rows) -> Path:
    import json

    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
