"""Text -> integer feature ids: a word vocabulary plus hashed word and character n-grams.

The MLP reads a bag of ids (words from the vocabulary, then word n-grams and character n-grams
hashed into a fixed number of buckets, fastText style); the RNN reads the word-id sequence.
Hashing uses CRC-32, which, unlike Python's `hash`, is the same in every process.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import ResourceError
from ..text import tokenize

PAD, UNK = "<pad>", "<unk>"
SPECIALS = (PAD, UNK)
PAD_ID, UNK_ID = 0, 1
VOCAB_FORMAT_VERSION = 1
# Words are padded with these before cutting character n-grams, so prefixes and suffixes
# ("un-", "-less") get their own n-grams, as in fastText.
WORD_BOUNDARY_LEFT, WORD_BOUNDARY_RIGHT = "<", ">"


@dataclass(frozen=True)
class FeatureConfig:
    """How a text becomes ids. `word_ngrams` = longest word n-gram (1 = words only);
    `char_ngrams` = (shortest, longest) character n-gram, (0, 0) for none; `buckets` = hash
    buckets shared by word n-grams (n >= 2) and character n-grams."""

    lowercase: bool = True
    word_ngrams: int = 2
    char_ngrams: tuple[int, int] = (0, 0)
    buckets: int = 2**16
    min_count: int = 1
    max_vocab: int = 30_000
    max_tokens: int = 256

    def __post_init__(self) -> None:
        object.__setattr__(self, "char_ngrams", tuple(int(n) for n in self.char_ngrams))
        low, high = self.char_ngrams
        if self.word_ngrams < 1:
            raise ValueError(f"word_ngrams must be >= 1, got {self.word_ngrams}")
        if (low, high) != (0, 0) and not 1 <= low <= high:
            raise ValueError(f"char_ngrams must be (0, 0) or (low, high) with 1 <= low <= high, got {self.char_ngrams}")
        if self.uses_buckets and self.buckets < 1:
            raise ValueError("buckets must be >= 1 when word n-grams or character n-grams are used")

    @property
    def uses_buckets(self) -> bool:
        return self.word_ngrams > 1 or self.char_ngrams != (0, 0)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["char_ngrams"] = list(self.char_ngrams)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureConfig":
        return cls(**{**data, "char_ngrams": tuple(data.get("char_ngrams", (0, 0)))})


def words(text: str, lowercase: bool = True) -> list[str]:
    """The token strings of `text` (sentiment.text.tokenize), lowercased if asked."""
    return [t.lower if lowercase else t.text for t in tokenize(text)]


def _bucket(kind: str, gram: str, buckets: int) -> int:
    return zlib.crc32(f"{kind}\x1f{gram}".encode("utf-8")) % buckets


@lru_cache(maxsize=200_000)
def _char_ngram_buckets(word: str, low: int, high: int, buckets: int) -> tuple[int, ...]:
    padded = f"{WORD_BOUNDARY_LEFT}{word}{WORD_BOUNDARY_RIGHT}"
    return tuple(
        _bucket("c", padded[i : i + n], buckets)
        for n in range(low, high + 1)
        for i in range(len(padded) - n + 1)
    )


@dataclass(frozen=True)
class Vocab:
    """Word <-> id. Ids 0 and 1 are the padding and unknown-word ids."""

    tokens: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.tokens[: len(SPECIALS)] != SPECIALS:
            raise ValueError(f"a vocabulary starts with {SPECIALS}")
        object.__setattr__(self, "_index", {token: i for i, token in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        return self._index.get(token, UNK_ID)  # type: ignore[attr-defined]

    @classmethod
    def build(cls, texts: Iterable[str], config: FeatureConfig) -> "Vocab":
        """The `max_vocab` most frequent words seen at least `min_count` times (ties: alphabetical)."""
        counts = Counter(word for text in texts for word in words(text, config.lowercase))
        kept = sorted((w for w, c in counts.items() if c >= config.min_count), key=lambda w: (-counts[w], w))
        return cls(SPECIALS + tuple(kept[: max(0, config.max_vocab - len(SPECIALS))]))

    def save(self, path: Path) -> None:
        payload = {"format_version": VOCAB_FORMAT_VERSION, "tokens": list(self.tokens)}
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocab":
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            version, tokens = payload["format_version"], payload["tokens"]
        except FileNotFoundError:
            raise ResourceError(f"vocabulary file missing: {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ResourceError(f"vocabulary file {path} is corrupted or unreadable: {exc}") from None
        if version != VOCAB_FORMAT_VERSION:
            raise ResourceError(
                f"vocabulary file {path} has format version {version}; this library reads version {VOCAB_FORMAT_VERSION}"
            )
        try:
            return cls(tuple(tokens))
        except ValueError as exc:
            raise ResourceError(f"vocabulary file {path} is corrupted: {exc}") from None


# Token and n-gram ids are cached: the same words recur in every batch, and hashing their
# character n-grams again each time dominated inference time.
_TOKEN_CACHE_SIZE = 500_000


@dataclass(frozen=True)
class Featurizer:
    """Turns texts into id lists for the network; `num_ids` is the embedding table's row count."""

    config: FeatureConfig
    vocab: Vocab

    def __post_init__(self) -> None:
        object.__setattr__(self, "_token_ids", lru_cache(maxsize=_TOKEN_CACHE_SIZE)(self._compute_token_ids))
        object.__setattr__(self, "_ngram_id", lru_cache(maxsize=_TOKEN_CACHE_SIZE)(self._compute_ngram_id))

    @property
    def num_ids(self) -> int:
        return len(self.vocab) + (self.config.buckets if self.config.uses_buckets else 0)

    def word_ids(self, tokens: Sequence[str]) -> list[int]:
        """The sequence of word ids (unknown words -> UNK_ID), at most `max_tokens` long."""
        return [self.vocab.id(t) for t in tokens[: self.config.max_tokens]] or [UNK_ID]

    def _compute_token_ids(self, token: str) -> tuple[int, ...]:
        """A token's own features: its word id, then its hashed character n-grams."""
        ids = [self.vocab.id(token)]
        if self.config.char_ngrams != (0, 0):
            low, high = self.config.char_ngrams
            offset = len(self.vocab)
            ids.extend(offset + b for b in _char_ngram_buckets(token, low, high, self.config.buckets))
        return tuple(ids)

    def _compute_ngram_id(self, gram: str) -> int:
        return len(self.vocab) + _bucket("w", gram, self.config.buckets)

    def bag_features(self, tokens: Sequence[str]) -> tuple[list[int], list[tuple[int, int]]]:
        """Bag ids and, for each id, the first and last token position it comes from (a word and
        its character n-grams: one token; a word n-gram: the n tokens it spans)."""
        tokens = list(tokens[: self.config.max_tokens])
        ids: list[int] = []
        owners: list[tuple[int, int]] = []
        for position, token in enumerate(tokens):
            own = self._token_ids(token)  # type: ignore[attr-defined]
            ids.extend(own)
            owners.extend([(position, position)] * len(own))
        for n in range(2, self.config.word_ngrams + 1):
            for start in range(len(tokens) - n + 1):
                ids.append(self._ngram_id(" ".join(tokens[start : start + n])))  # type: ignore[attr-defined]
                owners.append((start, start + n - 1))
        return ids, owners

    def bag_ids(self, tokens: Sequence[str]) -> list[int]:
        """Word ids, hashed character n-grams and hashed word n-grams (offset past the vocabulary)."""
        tokens = list(tokens[: self.config.max_tokens])
        ids: list[int] = []
        for token in tokens:
            ids.extend(self._token_ids(token))  # type: ignore[attr-defined]
        for n in range(2, self.config.word_ngrams + 1):
            ids.extend(self._ngram_id(" ".join(tokens[i : i + n])) for i in range(len(tokens) - n + 1))  # type: ignore[attr-defined]
        return ids or [UNK_ID]

    def tokens(self, text: str) -> list[str]:
        return words(text, self.config.lowercase)
