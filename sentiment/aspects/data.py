"""Aspect data: the shared JSONL format read into frozen sentences, token-aligned BIO tags,
and the fixed dev split carved from the SemEval training files (which have no dev split).

A row is `{"text": ..., "aspects": [{"term", "from", "to", "polarity"}], ...}` with Python
character offsets. Tokens come from `sentiment.text.tokenize`, so every span maps back to the
original characters.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import ResourceError
from ..text import Token, tokenize
from ..types import POLARITY_LABELS

TAGS = ("O", "B", "I")
O_TAG, B_TAG, I_TAG = 0, 1, 2
# SemEval's fourth label (an aspect praised and criticised at once, 2-3% of terms) is dropped
# from polarity training and scoring, as in the ATAE-LSTM / IAN / RAM papers; the term is still
# a term for extraction.
CONFLICT = "conflict"
# Share of a SemEval training file held out as dev, and the seed that picks it (whole sentences).
DEV_SHARE = 0.1
DEV_SEED = 13
POSSESSIVE_SUFFIXES = ("'s", "’s")


@dataclass(frozen=True)
class GoldAspect:
    """One annotated aspect term: `text[start:end] == term`."""

    term: str
    start: int
    end: int
    polarity: str


@dataclass(frozen=True)
class AspectSentence:
    """A text with its annotated aspect terms (possibly none) and the data set it came from."""

    text: str
    aspects: tuple[GoldAspect, ...]
    source: str = ""


def read_jsonl(path: str | Path, source: str | None = None) -> list[AspectSentence]:
    """Every row of an aspect JSONL file; a row whose offsets miss its term is an error."""
    path = Path(path)
    if not path.is_file():
        raise ResourceError(f"aspect data file not found: {path}")
    sentences = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"]
                aspects = tuple(
                    GoldAspect(a["term"], int(a["from"]), int(a["to"]), a["polarity"]) for a in row.get("aspects", ())
                )
            except (ValueError, KeyError, TypeError) as error:
                raise ResourceError(f"{path}:{number}: not an aspect row ({error})") from None
            for aspect in aspects:
                if text[aspect.start : aspect.end] != aspect.term:
                    raise ResourceError(f"{path}:{number}: offsets {aspect.start}:{aspect.end} do not hold {aspect.term!r}")
            sentences.append(AspectSentence(text, aspects, source or path.parent.name))
    return sentences


def carve_dev(sentences: Sequence[AspectSentence], share: float = DEV_SHARE, seed: int = DEV_SEED) -> tuple[list[AspectSentence], list[AspectSentence]]:
    """(train, dev): a fixed `share` of the sentences, picked by `random.Random(seed)`, as dev."""
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    held = set(order[: round(len(sentences) * share)])
    return [s for i, s in enumerate(sentences) if i not in held], [s for i, s in enumerate(sentences) if i in held]


def load_split(root: str | Path, name: str, split: str) -> list[AspectSentence]:
    """`split` of data set `name` under `root`: train / dev / test. For a set without a dev file,
    "train" and "dev" are the two parts of `carve_dev` over its train file."""
    folder = Path(root) / name
    if split == "test" or (folder / "dev.jsonl").is_file():
        return read_jsonl(folder / f"{split}.jsonl", name)
    if split not in ("train", "dev"):
        raise ValueError(f"unknown split {split!r}; valid: train, dev, test")
    train, dev = carve_dev(read_jsonl(folder / "train.jsonl", name))
    return train if split == "train" else dev


def token_span(tokens: Sequence[Token], start: int, end: int) -> tuple[int, int] | None:
    """(first, last) indices of the tokens that overlap characters [start, end), or None."""
    inside = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
    return (inside[0], inside[-1]) if inside else None


def term_span(tokens: Sequence[Token], first: int, last: int) -> tuple[int, int]:
    """Character span of tokens [first, last]; a possessive "'s" on the last token is not part of
    the term ("the pizza's crust" -> "pizza")."""
    end = tokens[last].end
    if tokens[last].text.lower().endswith(POSSESSIVE_SUFFIXES) and len(tokens[last].text) > 2:
        end -= 2
    return tokens[first].start, end


def bio_tags(tokens: Sequence[Token], spans: Iterable[tuple[int, int]]) -> list[int]:
    """Tag ids (O/B/I) of `tokens` for character spans; the first token of a span is B."""
    tags = [O_TAG] * len(tokens)
    for start, end in spans:
        found = token_span(tokens, start, end)
        if found is None:
            continue
        first, last = found
        if tags[first] != O_TAG:  # overlapping annotations: the earlier one stands
            continue
        tags[first] = B_TAG
        for i in range(first + 1, last + 1):
            tags[i] = I_TAG
    return tags


def tag_runs(tags: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) token runs of B I* (an I without a B before it opens a run, the usual repair)."""
    runs: list[tuple[int, int]] = []
    first = None
    for i, tag in enumerate(tags):
        if tag == B_TAG or (tag == I_TAG and first is None):
            if first is not None:
                runs.append((first, i - 1))
            first = i
        elif tag == O_TAG and first is not None:
            runs.append((first, i - 1))
            first = None
    if first is not None:
        runs.append((first, len(tags) - 1))
    return runs


@dataclass(frozen=True)
class PolarityExample:
    """One aspect term as a polarity example: the tokens, the term's token span and its label."""

    tokens: tuple[str, ...]
    first: int
    last: int
    label: str


def polarity_examples(sentences: Iterable[AspectSentence]) -> list[PolarityExample]:
    """Every aspect with a 3-way label (conflict left out), as a token-level example."""
    examples = []
    for sentence in sentences:
        tokens = tokenize(sentence.text)
        for aspect in sentence.aspects:
            if aspect.polarity == CONFLICT:
                continue
            if aspect.polarity not in POLARITY_LABELS:
                raise ResourceError(f"unknown aspect polarity {aspect.polarity!r}; valid: {', '.join(POLARITY_LABELS)}, {CONFLICT}")
            found = token_span(tokens, aspect.start, aspect.end)
            if found is not None:
                examples.append(PolarityExample(tuple(t.text for t in tokens), found[0], found[1], aspect.polarity))
    return examples
