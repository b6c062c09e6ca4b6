"""A tiny randomly initialised BERT sequence-classification checkpoint, written by the tests
themselves (nothing is downloaded): a WordPiece vocabulary of a few words plus single
characters, two layers of width 32. Weights are seeded, so one call always writes the same model."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Sequence

import torch

torch.set_num_threads(1)

WORDS = ("the", "a", "good", "bad", "great", "awful", "film", "was", "is", "not", "very", "i", "love", "hate", "it", "this")
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# Large enough that different texts get clearly different outputs from random weights (BERT's
# 0.02 makes every text score about the same), small enough to stay numerically tame.
INITIALIZER_RANGE = 0.5
MAX_LENGTH = 48  # shorter than some test texts, so truncation is exercised


def tiny_checkpoint(folder: Path, labels: Sequence[str], multi_label: bool = False, seed: int = 0) -> Path:
    """Write config.json, model.safetensors and tokenizer.json (+ its config) to `folder`; returns it."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
    from transformers.utils import logging

    logging.disable_progress_bar()
    folder.mkdir(parents=True, exist_ok=True)
    vocab = [*SPECIAL_TOKENS, *WORDS, *string.ascii_lowercase, *string.digits, *string.punctuation]
    vocab += [f"##{c}" for c in string.ascii_lowercase + string.digits]
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True, model_max_length=MAX_LENGTH)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        initializer_range=INITIALIZER_RANGE,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type="multi_label_classification" if multi_label else "single_label_classification",
    )
    torch.manual_seed(seed)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
