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
from functools import cached_property, lru_cache
from itertools import repeat
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import ResourceError
from ..resources import read_json_file
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


# Character n-gram buckets for many words at once, with array operations: CRC-32 byte by byte with
# zlib's table (reflected polynomial 0xEDB88320), every n-gram of every word started together from
# the state after "c\x1f" (_bucket) and read off after n bytes. For ASCII words, whose characters are
# bytes; hashing them one by one in Python dominated the cost of a text with unseen words.
_CHAR_NGRAM_START = zlib.crc32(b"c\x1f") ^ 0xFFFFFFFF  # the running register after "c\x1f"


@lru_cache(maxsize=1)
def _crc_byte_table() -> np.ndarray:
    """zlib's CRC-32 table: the register's update for each value of its low byte."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


def char_ngram_bucket_arrays(words: Sequence[str], low: int, high: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """`_char_ngram_buckets` of each of `words` (ASCII only), concatenated in word order, and how
    many each word has."""
    boundaries = WORD_BOUNDARY_RIGHT + WORD_BOUNDARY_LEFT
    joined = f"{WORD_BOUNDARY_LEFT}{boundaries.join(words)}{WORD_BOUNDARY_RIGHT}"  # the padded words, in a row
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + len(boundaries)
    counts = np.maximum(lengths[:, None] - np.arange(low - 1, high)[None, :], 0)  # (words, orders): n-grams of each
    sizes = counts.sum(1)
    # where each word's n-grams of each order begin in the output (orders in turn, as _char_ngram_buckets)
    block_starts = (np.cumsum(sizes) - sizes)[:, None] + np.cumsum(counts, axis=1) - counts
    data = np.frombuffer(joined.encode("ascii") + bytes(high), dtype=np.uint8)
    word_of = np.repeat(np.arange(len(words)), lengths)  # each byte's word
    position = np.arange(len(word_of)) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # within its padded word
    room = lengths[word_of] - position  # bytes from each position to its word's end
    starting = np.flatnonzero(room >= low)  # the positions an n-gram starts at
    word_of, position, room = word_of[starting], position[starting], room[starting]
    table = _crc_byte_table()
    register = np.full(len(starting), _CHAR_NGRAM_START, dtype=np.uint32)
    out = np.empty(int(sizes.sum()), dtype=np.int64)
    for n in range(1, high + 1):  # the n-gram starting at each position, one byte longer each time
        register = table[(register ^ data[starting + (n - 1)]) & 0xFF] ^ (register >> 8)
        if n >= low:
            inside = np.flatnonzero(room >= n)
            out[block_starts[word_of[inside], n - low] + position[inside]] = (register[inside] ^ np.uint32(0xFFFFFFFF)) % buckets
    return out, sizes


# Word n-gram buckets for whole batches, with array operations. CRC-32 can be continued:
# zlib.crc32(b, zlib.crc32(a)) == zlib.crc32(a + b), and continuing any value s over n bytes b gives
# zlib.crc32(b) XOR Z_n(s), where Z_n (what n zero bytes do to s) is linear over GF(2). So the hash of
# "w\x1f" + t1 + " " + t2 follows from each token's own CRC and byte length, and Z_n(s) is four table
# lookups, one per byte of s.
_WORD_NGRAM_START = zlib.crc32(b"w\x1f")  # what every word n-gram's hashed text starts with (_bucket)
_SPACE = zlib.crc32(b" ")  # between the words of an n-gram
_LONGEST_ZERO_RUN = 64  # Z_n is tabled up to n = 64 bytes (256 KiB); longer runs apply it in steps
_TABLE_ROWS = 4 * 256  # per n: 256 values for each byte of s


@lru_cache(maxsize=1)
def _zero_run_tables() -> np.ndarray:
    """`tables[n * 1024 + j * 256 + v] = Z_n(v << 8j)`, for n = 0 .. _LONGEST_ZERO_RUN (uint32)."""
    shifts = (8 * np.arange(4, dtype=np.uint32))[:, None]
    one = np.array([[zlib.crc32(b"\0", v << (8 * j)) ^ zlib.crc32(b"\0") for v in range(256)] for j in range(4)], dtype=np.uint32)
    tables = np.empty((_LONGEST_ZERO_RUN + 1, 4, 256), dtype=np.uint32)
    tables[0] = np.arange(256, dtype=np.uint32)[None, :] << shifts  # Z_0 is the identity
    for n in range(1, len(tables)):  # Z_n = Z_1 after Z_(n-1)
        previous = tables[n - 1]
        tables[n] = (
            one[0][previous & 0xFF] ^ one[1][(previous >> 8) & 0xFF] ^ one[2][(previous >> 16) & 0xFF] ^ one[3][previous >> 24]
        )
    return tables.reshape(-1)


def crc32_continue(states: np.ndarray, crcs: np.ndarray | int, lengths: np.ndarray | int) -> np.ndarray:
    """`zlib.crc32(data, state)` for many (state, data) pairs, from `zlib.crc32(data)` and `len(data)`."""
    tables = _zero_run_tables()
    remaining = np.asarray(lengths, dtype=np.int64)
    while True:
        run = np.minimum(remaining, _LONGEST_ZERO_RUN)
        rows = run * _TABLE_ROWS
        states = (
            tables[rows + (states & 0xFF)] ^ tables[rows + (256 + ((states >> 8) & 0xFF))]
            ^ tables[rows + (512 + ((states >> 16) & 0xFF))] ^ tables[rows + (768 + (states >> 24))]
        )
        remaining = remaining - run
        if not remaining.any():
            return states ^ np.asarray(crcs, dtype=np.uint32)


@dataclass(frozen=True)
class NgramHashes:
    """What hashing word n-grams needs of each token: the CRC-32 of "w\x1f" + token + " " (an
    n-gram starting with it, so far), of the token alone, and its length, all of its UTF-8 bytes."""

    firsts: np.ndarray
    crcs: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, tokens: Sequence[str]) -> "NgramHashes":
        encoded = [token.encode("utf-8") for token in tokens]
        firsts = [zlib.crc32(b" ", zlib.crc32(token, _WORD_NGRAM_START)) for token in encoded]
        return cls(
            np.array(firsts, dtype=np.uint32),
            np.fromiter(map(zlib.crc32, encoded), dtype=np.uint32, count=len(encoded)),
            np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
        )

    def take(self, index: np.ndarray) -> "NgramHashes":
        return NgramHashes(self.firsts[index], self.crcs[index], self.lengths[index])

    def put(self, index: np.ndarray, values: "NgramHashes") -> None:
        self.firsts[index], self.crcs[index], self.lengths[index] = values.firsts, values.crcs, values.lengths

    def buckets(self, starts: np.ndarray, n: int, buckets: int) -> np.ndarray:
        """`_bucket("w", " ".join(tokens[start : start + n]), buckets)` for each of `starts`."""
        states = self.firsts[starts]
        for offset in range(1, n):
            if offset > 1:
                states = crc32_continue(states, _SPACE, 1)
            at = starts + offset
            states = crc32_continue(states, self.crcs[at], self.lengths[at])
        return (states % buckets).astype(np.int64)


# A word of up to 16 UTF-8 bytes, none of them NUL, is identified by its bytes read as two
# little-endian 64-bit integers, `low` (bytes 0-7) and `high` (bytes 8-15, or 0).
KEY_BYTES = 16
_WORD_BYTES = 8
_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # odd: multiplicative hashing
_MAX_LOAD = 0.5  # the table has at least twice as many slots as words: short probe runs
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(_WORD_BYTES)] + [2**64 - 1], dtype=np.uint64)  # the first n bytes


def byte_keys_at(data: bytes, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `byte_keys` (low, high) of the byte strings data[starts[i]:ends[i]], with array
    operations, and whether each has them as far as its length and first bytes tell (not longer
    than KEY_BYTES, not starting with eight NULs; a NUL further in is the caller's to rule out)."""
    padded = data + bytes(KEY_BYTES)
    words = np.ndarray((len(data) + _WORD_BYTES,), dtype="<u8", buffer=padded, strides=(1,))  # 8 bytes from each offset
    lengths = ends - starts
    lows = words[starts] & _MASKS[np.minimum(lengths, _WORD_BYTES)]
    highs = words[starts + _WORD_BYTES] & _MASKS[np.clip(lengths - _WORD_BYTES, 0, _WORD_BYTES)]
    return lows, highs, (lengths <= KEY_BYTES) & (lows != 0)


def byte_keys(word: str) -> tuple[int, int] | None:
    """A word's (low, high) key, or None where it has none (longer, empty or with a NUL)."""
    data = word.encode("utf-8")
    if not 0 < len(data) <= KEY_BYTES or b"\0" in data:
        return None
    return int.from_bytes(data[:_WORD_BYTES], "little"), int.from_bytes(data[_WORD_BYTES:], "little")


@dataclass(frozen=True)
class ByteIndex:
    """Word ids by `byte_keys`, for arrays of keys at once: an open-addressing hash table."""

    lows: np.ndarray
    highs: np.ndarray
    ids: np.ndarray  # -1: an empty slot
    shift: int  # slot = hash >> shift

    @classmethod
    def of(cls, words: Sequence[str]) -> "ByteIndex":
        """The table of the words with keys, each with its position in `words` as its id. Built with
        array operations (a Python loop over 20,000 words took ~80 ms, at a model's first use): each
        round, every word not placed yet tries its next slot, and of those trying a free slot the
        first takes it. A word moves on only past taken slots, so lookups (which stop at a free
        slot) find it; where in its run it lands does not matter."""
        encoded = [word.encode("utf-8") for word in words]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        starts = np.zeros_like(lengths)
        np.cumsum(lengths[:-1], out=starts[1:])
        data = b"".join(encoded)
        lows, highs, keyed = byte_keys_at(data, starts, starts + lengths)
        nul_bytes = np.cumsum(np.frombuffer(data, dtype=np.uint8) == 0)
        before = np.concatenate([[0], nul_bytes])
        keyed &= (lengths > 0) & (before[starts + lengths] == before[starts])  # as `byte_keys`: no NUL anywhere
        word_ids = np.flatnonzero(keyed)
        lows, highs = lows[word_ids], highs[word_ids]
        bits = max(1, int(np.ceil(np.log2(max(len(word_ids), 1) / _MAX_LOAD))))
        index = cls(np.zeros(2**bits, np.uint64), np.zeros(2**bits, np.uint64), np.full(2**bits, -1, np.int64), 64 - bits)
        pending, slots = np.arange(len(word_ids)), index._slots(lows, highs).astype(np.int64)
        while pending.size:  # linear probing, for all words at once
            trying = np.flatnonzero(index.ids[slots] < 0)
            taken, first = np.unique(slots[trying], return_index=True)
            winners = pending[trying[first]]
            index.lows[taken], index.highs[taken], index.ids[taken] = lows[winners], highs[winners], word_ids[winners]
            left = np.ones(len(pending), dtype=bool)
            left[trying[first]] = False
            pending, slots = pending[left], (slots[left] + 1) % len(index.ids)
        return index

    def _slots(self, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
        return ((lows * np.uint64(_MULTIPLIERS[0])) ^ (highs * np.uint64(_MULTIPLIERS[1]))) >> np.uint64(self.shift)

    def lookup(self, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
        """The id of each key's word, -1 where there is none."""
        ids = np.full(len(lows), -1, dtype=np.int64)
        pending = np.arange(len(lows))
        slots = self._slots(lows, highs).astype(np.int64)
        while pending.size:
            found = self.ids[slots]
            hit = (self.lows[slots] == lows[pending]) & (self.highs[slots] == highs[pending]) & (found >= 0)
            ids[pending[hit]] = found[hit]
            going_on = ~hit & (found >= 0)  # another word's slot: the next one
            pending, slots = pending[going_on], (slots[going_on] + 1) % len(self.ids)
        return ids


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

    @cached_property
    def byte_index(self) -> "ByteIndex":
        """The words found by their bytes (`ByteIndex`)."""
        return ByteIndex.of(self.tokens)

    def ids(self, tokens: Sequence[str], missing: int = UNK_ID) -> np.ndarray:
        """The ids of many tokens at once (int64), `missing` for those not in the vocabulary."""
        index = self._index  # type: ignore[attr-defined]
        return np.fromiter(map(index.get, tokens, repeat(missing)), dtype=np.int64, count=len(tokens))

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
        payload = read_json_file(path, "vocabulary file")
        try:
            version, tokens = payload["format_version"], payload["tokens"]
        except (KeyError, TypeError) as exc:
            raise ResourceError(f"vocabulary file {path} is corrupted or unreadable: {exc}") from None
        if version != VOCAB_FORMAT_VERSION:
            raise ResourceError(
                f"vocabulary file {path} has format version {version}; this library reads version {VOCAB_FORMAT_VERSION}"
            )
        try:
            return cls(tuple(tokens))
        except ValueError as exc:
            raise ResourceError(f"vocabulary file {path} is corrupted: {exc}") from None


# Token and n-gram ids are cached for the reference path (`bag_ids`, training): the same words recur
# in every batch. The batched inference path hashes with array operations (`own_id_arrays`) and needs
# no cache: on texts it had not seen, the cached path had taken over three times as long as on seen
# ones (102 against 30 us per SST-5 sentence, `python -m benchmarks.first_pass`).
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

    def own_ids(self, token: str) -> tuple[int, ...]:
        """A token's own bag ids (cached): its word id, then its hashed character n-grams."""
        return self._token_ids(token)  # type: ignore[attr-defined]

    def own_id_arrays(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """`own_ids` of each token, concatenated, and how many each has: the character n-grams of
        ASCII tokens hashed with array operations (`char_ngram_bucket_arrays`), uncached; the other
        tokens' through `own_ids`."""
        word_ids = self.vocab.ids(tokens)
        if self.config.char_ngrams == (0, 0):
            return word_ids, np.ones(len(tokens), dtype=np.int64)
        low, high = self.config.char_ngrams
        plain = np.fromiter(map(str.isascii, tokens), dtype=bool, count=len(tokens))
        ascii_tokens = tokens if plain.all() else [tokens[i] for i in np.flatnonzero(plain).tolist()]
        grams, gram_sizes = char_ngram_bucket_arrays(ascii_tokens, low, high, self.config.buckets)
        sizes = np.ones(len(tokens), dtype=np.int64)
        sizes[plain] += gram_sizes
        others = np.flatnonzero(~plain).tolist()
        other_ids = [self.own_ids(tokens[i]) for i in others]
        sizes[others] = [len(ids) for ids in other_ids]
        starts = np.cumsum(sizes) - sizes
        flat = np.empty(int(starts[-1] + sizes[-1]) if len(sizes) else 0, dtype=np.int64)
        flat[starts] = word_ids
        # each gram's place: after its token's word id, in order
        flat[np.repeat(starts[plain] + 1 - (np.cumsum(gram_sizes) - gram_sizes), gram_sizes) + np.arange(len(grams))] = len(self.vocab) + grams
        for i, ids in zip(others, other_ids):
            flat[starts[i] : starts[i] + len(ids)] = ids
        return flat, sizes

    def word_ngram_ids(self, hashes: NgramHashes, starts: np.ndarray, n: int) -> np.ndarray:
        """Bag ids of the word n-grams starting at `starts` (positions into the tokens whose
        hashes are given): the ids `bag_ids` gives them, computed with array operations."""
        return len(self.vocab) + hashes.buckets(starts, n, self.config.buckets)

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
