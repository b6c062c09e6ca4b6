"""Aspect term extraction as BIO token tagging: word + character n-gram features -> BiGRU ->
a tag score per token. Decoding is greedy with the usual repair (an I after O opens a term).

Architecture "aspect-tagger.v1". A term's confidence is the mean probability, over its tokens,
of the tag it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..neural.vocab import Vocab
from .data import B_TAG, I_TAG, O_TAG, POSSESSIVE_SUFFIXES, TAGS, tag_runs
from .features import TokenBatch, TokenFeatures, make_token_batch
from .store import load_network, save_network

INFERENCE_BATCH_SIZE = 256


@dataclass(frozen=True)
class TaggerConfig:
    """Hyper-parameters of the tagger network (saved in config.json under "net")."""

    word_dim: int = 64
    char_dim: int = 32
    char_ngrams: tuple[int, int] = (2, 4)
    char_buckets: int = 2**14
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.3
    tags: tuple[str, ...] = TAGS
    arch: str = "aspect-tagger.v1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "char_ngrams", tuple(int(n) for n in self.char_ngrams))
        object.__setattr__(self, "tags", tuple(self.tags))
        if tuple(self.tags) != TAGS:
            raise ValueError(f"the tagger's tags are {TAGS}, got {self.tags}")
        if not 1 <= self.char_ngrams[0] <= self.char_ngrams[1]:
            raise ValueError(f"char_ngrams must be (low, high) with 1 <= low <= high, got {self.char_ngrams}")


class TaggerNet(nn.Module):
    """Token features -> (stacked) BiGRU -> linear tag scores."""

    def __init__(self, config: TaggerConfig, num_words: int) -> None:
        super().__init__()
        self.config = config
        self.features = TokenFeatures(num_words, config.word_dim, config.char_buckets, config.char_dim)
        self.rnn = nn.GRU(
            self.features.size,
            config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=True,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(2 * config.hidden_size, len(config.tags))

    def forward(self, batch: TokenBatch) -> torch.Tensor:
        """Tag logits (B, T, tags); padding positions hold meaningless values."""
        embedded = self.dropout(self.features(batch))
        packed = pack_padded_sequence(embedded, batch.lengths, batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=embedded.shape[1])
        return self.output(self.dropout(states))


@dataclass(frozen=True)
class TaggedTerm:
    """A found term: token indices [first, last] and its confidence in [0, 1]."""

    first: int
    last: int
    confidence: float


class AspectTagger:
    """A trained tagger: vocabulary + network; `tag` finds terms in tokenized sentences."""

    def __init__(self, config: TaggerConfig, vocab: Vocab, net: TaggerNet, metadata: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self.vocab = vocab
        self.net = net
        self.metadata = dict(metadata or {})

    @classmethod
    def create(cls, config: TaggerConfig, vocab: Vocab, seed: int = 0) -> "AspectTagger":
        torch.manual_seed(seed)
        return cls(config, vocab, TaggerNet(config, len(vocab)))

    def batch(self, token_lists: Sequence[Sequence[str]], word_dropout: float = 0.0, generator: torch.Generator | None = None) -> TokenBatch:
        return make_token_batch(token_lists, self.vocab, self.config.char_ngrams, self.config.char_buckets, word_dropout, generator)

    def tag_probabilities(self, token_lists: Sequence[Sequence[str]]) -> list[torch.Tensor]:
        """Per sentence, a (tokens, 3) tensor of O/B/I probabilities (batched, no gradient)."""
        self.net.eval()
        found: list[torch.Tensor] = []
        with torch.inference_mode():
            for begin in range(0, len(token_lists), INFERENCE_BATCH_SIZE):
                chunk = token_lists[begin : begin + INFERENCE_BATCH_SIZE]
                probabilities = torch.softmax(self.net(self.batch(chunk)), dim=-1).float()
                found.extend(probabilities[row, : len(tokens)] for row, tokens in enumerate(chunk))
        return found

    def tag(self, token_lists: Sequence[Sequence[str]]) -> list[list[TaggedTerm]]:
        """The terms of each tokenized sentence (an empty sentence has none)."""
        return [decode(p, tokens) if len(p) else [] for p, tokens in zip(self.tag_probabilities(token_lists), token_lists)]

    def batch_invariant(self) -> "AspectTagger":
        """Compute in float64 from now on; results, rounded to float32, are then the same for a
        sentence whatever batch it is in (batched kernels sum in different orders). Returns self."""
        self.net.to(torch.float64)
        return self

    def save(self, folder: str | Path) -> Path:
        return save_network(folder, self.config, self.vocab, self.net, self.metadata)

    @classmethod
    def load(cls, folder: str | Path) -> "AspectTagger":
        config, vocab, net, metadata = load_network(folder, TaggerConfig, TaggerNet)
        return cls(config, vocab, net, metadata)


def decode(probabilities: torch.Tensor, tokens: Sequence[str] = ()) -> list[TaggedTerm]:
    """Greedy BIO decoding of one sentence's (tokens, 3) probabilities. With the `tokens`, a
    possessor inside a term is cut off, as SemEval annotates ("the café's espresso" -> "espresso")."""
    chosen = probabilities.argmax(-1).tolist()
    terms = []
    for first, last in tag_runs(chosen):
        if tokens:
            first = next((i + 1 for i in range(last - 1, first - 1, -1) if _is_possessive(tokens[i])), first)
        picked = probabilities[torch.arange(first, last + 1), torch.tensor(chosen[first : last + 1])]
        terms.append(TaggedTerm(first, last, float(picked.mean())))
    return terms


def _is_possessive(token: str) -> bool:
    return token.lower().endswith(POSSESSIVE_SUFFIXES) and len(token) > 2


def term_probability(probabilities: torch.Tensor, first: int, last: int) -> float:
    """How much the tagger believes tokens [first, last] form a term: the mean of P(B) on the
    first token and P(I) on the others (used to judge a span the tagger did not choose)."""
    values = [float(probabilities[first, B_TAG])] + [float(probabilities[i, I_TAG]) for i in range(first + 1, last + 1)]
    return sum(values) / len(values)


__all__ = ["AspectTagger", "TaggedTerm", "TaggerConfig", "TaggerNet", "decode", "term_probability", "O_TAG"]
