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


# A whole training config over `write_tiny_project`'s train.csv (star ratings 1 and 5); `extra`
# adds tables (e.g. [distill]).
TINY_TRAIN_CONFIG = """
name = "tiny"
[model]
arch = "mlp.v1"
task = "multiclass"
labels = ["negative", "positive"]
embedding_dim = 8
hidden = [{{ size = 8, activation = "relu" }}]
[features]
word_ngrams = 2
buckets = 128
[data]
root = "{root}"
dev_fraction = 0.25
[[data.train]]
path = "train.csv"
text_column = "review"
label_column = "stars"
label_map = {{ "1" = "negative", "2" = "negative", "4" = "positive", "5" = "positive" }}
[train]
optimizer = "adam"
lr = 0.05
batch_size = 4
epochs = 6
seed = 5
{extra}
"""


def write_tiny_project(folder: Path, name: str = "tiny.toml", extra: str = "") -> Path:
    """train.csv (32 toy reviews, 1 or 5 stars) and a training config over it, in `folder`;
    returns the config's path."""
    texts, labels = toy_polarity(32)
    rows = "".join(f"{t},{5 if label == 'positive' else 1}\n" for t, label in zip(texts, labels))
    (folder / "train.csv").write_text("review,stars\n" + rows, encoding="utf-8")
    config = folder / name
    config.write_text(TINY_TRAIN_CONFIG.format(root=folder.as_posix(), extra=extra), encoding="utf-8")
    return config


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
