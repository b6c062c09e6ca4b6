"""The tokens of a batch of texts as arrays, and their vocabulary ids (what inference.py reads).

`TextTokens.of(texts)` holds exactly `sentiment.text.tokenize`'s tokens (their strings
lower-cased if asked). ASCII texts without URLs, emoticons or the separators \x1c-\x1f (which
only the full pattern counts as white space) are tokenized together, on their bytes, with array
operations, by the rules of the plain token pattern (`text._PLAIN_TOKEN_SPLIT_RE`, which then
finds the same tokens as the full one): a word is a run of word characters, also across an
apostrophe or hyphen between two of them; a run of "!" and "?" is one token, and so is a run of
dots; any other character but white space is a token of its own. Their tokens of up to
`vocab.KEY_BYTES` bytes are looked up by their bytes, without building strings (`ByteIndex`);
longer ones, and the tokens of the other texts (`text.tokenize`), by their strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple, Sequence

import numpy as np

from ..text import EMOTICON_PATTERN, URL_PATTERN, tokenize, tokenize_lowered
from .vocab import Vocab, byte_keys_at

# Byte classes of the plain token pattern (ASCII: \s is [\t\n\v\f\r ], \w is [0-9A-Za-z_]).
_SPACE, _WORD, _BANG, _DOT, _JOIN, _OTHER = range(6)
_CLASSES = np.full(256, _OTHER, dtype=np.uint8)
_CLASSES[list(b"\t\n\x0b\x0c\r ")] = _SPACE
_CLASSES[list(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")] = _WORD
_CLASSES[list(b"!?")] = _BANG
_CLASSES[list(b".")] = _DOT
_CLASSES[list(b"'-")] = _JOIN  # inside a word between two word characters, else a token of its own
_RUNS = np.zeros(6, dtype=bool)  # classes whose neighbours of the same class make one token
_RUNS[[_WORD, _BANG, _DOT]] = True
_TEXT_GAP = "\n"  # joins the texts tokenized together: white space, so no token spans two of them
# An ASCII text holds a URL, an emoticon or a \x1c-\x1f only if it holds one of these (as
# `text._is_plain` knows; "http" needs its ":"); such texts are checked with the patterns themselves.
_CLUE_BYTES = np.zeros(256, dtype=bool)
_CLUE_BYTES[list(b":;=<^_\x1c\x1d\x1e\x1f")] = True
_CLUE_STRINGS = ("xD", "XD", "www.")
_SPECIAL_RE = re.compile(f"{URL_PATTERN}|{EMOTICON_PATTERN}|[\x1c-\x1f]", re.VERBOSE)


def _plain_spans(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the tokens of plain text (its ASCII bytes)."""
    kind = _CLASSES[data]
    if len(kind) > 2:
        word = kind == _WORD
        joining = kind[1:-1] == _JOIN
        joining &= word[:-2] & word[2:]
        kind[1:-1][joining] = _WORD
    same = (kind[1:] == kind[:-1]) & _RUNS[kind[1:]]  # character i + 1 continues the token of i
    filled = kind != _SPACE
    first, last = filled.copy(), filled
    first[1:] &= ~same
    last[:-1] &= ~same
    return np.flatnonzero(first), np.flatnonzero(last) + 1


def _irregular(texts: Sequence[str], rows: list[int], joined: str, data: np.ndarray, bases: np.ndarray) -> list[int]:
    """Those of `rows` (the ASCII texts, `joined`; `data` its bytes) with a URL, an emoticon or a
    \x1c-\x1f."""
    clues = np.flatnonzero(_CLUE_BYTES[data]).tolist()
    for clue in _CLUE_STRINGS:
        at = joined.find(clue)
        while at >= 0:
            clues.append(at)
            at = joined.find(clue, at + 1)
    suspects = {rows[i] for i in (np.searchsorted(bases, clues, side="right") - 1).tolist()}
    return sorted(i for i in suspects if _SPECIAL_RE.search(texts[i]))


class _Columns(NamedTuple):
    """Per token: its text, its span there, its byte keys, and its offset in the joined texts it
    was tokenized in (-1: tokenized on its own, by `tokenize`)."""

    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    keyed: np.ndarray
    source_starts: np.ndarray

    def take(self, index: np.ndarray) -> "_Columns":
        return _Columns(*(column[index] for column in self))


def _byte_tokens(texts: Sequence[str], rows: list[int], lowercase: bool) -> tuple[_Columns, str, list[int]]:
    """The tokens of the ASCII texts `rows`, found on their bytes, and the joined texts they point
    into; but not those of the texts the byte rules do not cover (returned as well)."""
    joined = _TEXT_GAP.join([texts[i] for i in rows])
    bases = np.zeros(len(rows), dtype=np.int64)
    np.cumsum([len(texts[i]) + len(_TEXT_GAP) for i in rows[:-1]], out=bases[1:])
    source = joined.lower() if lowercase else joined
    data = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    starts, ends = _plain_spans(data)
    within = np.searchsorted(bases, starts, side="right") - 1
    token_rows = np.asarray(rows, dtype=np.int64)[within]
    lows, highs, keyed = byte_keys_at(source.encode("ascii"), starts, ends)
    columns = _Columns(token_rows, starts - bases[within], ends - bases[within], lows, highs, keyed, starts)
    irregular = _irregular(texts, rows, joined, data, bases)
    if irregular:
        columns = columns.take(~np.isin(token_rows, irregular))
    return columns, source, irregular


def _string_tokens(texts: Sequence[str], rows: list[int], lowercase: bool) -> tuple[_Columns, list[str]]:
    """The tokens of the texts `rows`, through `tokenize`, and their strings."""
    spans = [_token_spans(texts[i], lowercase) for i in rows]
    counts = [len(strings) for strings, _, _ in spans]
    total = sum(counts)
    keys = np.zeros(total, dtype=np.uint64)
    columns = _Columns(
        np.repeat(np.asarray(rows, dtype=np.int64), counts),
        np.fromiter(chain.from_iterable(starts for _, starts, _ in spans), dtype=np.int64, count=total),
        np.fromiter(chain.from_iterable(ends for _, _, ends in spans), dtype=np.int64, count=total),
        keys, keys, keys.astype(bool), np.full(total, -1),
    )
    return columns, list(chain.from_iterable(strings for strings, _, _ in spans))


def _merged(byte_tokens: _Columns, string_tokens: _Columns, strings: list[str]) -> tuple[_Columns, dict[int, str]]:
    """Both sets of tokens, each text's in its place; the strings by their new position."""
    together = _Columns(*(np.concatenate(pair) for pair in zip(byte_tokens, string_tokens)))
    order = np.argsort(together.rows, kind="stable")
    positions = np.empty_like(order)
    positions[order] = np.arange(len(order))
    return together.take(order), dict(zip(positions[len(byte_tokens.rows) :].tolist(), strings))


@dataclass(frozen=True)
class TextTokens:
    """The tokens of a batch of texts, each text's together and in order: per token its text,
    its span in the text and (texts tokenized on their bytes) its byte keys."""

    texts: Sequence[str]
    lowercase: bool
    rows: np.ndarray  # text of each token
    starts: np.ndarray  # span of each token in its text (zeros where not known: `of_lists`)
    ends: np.ndarray
    lows: np.ndarray  # `vocab.byte_keys` of each token where `keyed`
    highs: np.ndarray
    keyed: np.ndarray
    first: np.ndarray  # per text: index of its first token
    counts: np.ndarray  # per text: its tokens
    _source: str  # the texts tokenized on their bytes, joined (lower-cased if asked)
    _source_starts: np.ndarray  # offset of each such token in _source, -1 for the others
    _strings: dict[int, str]  # the strings of the other tokens
    _word_ids: dict[int, tuple[Vocab, np.ndarray]] = field(default_factory=dict)  # by id(vocab)

    @classmethod
    def of(cls, texts: Sequence[str], lowercase: bool) -> "TextTokens":
        ascii_rows = [i for i, text in enumerate(texts) if text.isascii()]
        columns, source, irregular = _byte_tokens(texts, ascii_rows, lowercase)
        others = sorted(set(range(len(texts))) - set(ascii_rows) | set(irregular))
        strings: dict[int, str] = {}
        if others:
            columns, strings = _merged(columns, *_string_tokens(texts, others, lowercase))
        return cls._build(texts, lowercase, columns, source, strings)

    @classmethod
    def of_lists(cls, token_lists: Sequence[Sequence[str]]) -> "TextTokens":
        """Tokens given as strings (no spans)."""
        counts = [len(tokens) for tokens in token_lists]
        spans, keys = np.zeros(sum(counts), dtype=np.int64), np.zeros(sum(counts), dtype=np.uint64)
        columns = _Columns(np.repeat(np.arange(len(counts)), counts), spans, spans, keys, keys, keys.astype(bool), spans - 1)
        return cls._build((), False, columns, "", dict(enumerate(chain.from_iterable(token_lists))), counts)

    @classmethod
    def _build(
        cls,
        texts: Sequence[str],
        lowercase: bool,
        columns: _Columns,
        source: str,
        strings: dict[int, str],
        counts: Sequence[int] | None = None,
    ) -> "TextTokens":
        counts = np.bincount(columns.rows, minlength=len(texts)) if counts is None else np.asarray(counts, dtype=np.int64)
        first = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=first[1:])
        return cls(
            texts, lowercase, columns.rows, columns.starts, columns.ends, columns.lows, columns.highs, columns.keyed,
            first, counts, source, columns.source_starts, strings,
        )

    def __len__(self) -> int:
        return len(self.rows)

    def strings(self, index: np.ndarray) -> list[str]:
        """The strings of the tokens at `index` (as the model reads them)."""
        starts = self._source_starts[index].tolist()
        ends = (self._source_starts[index] + self.ends[index] - self.starts[index]).tolist()
        return [self._strings[i] if start < 0 else self._source[start:end] for i, start, end in zip(index.tolist(), starts, ends)]

    def word_ids(self, vocab: Vocab) -> np.ndarray:
        """Each token's id in `vocab`, -1 where it has none (computed once per vocabulary)."""
        known = self._word_ids.get(id(vocab))
        if known is not None:
            return known[1]
        words = np.full(len(self), -1, dtype=np.int64)
        keyed = np.flatnonzero(self.keyed)
        words[keyed] = vocab.byte_index.lookup(self.lows[keyed], self.highs[keyed])
        rest = np.flatnonzero(~self.keyed)
        words[rest] = vocab.ids(self.strings(rest), missing=-1)
        self._word_ids[id(vocab)] = (vocab, words)  # the vocabulary kept: its id is not reused
        return words

    def runs(self, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tokens inside each span (`starts`/`ends` into the texts `rows`): a run of tokens
        (they never overlap), as first and past-the-last token index."""
        stride = max(map(len, self.texts), default=0) + 1
        token_starts, token_ends = self.rows * stride + self.starts, self.rows * stride + self.ends
        return (
            np.searchsorted(token_starts, rows * stride + starts, side="left"),
            np.searchsorted(token_ends, rows * stride + ends, side="right"),
        )


def _token_spans(text: str, lowercase: bool) -> tuple[list[str], list[int], list[int]]:
    """`tokenize`'s token strings (lower-cased if asked) and their start and end offsets."""
    if lowercase:
        return tokenize_lowered(text)
    tokens = tokenize(text)
    return [t.text for t in tokens], [t.start for t in tokens], [t.end for t in tokens]


@dataclass(frozen=True)
class TokenBatch:
    """Runs of a `TextTokens`' tokens (a text's, a sentence's), each cut to `max_tokens`, as the
    texts of one inference batch, with their vocabulary ids."""

    tokens: TextTokens
    index: np.ndarray  # the batch's tokens, as indexes into `tokens`
    words: np.ndarray  # their vocabulary ids, -1 where they have none
    rows: np.ndarray  # the batch text of each
    first: np.ndarray  # per batch text: position of its first token
    counts: np.ndarray  # per batch text: its tokens

    @classmethod
    def of_runs(cls, tokens: TextTokens, words: np.ndarray, first: np.ndarray, end: np.ndarray, max_tokens: int) -> "TokenBatch":
        """Batch text i: tokens first[i] ..< end[i] of `tokens`, `words` their ids (`word_ids`)."""
        counts = np.clip(end - first, 0, max_tokens)
        rows = np.repeat(np.arange(len(counts)), counts)
        starts = np.zeros_like(counts)
        np.cumsum(counts[:-1], out=starts[1:])
        index = first[rows] + (np.arange(len(rows)) - starts[rows])
        return cls(tokens, index, words[index], rows, starts, counts)

    @classmethod
    def of_lists(cls, token_lists: Sequence[Sequence[str]], vocab: Vocab, max_tokens: int) -> "TokenBatch":
        tokens = TextTokens.of_lists(token_lists)
        return cls.of_runs(tokens, tokens.word_ids(vocab), tokens.first, tokens.first + tokens.counts, max_tokens)

    def __len__(self) -> int:
        """The batch's texts."""
        return len(self.counts)

    @property
    def positions(self) -> np.ndarray:
        """Each token's position in its batch text."""
        return np.arange(len(self.rows)) - self.first[self.rows]

    def strings(self, positions: np.ndarray) -> list[str]:
        return self.tokens.strings(self.index[positions])

    def word_id_lists(self, unknown: int) -> list[list[int]]:
        """Each batch text's word ids, `unknown` for the words without one; [unknown] for a text
        without tokens (as `Featurizer.word_ids`)."""
        words = np.where(self.words < 0, unknown, self.words).tolist()
        return [words[start : start + count] or [unknown] for start, count in zip(self.first.tolist(), self.counts.tolist())]

    def select(self, part: slice) -> "TokenBatch":
        """The batch texts in `part` (a slice with step 1) as a batch of their own."""
        texts = range(len(self.counts))[part]
        if not len(texts):
            return TokenBatch(self.tokens, self.index[:0], self.words[:0], self.rows[:0], self.first[:0], self.counts[:0])
        low = int(self.first[texts.start])
        high = int(self.first[texts.stop - 1] + self.counts[texts.stop - 1])
        return TokenBatch(
            self.tokens, self.index[low:high], self.words[low:high], self.rows[low:high] - texts.start,
            self.first[part] - low, self.counts[part],
        )
