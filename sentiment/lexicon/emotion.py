"""Emotion mode: a word -> emotion lexicon induced from GoEmotions, and the scorer that reads it.

Induction (`induce_emotion_lexicon`, also `python -m sentiment.lexicon.emotion`):

1. GoEmotions' 27 labels are mapped to Ekman's six emotions plus neutral, as in the GoEmotions
   paper (Demszky et al., 2020, section 6.1), see `EKMAN_MAPPING`.
2. Each comment becomes the set of its tokens (`sentiment.text.tokenize`, lower-cased; punctuation
   runs, emoji and emoticons included); tokens in the scope of a negation ("not happy") are left out,
   exactly as the scorer leaves them out.
3. For every emotion, the weighted log-odds ratio with an informative Dirichlet prior (Monroe,
   Colaresi & Quinn 2008, "Fightin' Words", eq. 16-22) compares the comments with that emotion to
   all the others; the prior is the token's document frequency in the whole corpus times `alpha0`.
   This shrinks rare words towards zero instead of trusting a PMI estimated from two comments.
4. A cell keeps the log-odds `delta` where its z-score (`delta / sd`) reaches `min_z` and the token
   occurs in at least `min_count` comments; other cells are 0. Rows without a kept cell are pruned.

Scoring: the evidence for an emotion is the sum of its lexicon weights over the text's distinct
tokens (outside negation scope) divided by sqrt(number of distinct tokens), so long texts neither saturate nor
vanish. A logistic calibration per emotion (fitted on out-of-fold train evidence) turns evidence
into a score in [0, 1]; per-emotion thresholds tuned on the dev split decide the labels; `neutral`
is the label when no emotion fires, and its score is the probability that none does
(the product of 1 - score over the six emotions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from ..errors import ResourceError
from ..text import Token, tokenize
from ..types import EKMAN_OF_GOEMOTION, EMOTION_LABELS, GOEMOTIONS_BY_EKMAN, Emotion

LEXICON_FILE = "emotion_lexicon.tsv"
THRESHOLDS_FILE = "emotion_thresholds.json"
NEUTRAL = "neutral"
EMOTIONS: tuple[str, ...] = tuple(label for label in EMOTION_LABELS if label != NEUTRAL)

EKMAN_MAPPING = GOEMOTIONS_BY_EKMAN  # GoEmotions paper, section 6.1 ("Ekman" taxonomy)
_EKMAN_OF = EKMAN_OF_GOEMOTION

# Induction defaults, chosen on GoEmotions dev macro-F1: alpha0 in {100, 1000, 10000} moved it by < 0.01;
# min_z 3 / 2.5 / 2 gave 0.571 / 0.561 / 0.553; min_count 3 / 5 / 10 gave 0.571 / 0.571 / 0.565.
DEFAULT_ALPHA0 = 1000.0  # total pseudo-count of the Dirichlet prior (Monroe et al.'s alpha_0)
DEFAULT_MIN_COUNT = 5  # a token must occur in this many training comments to be kept
DEFAULT_MIN_Z = 3.0  # keep an association only when its z-score is this large (p < .002, one-sided)
DEFAULT_MAX_ROWS = 3000  # hard cap on lexicon rows, strongest associations first
CROSS_FIT_FOLDS = 5  # folds for the out-of-fold evidence the calibration is fitted on
WEIGHT_DECIMALS = 3

# Negation: a negator silences the next few tokens, up to a clause boundary.
NEGATORS = frozenset(
    {"not", "no", "never", "nor", "neither", "without", "cannot", "nothing", "none", "nobody", "hardly",
     "barely", "dont", "didnt", "doesnt", "isnt", "wasnt", "arent", "werent", "wont", "cant", "couldnt",
     "shouldnt", "wouldnt", "aint"}
)
NEGATION_SCOPE_TOKENS = 3  # "not at all happy": scope long enough for a filler or two
_EMOJI_VARIATION_SELECTOR = "\ufe0f"
_CLAUSE_BREAKS = frozenset({".", ",", ";", ":", "!", "?", "but", "however", "although", "though"})


def is_negator(word: str) -> bool:
    word = word.lower()
    return word in NEGATORS or word.endswith("n't") or word.endswith("n’t")


def negated_flags(tokens: Sequence[Token]) -> list[bool]:
    """For each token: is it in the scope of a preceding negator (within the same clause)?"""
    flags: list[bool] = []
    left = 0
    for token in tokens:
        word = token.lower
        if is_negator(word):
            flags.append(False)
            left = NEGATION_SCOPE_TOKENS
        elif word in _CLAUSE_BREAKS or (not token.is_word and word[:1] in ".!?,;:"):
            flags.append(False)
            left = 0
        else:
            flags.append(left > 0)
            left = max(0, left - 1)
    return flags


def emotion_terms(tokens: Sequence[Token]) -> list[str]:
    """The distinct lower-cased tokens that count as emotion evidence (those outside negation scope),
    sorted: a word counts once per text, as it does in induction (per-comment presence)."""
    return sorted(
        {_term(token) for token, negated in zip(tokens, negated_flags(tokens)) if not negated}
    )


def _term(token: Token) -> str:
    """Lower-cased, without emoji variation selectors ("❤️" and "❤" are one term)."""
    return token.lower.replace(_EMOJI_VARIATION_SELECTOR, "")


# --------------------------------------------------------------------------- induction


def read_goemotions(path: Path) -> list[tuple[frozenset[str], frozenset[str]]]:
    """(set of terms, set of Ekman labels) per row of a GoEmotions JSONL file."""
    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise ResourceError(f"{path}:{number}: not a JSON line: {error}") from None
            try:
                labels = frozenset(_EKMAN_OF[label] for label in record["labels"])
            except KeyError as error:
                raise ResourceError(
                    f"{path}:{number}: unknown GoEmotions label {error.args[0]!r}; "
                    f"valid labels: {', '.join(sorted(_EKMAN_OF))}"
                ) from None
            rows.append((frozenset(emotion_terms(tokenize(record["text"]))), labels))
    if not rows:
        raise ResourceError(f"{path} has no rows")
    return rows


@dataclass(frozen=True)
class _Counts:
    doc_freq: dict[str, int]
    by_label: dict[str, dict[str, int]]


def _count(rows: Iterable[tuple[frozenset[str], frozenset[str]]]) -> _Counts:
    doc_freq: dict[str, int] = {}
    by_label: dict[str, dict[str, int]] = {label: {} for label in EMOTION_LABELS}
    for terms, labels in rows:
        for term in terms:
            doc_freq[term] = doc_freq.get(term, 0) + 1
            for label in labels:
                counts = by_label[label]
                counts[term] = counts.get(term, 0) + 1
    return _Counts(doc_freq, by_label)


def weighted_log_odds(
    counts: _Counts, alpha0: float, min_count: int, min_z: float
) -> dict[str, dict[str, float]]:
    """term -> {label: log-odds} for the significant positive associations (Monroe et al. 2008)."""
    total = sum(counts.doc_freq.values())
    kept: dict[str, dict[str, float]] = {}
    for label in EMOTION_LABELS:
        in_label = counts.by_label[label]
        n_in = sum(in_label.values())
        n_out = total - n_in
        for term, freq in counts.doc_freq.items():
            if freq < min_count:
                continue
            prior = alpha0 * freq / total
            y_in = in_label.get(term, 0)
            y_out = freq - y_in
            delta = math.log((y_in + prior) / (n_in + alpha0 - y_in - prior)) - math.log(
                (y_out + prior) / (n_out + alpha0 - y_out - prior)
            )
            z = delta / math.sqrt(1.0 / (y_in + prior) + 1.0 / (y_out + prior))
            if z >= min_z:
                kept.setdefault(term, {})[label] = round(delta, WEIGHT_DECIMALS)
    return kept


def _prune(weights: dict[str, dict[str, float]], max_rows: int) -> dict[str, dict[str, float]]:
    strongest = sorted(weights, key=lambda term: (-max(weights[term].values()), term))[:max_rows]
    return {term: weights[term] for term in sorted(strongest)}


def evidence(weights: Mapping[str, Mapping[str, float]], terms: Sequence[str]) -> dict[str, float]:
    """Per label: summed lexicon weight over the terms / sqrt(len(terms)); 0 for an empty text."""
    totals = dict.fromkeys(EMOTION_LABELS, 0.0)
    for term in terms:
        for label, weight in weights.get(term, {}).items():
            totals[label] += weight
    scale = math.sqrt(len(terms)) if terms else 1.0
    return {label: value / scale for label, value in totals.items()}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def fit_logistic(xs: Sequence[float], ys: Sequence[bool], iterations: int = 50) -> tuple[float, float]:
    """One-feature logistic regression (slope, intercept) by Newton's method, lightly L2-regularized."""
    ridge = 1e-3
    slope, intercept = 0.0, 0.0
    for _ in range(iterations):
        g_s = g_i = 0.0
        h_ss = h_si = h_ii = ridge
        for x, y in zip(xs, ys):
            p = _sigmoid(slope * x + intercept)
            r = p - (1.0 if y else 0.0)
            w = p * (1.0 - p)
            g_s += r * x
            g_i += r
            h_ss += w * x * x
            h_si += w * x
            h_ii += w
        g_s += ridge * slope
        det = h_ss * h_ii - h_si * h_si
        if det <= 0:
            break
        step_s = (h_ii * g_s - h_si * g_i) / det
        step_i = (h_ss * g_i - h_si * g_s) / det
        slope, intercept = slope - step_s, intercept - step_i
        if abs(step_s) + abs(step_i) < 1e-8:
            break
    return slope, intercept


def _out_of_fold_evidence(
    rows: list[tuple[frozenset[str], frozenset[str]]], alpha0: float, min_count: int, min_z: float, folds: int
) -> list[dict[str, float]]:
    """Evidence for each training row from a lexicon induced without that row's fold."""
    result: list[dict[str, float]] = [{} for _ in rows]
    folds = max(2, min(folds, len(rows)))
    for fold in range(folds):
        held = range(fold, len(rows), folds)
        held_set = set(held)
        weights = weighted_log_odds(
            _count(row for i, row in enumerate(rows) if i not in held_set), alpha0, min_count, min_z
        )
        for i in held:
            result[i] = evidence(weights, sorted(rows[i][0]))
    return result


def _f1(predicted: Sequence[bool], gold: Sequence[bool]) -> float:
    tp = sum(p and g for p, g in zip(predicted, gold))
    fp = sum(p and not g for p, g in zip(predicted, gold))
    fn = sum(g and not p for p, g in zip(predicted, gold))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _best_threshold(scores: Sequence[float], gold: Sequence[bool]) -> tuple[float, float]:
    """The cut (midpoint between neighbouring scores) that maximizes F1, scanning sorted scores once."""
    pairs = sorted(zip(scores, gold), key=lambda pair: -pair[0])
    positives = sum(gold)
    best_f1, best_cut = 0.0, 1.0
    tp = fp = 0
    for index, (score, label) in enumerate(pairs):
        tp += label
        fp += not label
        next_score = pairs[index + 1][0] if index + 1 < len(pairs) else 0.0
        if next_score == score:
            continue
        f1 = 2 * tp / (tp + fp + positives) if positives else 0.0
        if f1 > best_f1:
            best_f1, best_cut = f1, (score + next_score) / 2
    return best_cut, best_f1


def macro_f1(predicted: Sequence[Iterable[str]], gold: Sequence[Iterable[str]]) -> dict[str, float]:
    """F1 per label in EMOTION_LABELS and their mean under `macro`."""
    predicted_sets = [set(p) for p in predicted]
    gold_sets = [set(g) for g in gold]
    per_label = {
        label: _f1([label in p for p in predicted_sets], [label in g for g in gold_sets])
        for label in EMOTION_LABELS
    }
    return {**per_label, "macro": sum(per_label.values()) / len(per_label)}


def induce_emotion_lexicon(
    data_path: Path,
    out_path: Path,
    *,
    dev_path: Path | None = None,
    thresholds_path: Path | None = None,
    alpha0: float = DEFAULT_ALPHA0,
    min_count: int = DEFAULT_MIN_COUNT,
    min_z: float = DEFAULT_MIN_Z,
    max_rows: int = DEFAULT_MAX_ROWS,
    folds: int = CROSS_FIT_FOLDS,
    command: str | None = None,
) -> dict:
    """Induce the lexicon from GoEmotions-style JSONL, write it to `out_path`, and the calibration
    and thresholds next to it (`thresholds_path`, default `emotion_thresholds.json` in the same
    folder). Thresholds are tuned on `dev_path` when given, else on the out-of-fold train evidence.

    Returns a summary: training rows, lexicon rows, terms per label, calibration, thresholds and the macro-F1 they reach.
    """
    data_path, out_path = Path(data_path), Path(out_path)
    thresholds_path = Path(thresholds_path) if thresholds_path else out_path.parent / THRESHOLDS_FILE
    rows = read_goemotions(data_path)
    weights = _prune(weighted_log_odds(_count(rows), alpha0, min_count, min_z), max_rows)

    oof = _out_of_fold_evidence(rows, alpha0, min_count, min_z, folds)
    calibration = {}
    for label in EMOTIONS:
        slope, intercept = fit_logistic([e[label] for e in oof], [label in labels for _, labels in rows])
        calibration[label] = {"slope": round(slope, 6), "intercept": round(intercept, 6)}

    tuning_rows = read_goemotions(dev_path) if dev_path else rows
    tuning_evidence = (
        [evidence(weights, sorted(terms)) for terms, _ in tuning_rows] if dev_path else oof
    )
    scored = [_calibrated(e, calibration) for e in tuning_evidence]
    thresholds = {
        label: round(_best_threshold([s[label] for s in scored], [label in g for _, g in tuning_rows])[0], 6)
        for label in EMOTIONS
    }
    predictions = [_labels_above(s, thresholds) for s in scored]
    f1 = macro_f1(predictions, [g for _, g in tuning_rows])

    command = command or _this_command()
    _write_lexicon(out_path, weights, data_path, len(rows), alpha0, min_count, min_z, command)
    summary = {
        "data": str(data_path),
        "tuned_on": str(dev_path) if dev_path else f"{data_path} (out-of-fold)",
        "training_rows": len(rows),
        "rows": len(weights),
        "terms_per_label": {label: sum(label in w for w in weights.values()) for label in EMOTION_LABELS},
        "method": "weighted log-odds, informative Dirichlet prior (Monroe et al. 2008)",
        "options": {"alpha0": alpha0, "min_count": min_count, "min_z": min_z, "max_rows": max_rows,
                    "folds": folds},
        "calibration": calibration,
        "thresholds": thresholds,
        "macro_f1": round(f1["macro"], 4),
        "f1_per_label": {label: round(f1[label], 4) for label in EMOTION_LABELS},
        "command": command,
        "date": dt.date.today().isoformat(),
    }
    thresholds_path.parent.mkdir(parents=True, exist_ok=True)
    thresholds_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _this_command() -> str:
    return "python -m sentiment.lexicon.emotion " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _write_lexicon(
    path: Path,
    weights: Mapping[str, Mapping[str, float]],
    data_path: Path,
    n_rows: int,
    alpha0: float,
    min_count: int,
    min_z: float,
    command: str,
) -> None:
    header = [
        "# Emotion lexicon: token -> association with Ekman's six emotions and neutral.",
        f"# Induced from GoEmotions train ({data_path.name}, {n_rows} Reddit comments; Demszky et al., ACL 2020,",
        "#   google-research/goemotions; no separate data license stated, cite the paper). 27 labels mapped to",
        "#   Ekman's six + neutral as in the paper. NRC EmoLex is NOT used (research-only license).",
        "# Method: weighted log-odds ratio with an informative Dirichlet prior (Monroe et al. 2008), each emotion",
        f"#   vs the rest, per-comment token presence, negated tokens left out; alpha0={alpha0:g},",
        f"#   min_count={min_count}, cells kept where z >= {min_z:g} (else 0). Values are the log-odds delta.",
        f"# Command: {command}",
        f"# Date: {dt.date.today().isoformat()}",
        "# Tokens are lower-cased sentiment.text.tokenize tokens (words, punctuation runs, emoji, emoticons).",
        "# Edit freely: a row adds to the evidence for every emotion with a non-zero value.",
    ]
    lines = header + ["\t".join(("token", *EMOTION_LABELS))]
    for term, row in weights.items():
        lines.append("\t".join((term, *(_format(row.get(label, 0.0)) for label in EMOTION_LABELS))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _format(value: float) -> str:
    return "0" if value == 0 else f"{value:.{WEIGHT_DECIMALS}f}"


def _calibrated(raw: Mapping[str, float], calibration: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    scores = {
        label: _sigmoid(calibration[label]["slope"] * raw[label] + calibration[label]["intercept"])
        for label in EMOTIONS
    }
    scores[NEUTRAL] = math.prod(1.0 - scores[label] for label in EMOTIONS)
    return scores


def _labels_above(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> tuple[str, ...]:
    fired = tuple(label for label in EMOTIONS if scores[label] > thresholds[label])
    return fired or (NEUTRAL,)


# --------------------------------------------------------------------------- scoring


def read_emotion_lexicon(path: Path) -> dict[str, dict[str, float]]:
    """token -> {label: weight} (non-zero cells only) from the TSV written by the inducer or by hand."""
    weights: dict[str, dict[str, float]] = {}
    columns: list[str] | None = None
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if columns is None:
                columns = cells[1:]
                unknown = sorted(set(columns) - set(EMOTION_LABELS))
                if cells[0] != "token" or unknown:
                    raise ResourceError(
                        f"{path}:{number}: header must be 'token' then emotion columns from "
                        f"{', '.join(EMOTION_LABELS)}; got {cells}"
                    )
                continue
            if len(cells) != len(columns) + 1:
                raise ResourceError(f"{path}:{number}: expected {len(columns) + 1} tab-separated cells")
            try:
                row = {label: float(cell) for label, cell in zip(columns, cells[1:]) if float(cell) != 0}
            except ValueError:
                raise ResourceError(f"{path}:{number}: weights must be numbers: {cells[1:]}") from None
            if row:
                weights[cells[0].lower()] = row
    if columns is None:
        raise ResourceError(f"{path} has no header row")
    return weights


class EmotionScorer:
    """Scores Ekman's six emotions (+ neutral) from the induced lexicon; multi-label."""

    def __init__(
        self,
        weights: Mapping[str, Mapping[str, float]],
        calibration: Mapping[str, Mapping[str, float]],
        thresholds: Mapping[str, float],
    ) -> None:
        missing = [label for label in EMOTIONS if label not in calibration or label not in thresholds]
        if missing:
            raise ResourceError(f"emotion calibration/thresholds missing for: {', '.join(missing)}")
        self._weights = MappingProxyType({term: MappingProxyType(dict(row)) for term, row in weights.items()})
        self._calibration = MappingProxyType({label: dict(calibration[label]) for label in EMOTIONS})
        self.thresholds: Mapping[str, float] = MappingProxyType({label: float(thresholds[label]) for label in EMOTIONS})

    @classmethod
    def load(cls, lexicons_dir: Path, threshold: float | None = None) -> "EmotionScorer":
        """Read `emotion_lexicon.tsv` and `emotion_thresholds.json`; `threshold` replaces every
        tuned per-emotion threshold with one value in [0, 1]."""
        folder = Path(lexicons_dir)
        lexicon_path, settings_path = folder / LEXICON_FILE, folder / THRESHOLDS_FILE
        for path in (lexicon_path, settings_path):
            if not path.is_file():
                raise ResourceError(
                    f"{path} not found; build it with: python -m sentiment.lexicon.emotion "
                    "--data ../shared/data/goemotions/train.jsonl --dev ../shared/data/goemotions/dev.jsonl"
                )
        try:
            settings = json.loads(settings_path.read_text(encoding="utf-8"))
            calibration, thresholds = settings["calibration"], dict(settings["thresholds"])
        except (ValueError, KeyError) as error:
            raise ResourceError(f"{settings_path} is not a valid emotion settings file: {error}") from None
        if threshold is not None:
            if not 0.0 <= float(threshold) <= 1.0:
                raise ValueError(f"emotion threshold must be in [0, 1], got {threshold}")
            thresholds = dict.fromkeys(EMOTIONS, float(threshold))
        return cls(read_emotion_lexicon(lexicon_path), calibration, thresholds)

    def score(self, text: str, tokens: list[Token]) -> Emotion:
        scores = _calibrated(evidence(self._weights, emotion_terms(tokens)), self._calibration)
        return Emotion(labels=_labels_above(scores, self.thresholds), scores=scores)


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentiment.lexicon.emotion",
        description="Induce lexicons/emotion_lexicon.tsv (+ emotion_thresholds.json) from GoEmotions.",
    )
    parser.add_argument("--data", type=Path, required=True, help="GoEmotions train JSONL")
    parser.add_argument("--dev", type=Path, help="GoEmotions dev JSONL to tune the thresholds on")
    parser.add_argument("--out", type=Path, help=f"output TSV (default: <lexicons dir>/{LEXICON_FILE})")
    parser.add_argument("--alpha0", type=float, default=DEFAULT_ALPHA0)
    parser.add_argument("--min-count", type=int, default=DEFAULT_MIN_COUNT)
    parser.add_argument("--min-z", type=float, default=DEFAULT_MIN_Z)
    parser.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS)
    args = parser.parse_args(argv)
    if args.out is None:
        from ..resources import lexicons_dir

        args.out = lexicons_dir() / LEXICON_FILE
    for path in (args.data, args.dev):
        if path is not None and not path.is_file():
            parser.error(f"file not found: {path}")
    summary = induce_emotion_lexicon(
        args.data, args.out, dev_path=args.dev, alpha0=args.alpha0, min_count=args.min_count,
        min_z=args.min_z, max_rows=args.max_rows,
        command=_this_command() if argv is None else "python -m sentiment.lexicon.emotion " + shlex.join(argv),
    )
    print(json.dumps({k: summary[k] for k in ("rows", "thresholds", "macro_f1", "f1_per_label")}, indent=2))
    print(f"wrote {args.out} and {args.out.parent / THRESHOLDS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
