"""The one text seam: normalization, tokenization with character spans, sentence splitting.

Every span is a pair of offsets into the text as given (`text[start:end] == token.text`), so
explanations and aspect offsets point at the user's original characters, non-ASCII included.
"""

from __future__ import annotations

import re
import unicodedata
from functools import partial
from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple


class Token(NamedTuple):
    """A token and its span: `text[start:end] == token.text`. Immutable (a named tuple: the
    tokenizer makes one per token, and a tuple is several times cheaper to build than a frozen
    dataclass)."""

    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return any(ch.isalnum() for ch in self.text)


class Span(NamedTuple):
    """A stretch of text (a sentence) and its offsets: `text[start:end] == span.text`."""

    text: str
    start: int
    end: int


# Western emoticons (":)", ":-(", ";D", ":'(", "<3", "xD", ":/", ...). Kept deliberately narrow so that
# ordinary punctuation such as "(1)" or "10:30" is not read as a face.
EMOTICON_PATTERN = r"""(?:
    [<>]?[:;=][\-o\*\']?[\)\]\(\[dDpP/\\\}\{@\|3]+(?![\w])
  | (?<![\w])[\)\]\(\[dDpP/\\\}\{@\|][\-o\*\']?[:;=](?![\w])
  | (?<![\w])[xX]D+(?![\w]) | <3+ | </3+ | \^_*\^ | -_- | o_O | O_o | T_T | ;_;
)"""
URL_PATTERN = r"(?:https?://\S+|www\.\S+)"
_EMOJI_BASE = r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
# One emoji: a base plus skin-tone modifiers, variation selector 16 and zero-width-joined parts.
_EMOJI = rf"(?:{_EMOJI_BASE}(?:[\uFE0F\U0001F3FB-\U0001F3FF]|\u200D{_EMOJI_BASE})*)"
# Words keep inner apostrophes and hyphens ("don't", "well-made", "can’t").
_WORD = r"\w+(?:['’\-]\w+)*"
_PUNCT_RUN = r"(?:[!?]+|\.{2,}|…)"
_TOKEN_RE = re.compile(
    rf"{URL_PATTERN}|{EMOTICON_PATTERN}|{_EMOJI}|{_WORD}|{_PUNCT_RUN}|[^\s]",
    re.VERBOSE | re.UNICODE,
)
# Splitting with the token pattern as one capturing group yields, all in C, the white space before
# each token and the token: [space, token, space, token, ..., space]; offsets are running sums.
_TOKEN_SPLIT_RE = re.compile(f"({_TOKEN_RE.pattern})", re.VERBOSE | re.UNICODE)
# The same for "plain" text (see `_is_plain`), where no URL, emoticon or emoji can occur: without
# those alternatives, and with ASCII classes, the tokens are identical and found much faster. Plain
# text is ASCII, so the non-ASCII characters of _WORD ("’") and _PUNCT_RUN ("…") are left out too
# (a pattern of ASCII characters only is matched faster still; keep it in step with those two).
# Possessive quantifiers (no backtracking: nothing follows a token inside the pattern, so the
# tokens are the same) make the split about 15% faster.
_PLAIN_TOKEN_SPLIT_RE = re.compile(r"(\w++(?:['\-]\w++)*+|[!?]++|\.{2,}+|[^\s])", re.ASCII)
# Every emoticon alternative needs one of these characters (or "xD"/"XD"); \x1c-\x1f are white
# space to Unicode patterns but not to ASCII ones. (A regex finds a character class faster than
# a set scan of the text.)
_NOT_PLAIN_CHAR_RE = re.compile(r"[:;=<^_\x1c-\x1f]")
_new_token = partial(tuple.__new__, Token)  # Token(text, start, end) built in C, without NamedTuple.__new__
_token_text, _token_start, _token_end = itemgetter(0), itemgetter(1), itemgetter(2)

# A sentence ends at . ! ? … (possibly repeated, possibly followed by closing quotes/brackets)
# followed by white space, or at a line break.
_SENTENCE_END_RE = re.compile(r"""(?:[.!?…]+['"”’)\]]*)(?=\s)|\n+""")
_SENTENCE_MARK_RE = re.compile("[.!?…\n]")
_FINAL_MARKS = ".!?…'\"”’)]"
_ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "etc.", "e.g.", "i.e.", "jr.", "sr.", "no."})


def normalize(text: str) -> str:
    """Unicode NFC. Lengths may change, so analyzers tokenize the original text, not this."""
    return unicodedata.normalize("NFC", text)


def tokenize(text: str) -> list[Token]:
    """Tokens with spans into `text`: words, emoticons, emoji, punctuation runs, other symbols."""
    # The hot path of every analyzer: no Python-level loop per token.
    parts = (_PLAIN_TOKEN_SPLIT_RE if _is_plain(text) else _TOKEN_SPLIT_RE).split(text)
    offsets = list(accumulate(map(len, parts)))
    return list(map(_new_token, zip(parts[1::2], offsets[0::2], offsets[1::2])))


def tokenize_lowered(text: str) -> tuple[list[str], list[int], list[int]]:
    """The tokens of `tokenize(text)` as three parallel lists: their lower-cased texts, starts, ends.

    For scorers that only look words up (and read the original characters back through the
    offsets when case matters): no `Token` is built and, for plain text, the text is lower-cased
    in one call. Plain text is ASCII, where lower-casing keeps every length and every character's
    class, so splitting the lower-cased text finds the same tokens at the same offsets.
    """
    if not _is_plain(text):
        tokens = tokenize(text)
        return (
            list(map(str.lower, map(_token_text, tokens))),
            list(map(_token_start, tokens)),
            list(map(_token_end, tokens)),
        )
    parts = _PLAIN_TOKEN_SPLIT_RE.split(text.lower())
    offsets = list(accumulate(map(len, parts)))
    return parts[1::2], offsets[0:-1:2], offsets[1::2]  # the last offset ends the trailing space


def _is_plain(text: str) -> bool:
    """ASCII text without the characters that URLs and emoticons need (emoji are not ASCII)."""
    return (
        text.isascii()
        and _NOT_PLAIN_CHAR_RE.search(text) is None
        and "xD" not in text
        and "XD" not in text
        and "http" not in text
        and "www." not in text
    )


def split_sentences(text: str) -> list[Span]:
    """Sentences with spans into `text`; white space between sentences belongs to none."""
    spans: list[Span] = []
    if is_one_sentence(text):
        _append_stripped(spans, text, 0, len(text))
        return spans
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        if match.group().startswith("."):
            word_start = text.rfind(" ", 0, match.start()) + 1
            if text[word_start:end].lower() in _ABBREVIATIONS:
                continue
        _append_stripped(spans, text, start, end)
        start = end
    _append_stripped(spans, text, start, len(text))
    return spans


def is_one_sentence(text: str) -> bool:
    """Whether `split_sentences(text)` finds no sentence end but the text's own end (a fast test:
    most texts are one sentence). Then the text, stripped, is its only sentence (if not blank)."""
    # No terminator or line break before the final run of terminators and closing marks.
    return _SENTENCE_MARK_RE.search(text.rstrip().rstrip(_FINAL_MARKS)) is None


def _append_stripped(spans: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()  # str.strip() removes exactly the characters str.isspace() accepts
    if stripped:
        start += len(piece) - len(piece.lstrip())
        spans.append(tuple.__new__(Span, (stripped, start, start + len(stripped))))
