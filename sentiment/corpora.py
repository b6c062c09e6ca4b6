"""Labeled text corpora: local CSV / TSV / JSONL / TXT files (read with the `datasets` library)
and the Stanford Sentiment Treebank's PTB trees as phrase-level data.

A `Corpus` is texts plus one label per text: a name, a tuple of names (multi-label) or a
mapping name -> weight (a soft label distribution). A `label_map` renames raw labels (star
ratings to polarity, 28 GoEmotions labels to 7); mapping a label to "" drops it.
(Never name this module datasets.py: it would shadow the library.)
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .errors import InvalidInputError, ResourceError
from .types import EKMAN_OF_GOEMOTION

Label = str | tuple[str, ...] | Mapping[str, float]
PathLike = str | os.PathLike[str]
FORMATS = ("csv", "tsv", "jsonl", "txt", "sst_trees")
_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".txt": "txt"}
DROP = ""

_SST_POLARITY = {"0": "negative", "1": "negative", "2": "neutral", "3": "positive", "4": "positive"}
_SST_FINE = {"0": "very_negative", "1": "negative", "2": "neutral", "3": "positive", "4": "very_positive"}
_STARS_FINE = {"1": "very_negative", "2": "negative", "3": "neutral", "4": "positive", "5": "very_positive"}
_STARS_POLARITY = {"1": "negative", "2": "negative", "3": "neutral", "4": "positive", "5": "positive"}
_GOEMOTIONS_EKMAN = dict(EKMAN_OF_GOEMOTION)  # the GoEmotions paper's Ekman grouping
LABEL_MAPS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "sst_to_polarity": _SST_POLARITY,
        "sst_to_fine_grained": _SST_FINE,
        "stars_to_fine_grained": _STARS_FINE,
        "stars_to_polarity": _STARS_POLARITY,
        "goemotions_to_ekman": _GOEMOTIONS_EKMAN,
    }
)


@dataclass(frozen=True)
class Corpus:
    """Parallel tuples of texts and labels; `source` says where they came from."""

    texts: tuple[str, ...]
    labels: tuple[Label, ...]
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def label_names(self) -> list[str]:
        """Every label name that occurs, sorted."""
        names: set[str] = set()
        for label in self.labels:
            names.update([label] if isinstance(label, str) else label)
        return sorted(names)

    def counts(self) -> Counter:
        counts: Counter = Counter()
        for label in self.labels:
            counts.update([label] if isinstance(label, str) else list(label))
        return counts

    @staticmethod
    def concat(parts: Sequence["Corpus"]) -> "Corpus":
        return Corpus(
            tuple(t for p in parts for t in p.texts),
            tuple(label for p in parts for label in p.labels),
            " + ".join(p.source for p in parts if p.source),
        )


def resolve_label_map(label_map: str | Mapping[str, str] | None) -> Mapping[str, str] | None:
    """A mapping, a preset name from `LABEL_MAPS`, or None (labels kept as they are)."""
    if label_map is None or isinstance(label_map, Mapping):
        return label_map
    try:
        return LABEL_MAPS[label_map]
    except KeyError:
        raise ValueError(f"unknown label map {label_map!r}; valid presets: {', '.join(LABEL_MAPS)}") from None


def _map_name(raw: Any, label_map: Mapping[str, str] | None, source: str) -> str:
    name = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        name = str(int(raw))
    if label_map is None:
        return name
    try:
        return label_map[name]
    except KeyError:
        raise InvalidInputError(
            f"{source}: label {name!r} is not in the label map (mapped labels: {', '.join(sorted(label_map))})"
        ) from None


def convert_label(
    raw: Any, label_map: Mapping[str, str] | None, label_separator: str | None = None, source: str = ""
) -> Label | None:
    """A raw cell -> a label; None when every name maps to "" (the example is dropped)."""
    if isinstance(raw, Mapping):
        weights: dict[str, float] = defaultdict(float)
        for name, weight in raw.items():
            mapped = _map_name(name, label_map, source)
            if mapped != DROP:
                weights[mapped] += float(weight)
        return MappingProxyType(dict(weights)) if weights else None
    if isinstance(raw, str) and label_separator and label_separator in raw:
        raw = [part for part in raw.split(label_separator) if part.strip()]
    if isinstance(raw, (list, tuple)):
        names = tuple(dict.fromkeys(n for n in (_map_name(r, label_map, source) for r in raw) if n != DROP))
        return names or None
    if raw is None:
        raise InvalidInputError(f"{source}: a row has no label")
    name = _map_name(raw, label_map, source)
    return None if name == DROP else name


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown data format {fmt!r}; valid: {', '.join(FORMATS)}")
        return fmt
    try:
        fmt = _SUFFIX_FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"cannot tell the format of {path.name} from its suffix; pass one of: {', '.join(FORMATS)}"
        ) from None
    if fmt == "txt" and _looks_like_ptb_trees(path):
        return "sst_trees"
    return fmt


def _looks_like_ptb_trees(path: Path) -> bool:
    """A .txt file whose first line is a labeled PTB tree such as `(3 (2 It) (4 works))`."""
    try:
        with path.open(encoding="utf-8") as lines:
            first = next((line for line in lines if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(re.match(r"\(\S+ \(", first.strip())) and first.strip().endswith(")")


def _read_rows(path: Path, fmt: str) -> Any:
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    builder, options = {
        "csv": ("csv", {}),
        "tsv": ("csv", {"sep": "\t"}),
        "jsonl": ("json", {}),
        "txt": ("text", {}),
    }[fmt]
    try:
        return datasets.load_dataset(builder, data_files=str(path), split="train", **options)
    except Exception as exc:  # datasets wraps parser errors in many exception types
        raise ResourceError(f"cannot read {path} as {fmt}: {exc}") from None


def load_labeled(
    path: PathLike,
    text_column: str = "text",
    label_column: str = "label",
    fmt: str | None = None,
    label_map: str | Mapping[str, str] | None = None,
    label_separator: str | None = None,
    txt_separator: str = "\t",
    limit: int | None = None,
) -> Corpus:
    """Read a labeled file. CSV/TSV/JSONL: columns `text_column` and `label_column` (a JSON list or
    a `label_separator`-joined cell is multi-label). TXT: one `label<txt_separator>text` per line.
    SST trees: the sentences with their root labels (use `load_sst_trees` for phrases)."""
    path = Path(path)
    if not path.is_file():
        raise ResourceError(f"data file not found: {path}")
    fmt = detect_format(path, fmt)
    if fmt == "sst_trees":  # sentences (root labels) only: how SST is evaluated
        return load_sst_trees(path, phrases=False, label_map=label_map or "sst_to_fine_grained", limit=limit)
    mapping = resolve_label_map(label_map)
    rows = _read_rows(path, fmt)
    texts: list[str] = []
    labels: list[Label] = []
    if fmt == "txt":
        raw_pairs: Iterator[tuple[Any, Any]] = (_split_txt_line(line, txt_separator, path) for line in rows["text"] if line.strip())
    else:
        missing = [c for c in (text_column, label_column) if c not in rows.column_names]
        if missing:
            raise InvalidInputError(
                f"{path.name}: no column {', '.join(map(repr, missing))}; columns: {', '.join(rows.column_names)}"
            )
        raw_pairs = zip(rows[label_column], rows[text_column])
    for raw_label, text in raw_pairs:
        if not isinstance(text, str) or not text.strip():
            continue
        label = convert_label(raw_label, mapping, label_separator, path.name)
        if label is None:
            continue
        texts.append(text.strip())
        labels.append(label)
        if limit is not None and len(texts) >= limit:
            break
    return Corpus(tuple(texts), tuple(labels), str(path))


def _split_txt_line(line: str, separator: str, path: Path) -> tuple[str, str]:
    label, found, text = line.partition(separator)
    if not found:
        raise InvalidInputError(f"{path.name}: line {line[:60]!r} has no {separator!r} between label and text")
    return label, text


# --- Stanford Sentiment Treebank trees -------------------------------------------------------

_PTB_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_PTB_ESCAPES = {
    "-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}",
    "``": '"', "''": '"', "`": "'",
}
_NO_SPACE_BEFORE = frozenset({",", ".", "!", "?", ";", ":", "%", ")", "]", "}", "n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "'",
                              "N'T", "'S", "'RE", "'VE", "'LL", "'D", "'M"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$"})
_JOINED_PAIRS = {("gon", "na"), ("wan", "na"), ("got", "ta")}


def detokenize_ptb(tokens: Sequence[str]) -> str:
    """PTB tokens -> text, the way the shared SST sentence files were detokenized (heuristic)."""
    out: list[str] = []
    glue_next, quote_open = True, False
    for raw in tokens:
        token = _PTB_ESCAPES.get(raw, raw).replace("\\/", "/").replace("\\*", "*")
        if raw == "`":  # an opening single quote: space before, none after
            out.append(token if not out or glue_next else " " + token)
            glue_next = True
            continue
        if raw in ("``", "''") or token == '"':
            opening = raw == "``" or (raw != "''" and not quote_open)
            quote_open = opening
            glue = glue_next or not opening
            out.append(token if glue else " " + token)
            glue_next = opening
            continue
        joined = bool(out) and (out[-1].strip().lower(), token.lower()) in _JOINED_PAIRS
        glue = glue_next or token in _NO_SPACE_BEFORE or joined
        out.append(token if glue or not out else " " + token)
        glue_next = token in _NO_SPACE_AFTER
    return "".join(out).strip()


def parse_ptb_tree(line: str) -> tuple[str, list[Any]]:
    """`(3 (2 It) (4 works))` -> nested (label, children) with leaves as plain strings."""
    tokens = _PTB_TOKEN.findall(line)
    position = 0

    def node() -> tuple[str, list[Any]]:
        nonlocal position
        if tokens[position] != "(":
            raise ValueError(f"expected '(' at token {position}")
        label, position = tokens[position + 1], position + 2
        children: list[Any] = []
        while tokens[position] != ")":
            if tokens[position] == "(":
                children.append(node())
            else:
                children.append(tokens[position])
                position += 1
        position += 1
        return label, children

    tree = node()
    if position != len(tokens):
        raise ValueError("trailing tokens after the tree")
    return tree


def tree_phrases(tree: tuple[str, list[Any]]) -> list[tuple[str, list[str]]]:
    """Every node as (label, its leaves), root first."""
    found: list[tuple[str, list[str]]] = []

    def walk(node: tuple[str, list[Any]]) -> list[str]:
        label, children = node
        index = len(found)
        found.append((label, []))
        leaves: list[str] = []
        for child in children:
            leaves.extend([child] if isinstance(child, str) else walk(child))
        found[index] = (label, leaves)
        return leaves

    walk(tree)
    return found


def load_sst_trees(
    path: PathLike,
    phrases: bool = True,
    label_map: str | Mapping[str, str] | None = "sst_to_fine_grained",
    soft: bool = False,
    limit: int | None = None,
) -> Corpus:
    """SST trees as training data: the sentences (root labels) and, with `phrases`, every distinct
    labeled sub-phrase once. A phrase seen with several labels gets its label distribution when
    `soft` is set (for the KL loss), else its most frequent label. Labels 0..4 go through `label_map`."""
    path = Path(path)
    if not path.is_file():
        raise ResourceError(f"SST tree file not found: {path}")
    mapping = resolve_label_map(label_map)
    seen: dict[str, Counter] = {}
    sentences: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if limit is not None and len(sentences) >= limit:
                break
            try:
                nodes = tree_phrases(parse_ptb_tree(line))
            except (ValueError, IndexError) as exc:
                raise ResourceError(f"{path.name} line {number}: not a PTB tree ({exc})") from None
            root_label = _map_name(nodes[0][0], mapping, path.name)
            root_text = detokenize_ptb(nodes[0][1])
            sentences.append((root_text, root_label))
            for label, leaves in nodes[1:] if phrases else ():
                mapped = _map_name(label, mapping, path.name)
                if mapped != DROP:
                    seen.setdefault(detokenize_ptb(leaves), Counter())[mapped] += 1
    texts, labels = [], []
    sentence_texts = set()
    for text, label in sentences:
        if label != DROP:
            texts.append(text)
            labels.append(label)
            sentence_texts.add(text)
    for text, counts in seen.items():
        if text in sentence_texts or not text:
            continue
        if soft and len(counts) > 1:
            total = sum(counts.values())
            labels.append(MappingProxyType({name: n / total for name, n in sorted(counts.items())}))
        else:
            labels.append(max(sorted(counts), key=counts.__getitem__))
        texts.append(text)
    return Corpus(tuple(texts), tuple(labels), f"{path}{' (phrases)' if phrases else ''}")


# --- data sources as they appear in a training config ----------------------------------------

SOURCE_KEYS = ("path", "format", "text_column", "label_column", "label_map", "label_separator", "phrases", "soft", "limit", "txt_separator")


def load_source(spec: Mapping[str, Any], root: PathLike | None = None) -> Corpus:
    """One `[[data.train]]` / `[[data.dev]]` table of a training config -> a Corpus.
    Relative paths are resolved against `root`."""
    unknown = sorted(set(spec) - set(SOURCE_KEYS))
    if unknown:
        raise ValueError(f"unknown data source keys {unknown}; valid: {', '.join(SOURCE_KEYS)}")
    if "path" not in spec:
        raise ValueError("a data source needs a 'path'")
    path = Path(spec["path"])
    if root is not None and not path.is_absolute():
        path = Path(root) / path
    fmt = detect_format(path, spec.get("format"))
    if fmt == "sst_trees":
        return load_sst_trees(
            path,
            phrases=bool(spec.get("phrases", True)),
            label_map=spec.get("label_map", "sst_to_fine_grained"),
            soft=bool(spec.get("soft", False)),
            limit=spec.get("limit"),
        )
    return load_labeled(
        path,
        text_column=spec.get("text_column", "text"),
        label_column=spec.get("label_column", "label"),
        fmt=fmt,
        label_map=spec.get("label_map"),
        label_separator=spec.get("label_separator"),
        txt_separator=spec.get("txt_separator", "\t"),
        limit=spec.get("limit"),
    )


def load_sources(specs: Iterable[Mapping[str, Any]], root: PathLike | None = None) -> Corpus:
    return Corpus.concat([load_source(spec, root) for spec in specs])
