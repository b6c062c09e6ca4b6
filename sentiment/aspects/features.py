"""Token features shared by the aspect networks: a word embedding (vocabulary from
`sentiment.neural.vocab.Vocab`) plus the mean of hashed character n-gram embeddings, so that a
word never seen in training ("ultrabook", "tiramisù") still gets a vector from its spelling.

Character n-grams are hashed with CRC-32 (the same in every process, unlike `hash`) into a fixed
number of buckets; words are padded with "<" and ">" first so prefixes and suffixes get their own
n-grams (fastText style).
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import torch
from torch import nn

from ..neural.vocab import PAD_ID, SPECIALS, UNK_ID, Vocab

WORD_BOUNDARY_LEFT, WORD_BOUNDARY_RIGHT = "<", ">"
# Word embeddings start at N(0, 1/dim) so that their entries are of unit order after the GRU's
# input projection; character n-gram rows the same.
EMBEDDING_STD_SCALE = 1.0


def normalize_word(word: str) -> str:
    """The vocabulary key of a token: lower-cased, typographic apostrophe as ASCII."""
    return word.lower().replace("’", "'")


def build_vocab(token_lists: Iterable[Sequence[str]], min_count: int, max_size: int) -> Vocab:
    """Words seen at least `min_count` times, most frequent first (ties alphabetical), at most `max_size` ids."""
    counts = Counter(normalize_word(w) for tokens in token_lists for w in tokens)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return Vocab(SPECIALS + tuple(kept[: max(0, max_size - len(SPECIALS))]))


@lru_cache(maxsize=200_000)
def char_ngram_ids(word: str, low: int, high: int, buckets: int) -> tuple[int, ...]:
    """Bucket ids of the character n-grams (low..high) of a word padded with boundary marks."""
    padded = f"{WORD_BOUNDARY_LEFT}{normalize_word(word)}{WORD_BOUNDARY_RIGHT}"
    return tuple(
        zlib.crc32(padded[i : i + n].encode("utf-8")) % buckets
        for n in range(low, high + 1)
        for i in range(len(padded) - n + 1)
    )


@dataclass
class TokenBatch:
    """Right-padded word ids (B, T), lengths (B,), and every position's character n-gram bag as
    flat ids plus one offset per (row, position), padding positions holding empty bags."""

    word_ids: torch.Tensor
    lengths: torch.Tensor
    char_ids: torch.Tensor
    char_offsets: torch.Tensor

    @property
    def mask(self) -> torch.Tensor:
        return torch.arange(self.word_ids.shape[1]).unsqueeze(0) < self.lengths.unsqueeze(1)


def make_token_batch(
    token_lists: Sequence[Sequence[str]],
    vocab: Vocab,
    char_ngrams: tuple[int, int],
    buckets: int,
    word_dropout: float = 0.0,
    generator: torch.Generator | None = None,
) -> TokenBatch:
    """Tensors for a batch of token lists (each at least one token long). `word_dropout` replaces
    that share of known words by the unknown id (training only), so the network learns to lean on
    character n-grams for words it has not seen."""
    lengths = [max(1, len(tokens)) for tokens in token_lists]
    width = max(lengths)
    word_ids = torch.full((len(token_lists), width), PAD_ID, dtype=torch.long)
    char_ids: list[int] = []
    offsets: list[int] = []
    low, high = char_ngrams
    for row, tokens in enumerate(token_lists):
        ids = [vocab.id(normalize_word(t)) for t in tokens] or [UNK_ID]
        word_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        for position in range(width):
            offsets.append(len(char_ids))
            if position < len(tokens):
                char_ids.extend(char_ngram_ids(tokens[position], low, high, buckets))
    if word_dropout > 0:
        dropped = torch.rand(word_ids.shape, generator=generator) < word_dropout
        word_ids = word_ids.masked_fill(dropped & (word_ids != PAD_ID), UNK_ID)
    return TokenBatch(
        word_ids,
        torch.tensor(lengths, dtype=torch.long),
        torch.tensor(char_ids, dtype=torch.long),
        torch.tensor(offsets, dtype=torch.long),
    )


class TokenFeatures(nn.Module):
    """Word embedding concatenated with the mean character n-gram embedding of each token."""

    def __init__(self, num_words: int, word_dim: int, buckets: int, char_dim: int) -> None:
        super().__init__()
        self.words = nn.Embedding(num_words, word_dim, padding_idx=PAD_ID)
        self.chars = nn.EmbeddingBag(buckets, char_dim, mode="mean")
        self.size = word_dim + char_dim
        with torch.no_grad():
            self.words.weight.normal_(0.0, EMBEDDING_STD_SCALE / word_dim**0.5)
            self.words.weight[PAD_ID].zero_()
            self.chars.weight.normal_(0.0, EMBEDDING_STD_SCALE / char_dim**0.5)

    def forward(self, batch: TokenBatch) -> torch.Tensor:
        rows, width = batch.word_ids.shape
        chars = self.chars(batch.char_ids, batch.char_offsets).view(rows, width, -1)
        return torch.cat([self.words(batch.word_ids), chars], dim=-1)
