"""Intent mode: consumer intent from weighted cue patterns in lexicons/intent_cues.tsv.

The taxonomy and the file format are documented in the header of that file. Every cue that matches
counts once for its intent; a cue preceded by a negator in the same clause ("I won't buy",
"not interested", "would not recommend") counts for what its `when_negated` column says instead.
An intent's evidence is its strongest cue plus a share of its other cues; the evidence plus a fixed prior for `none` is normalized into scores that sum to 1; the
label is the top score, so a text where no cue fires is `none` with confidence 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

from ..errors import ResourceError
from ..text import Token
from ..types import INTENT_LABELS, Intent
from .emotion import is_negator

CUES_FILE = "intent_cues.tsv"
NONE = "none"
CUE_INTENTS: tuple[str, ...] = tuple(label for label in INTENT_LABELS if label != NONE)

# Evidence `none` starts with: a single cue must carry more than this to decide the label.
NONE_PRIOR = 0.5
# An intent's evidence is its strongest cue plus this share of its other positive cues: generic cues
# that co-occur ("?", "how can I", "help") add up less than independent ones would (noisy-OR spirit).
STACKING_FACTOR = 0.3
# A negator this many tokens (or fewer) before a cue, with no clause break between, negates it.
NEGATION_WINDOW_TOKENS = 3
# Which intent wins a tie: the more specific and actionable first.
TIE_ORDER: tuple[str, ...] = (
    "cancel_return_refund", "complaint", "purchase", "browsing", "praise", "question", NONE,
)
KINDS = ("word", "phrase", "regex")
KEEP_WHEN_NEGATED, DROP_WHEN_NEGATED = "=", "-"

_CLAUSE_BREAK_RE = re.compile(r"[.!?;,:]|\b(?:but|however|although|though)\b")
_NEGATOR_TOKEN_RE = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Cue:
    intent: str
    weight: float
    kind: str
    pattern: str
    when_negated: str
    regex: re.Pattern[str]
    # A substring every match contains (None for raw regexes): a cheap `in` test skips the regex
    # search for the many cues whose words are absent from the text.
    required: str | None = None


def compile_pattern(kind: str, pattern: str) -> re.Pattern[str]:
    """A `word`/`phrase` (with `*` endings, optional apostrophes) or a raw regex, as a compiled regex."""
    if kind == "regex":
        return re.compile(pattern)
    words = pattern.split()
    if kind == "word" and len(words) != 1:
        raise ValueError(f"a 'word' cue must be one word, got {pattern!r} (use kind 'phrase')")
    parts = []
    for word in words:
        stem, wildcard = (word[:-1], True) if word.endswith("*") and len(word) > 1 else (word, False)
        part = "'?".join(re.escape(piece) for piece in stem.split("'"))
        parts.append(part + (r"[\w'-]*" if wildcard else ""))
    return re.compile(r"(?<![\w'])" + r"\s+".join(parts) + r"(?![\w'])")


def required_substring(kind: str, pattern: str) -> str | None:
    """The longest literal piece of a `word`/`phrase` cue that any match of it must contain (the
    pieces between optional apostrophes, without `*` endings); None for a raw regex."""
    if kind == "regex":
        return None
    pieces = [
        piece
        for word in pattern.split()
        for piece in (word[:-1] if word.endswith("*") and len(word) > 1 else word).split("'")
    ]
    return max(pieces, key=len) or None


def read_intent_cues(path: Path) -> tuple[Cue, ...]:
    """Parse the cue TSV; a bad row raises ResourceError naming the line and the valid choices."""
    cues: list[Cue] = []
    header_seen = False
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if not header_seen:
                if cells != ["intent", "weight", "kind", "pattern", "when_negated"]:
                    raise ResourceError(
                        f"{path}:{number}: header must be intent, weight, kind, pattern, when_negated"
                    )
                header_seen = True
                continue
            cues.append(_parse_cue(path, number, cells))
    if not header_seen:
        raise ResourceError(f"{path} has no header row")
    return tuple(cues)


def _parse_cue(path: Path, number: int, cells: list[str]) -> Cue:
    where = f"{path}:{number}"
    if len(cells) != 5:
        raise ResourceError(f"{where}: expected 5 tab-separated cells, got {len(cells)}")
    intent, weight, kind, pattern, when_negated = (cell.strip() for cell in cells)
    if intent not in CUE_INTENTS:
        raise ResourceError(f"{where}: unknown intent {intent!r}; valid intents: {', '.join(CUE_INTENTS)}")
    if kind not in KINDS:
        raise ResourceError(f"{where}: unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    valid_negated = (KEEP_WHEN_NEGATED, DROP_WHEN_NEGATED, *CUE_INTENTS)
    if when_negated not in valid_negated:
        raise ResourceError(
            f"{where}: unknown when_negated {when_negated!r}; valid: {', '.join(valid_negated)}"
        )
    try:
        value = float(weight)
        regex = compile_pattern(kind, pattern.lower())
    except (ValueError, re.error) as error:
        raise ResourceError(f"{where}: {error}") from None
    return Cue(intent, value, kind, pattern, when_negated, regex, required_substring(kind, pattern.lower()))


def is_negated(text: str, start: int) -> bool:
    """Is there a negator among the few tokens before `start`, within the same clause?"""
    before = text[:start]
    breaks = list(_CLAUSE_BREAK_RE.finditer(before))
    if breaks:
        before = before[breaks[-1].end():]
    window = _NEGATOR_TOKEN_RE.findall(before)[-NEGATION_WINDOW_TOKENS:]
    return any(is_negator(word) for word in window)


def _combine(weights: Sequence[float]) -> float:
    """Strongest positive cue + STACKING_FACTOR x the other positive cues + every negative cue."""
    positive = sorted((w for w in weights if w > 0), reverse=True)
    negative = sum(w for w in weights if w < 0)
    if not positive:
        return negative
    return positive[0] + STACKING_FACTOR * sum(positive[1:]) + negative


def _normalize(text: str) -> str:
    return text.lower().replace("’", "'")


class IntentScorer:
    """Weighted cue patterns -> one intent with a confidence and a distribution over intents."""

    def __init__(self, cues: Sequence[Cue], none_prior: float = NONE_PRIOR) -> None:
        self.cues: tuple[Cue, ...] = tuple(cues)
        self.none_prior = float(none_prior)

    @classmethod
    def load(cls, lexicons_dir: Path) -> "IntentScorer":
        path = Path(lexicons_dir) / CUES_FILE
        if not path.is_file():
            raise ResourceError(f"intent cue file not found: {path}")
        return cls(read_intent_cues(path))

    def evidence(self, text: str) -> dict[str, float]:
        """Combined cue weights per intent (before the `none` prior and normalization)."""
        normalized = _normalize(text)
        weights: dict[str, list[float]] = {intent: [] for intent in CUE_INTENTS}
        for cue in self.cues:
            if cue.required is not None and cue.required not in normalized:
                continue
            match = cue.regex.search(normalized)
            if match is None:
                continue
            target = cue.intent
            if cue.when_negated != KEEP_WHEN_NEGATED and is_negated(normalized, match.start()):
                if cue.when_negated == DROP_WHEN_NEGATED:
                    continue
                target = cue.when_negated
            weights[target].append(cue.weight)
        return {intent: _combine(values) for intent, values in weights.items()}

    def score(self, text: str, tokens: list[Token]) -> Intent:
        """`tokens` is accepted for the scorer contract; cues match the lower-cased text itself."""
        totals = {intent: max(0.0, value) for intent, value in self.evidence(text).items()}
        totals[NONE] = self.none_prior if any(totals.values()) else 1.0
        grand_total = sum(totals.values())
        scores: Mapping[str, float] = {label: totals[label] / grand_total for label in INTENT_LABELS}
        label = max(TIE_ORDER, key=lambda intent: (scores[intent], -TIE_ORDER.index(intent)))
        return Intent(label=label, confidence=scores[label], scores=MappingProxyType(dict(scores)))
