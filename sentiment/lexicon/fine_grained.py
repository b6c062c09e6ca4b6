"""Fine-grained sentiment (very_negative..very_positive, 1-5 stars) from the lexicon polarity score.

The polarity score in [-1, 1] is cut into five bins by four edges fitted on SST-5 train (`fit_bins`,
which picks the edges that maximize train accuracy exactly, by dynamic programming over the sorted
scores). Probabilities fall off with the distance from the score to each bin, so the bin holding the
score is always the most probable and the expected stars rise with the score.

Reproduce the shipped edges (from the repository root):
    sentiment lexicon fine-grained --data ../shared/data/sst5/train.jsonl
or, without the CLI, `python -m sentiment.lexicon.fine_grained --data ../shared/data/sst5/train.jsonl`.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import sys
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import ResourceError
from ..resources import lexicons_dir as find_lexicons_dir
from ..text import tokenize
from ..types import FINE_GRAINED_LABELS, STARS_BY_FINE_GRAINED_LABEL, FineGrained, Polarity
from .data import load_lexicon
from .polarity import PolarityScorer

BINS_FILE = "fine_grained_bins.json"
FIT_COMMAND = "sentiment lexicon fine-grained --data ../shared/data/sst5/train.jsonl"
FIT_METRIC = "accuracy"
# How fast a bin's probability falls with the distance (in polarity-score units) from the score to
# the bin: 0.1 makes a bin one typical bin-width (~0.2) away about e^-2 ~ 7x less likely.
BIN_SOFTNESS = 0.1
_CLASS_COUNT = len(FINE_GRAINED_LABELS)
_NEUTRAL_CLASS = FINE_GRAINED_LABELS.index("neutral")
_BEYOND_SCORES = 1.5  # an edge no polarity score reaches (scores lie in [-1, 1])
# The polarity score of a text without sentiment words; the neutral bin must hold it.
NEUTRAL_SCORE = 0.0


class FineGrainedScorer:
    """Maps a `Polarity` onto five ordered classes with four ascending edges on its score."""

    def __init__(self, edges: Sequence[float], softness: float = BIN_SOFTNESS) -> None:
        edges = [float(edge) for edge in edges]
        if len(edges) != _CLASS_COUNT - 1 or any(b < a for a, b in zip(edges, edges[1:])):
            raise ResourceError(f"fine-grained bins need {_CLASS_COUNT - 1} ascending edges, got {edges}")
        if softness <= 0:
            raise ResourceError(f"fine-grained bin softness must be positive, got {softness}")
        self.edges = tuple(edges)
        self.softness = float(softness)

    @classmethod
    def load(cls, lexicons_dir: Path) -> "FineGrainedScorer":
        """The edges saved by `fit_bins` in `lexicons_dir/fine_grained_bins.json`."""
        path = Path(lexicons_dir) / BINS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["edges"], data.get("softness", BIN_SOFTNESS))
        except FileNotFoundError:
            raise ResourceError(f"fine-grained bins not found: {path} (make them with: {FIT_COMMAND})") from None
        except (ValueError, KeyError, TypeError) as error:
            raise ResourceError(f"{path}: not a valid fine-grained bins file ({error})") from None

    def score(self, polarity: Polarity) -> FineGrained:
        value = polarity.score
        # A score on an edge belongs to the lower bin, which is also the first most probable one.
        label = FINE_GRAINED_LABELS[bisect.bisect_left(self.edges, value)]
        probabilities = self.probabilities(value)
        expected_stars = sum(stars * p for stars, p in enumerate(probabilities, start=1))
        return FineGrained(
            label=label,
            stars=STARS_BY_FINE_GRAINED_LABEL[label],
            score=expected_stars,
            probabilities=dict(zip(FINE_GRAINED_LABELS, probabilities)),
        )

    def probabilities(self, value: float) -> list[float]:
        """exp(-distance to each bin / softness), normalized; the bin holding `value` has distance 0."""
        bounds = (-math.inf, *self.edges, math.inf)
        weights = [
            math.exp(-max(low - value, 0.0, value - high) / self.softness)
            for low, high in zip(bounds, bounds[1:])
        ]
        total = sum(weights)
        return [weight / total for weight in weights]


def best_edges(scores: Sequence[float], classes: Sequence[int]) -> tuple[list[float], float]:
    """The four edges that maximize accuracy of bin index == class (0..4) and that accuracy.

    Constraint: the neutral bin holds the score 0, so a text without any sentiment word is neutral
    (without it, accuracy alone may leave the neutral bin empty). Exact: dynamic programming over
    the distinct scores in order (each class takes a contiguous, possibly empty, run of them);
    edges sit midway between neighbouring distinct scores.
    """
    if not scores or len(scores) != len(classes):
        raise ValueError("best_edges needs as many classes as scores, at least one")
    distinct = sorted(set(scores) | {NEUTRAL_SCORE})
    index = {value: i for i, value in enumerate(distinct)}
    neutral_group = index[NEUTRAL_SCORE]
    groups = len(distinct)
    counts = [[0] * groups for _ in range(_CLASS_COUNT)]
    for value, cls in zip(scores, classes):
        counts[cls][index[value]] += 1
    # prefix[k][g]: examples of class k among the first g distinct scores.
    prefix = [[0] * (groups + 1) for _ in range(_CLASS_COUNT)]
    for k in range(_CLASS_COUNT):
        for g in range(groups):
            prefix[k][g + 1] = prefix[k][g] + counts[k][g]
    # best[k][g]: most correct with the first g distinct scores split among classes 0..k;
    # cut[k][g]: where class k's run starts in that solution.
    best: list[list[float]] = [[float(count) for count in prefix[0]]]
    cut: list[list[int]] = [[0] * (groups + 1)]
    for k in range(1, _CLASS_COUNT):
        row, row_cut = [-math.inf] * (groups + 1), [0] * (groups + 1)
        top, top_at = -math.inf, 0
        for g in range(groups + 1):
            if not (k == _NEUTRAL_CLASS and g > neutral_group):  # neutral must start at or before 0
                candidate = best[k - 1][g] - prefix[k][g]
                if candidate > top:
                    top, top_at = candidate, g
            if k == _NEUTRAL_CLASS and g <= neutral_group:  # ... and end after it
                continue
            row[g], row_cut[g] = top + prefix[k][g], top_at
        best.append(row)
        cut.append(row_cut)
    boundaries = []
    g = groups
    for k in range(_CLASS_COUNT - 1, 0, -1):
        g = cut[k][g]
        boundaries.append(g)
    boundaries.reverse()
    edges = [_edge_at(distinct, boundary) for boundary in boundaries]
    return edges, best[-1][groups] / len(scores)


def _edge_at(distinct: Sequence[float], boundary: int) -> float:
    """An edge between distinct[boundary - 1] and distinct[boundary]; beyond the score range
    [-1, 1] when a bin at either end is empty."""
    if boundary <= 0:
        return -_BEYOND_SCORES
    if boundary >= len(distinct):
        return _BEYOND_SCORES
    return round((distinct[boundary - 1] + distinct[boundary]) / 2, 6)


def _read_labeled(path: Path) -> Iterable[tuple[str, int]]:
    """(text, class 0..4) per JSONL line; labels are 1..5 stars or fine-grained label names."""
    names = {label.replace("_", " "): i for i, label in enumerate(FINE_GRAINED_LABELS)}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ResourceError(f"cannot read {path}: {error.strerror or error}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label = row["label"]
            cls = names[label.replace("_", " ")] if isinstance(label, str) else int(label) - 1
            if not 0 <= cls < _CLASS_COUNT:
                raise ValueError(f"label {label!r} is not 1..5")
            yield row["text"], cls
        except (ValueError, KeyError, TypeError) as error:
            raise ResourceError(f"{path}, line {number}: expected {{'text', 'label' (1..5)}}: {error}") from None


def fit_bins(data_path: Path, out_path: Path, lexicons_dir: Path | None = None) -> dict:
    """Score SST-5-style data with the lexicon polarity, pick the accuracy-maximizing edges and save
    them (with the train accuracy, data file and command) to `out_path`. Returns what was saved."""
    data_path, out_path = Path(data_path), Path(out_path)
    folder = find_lexicons_dir(lexicons_dir)
    scorer = PolarityScorer(load_lexicon(folder))
    scores, classes = [], []
    for text, cls in _read_labeled(data_path):
        scores.append(round(scorer.score(text, tokenize(text)).polarity.score, 6))
        classes.append(cls)
    edges, accuracy = best_edges(scores, classes)
    result = {
        "edges": edges,
        "labels": list(FINE_GRAINED_LABELS),
        "softness": BIN_SOFTNESS,
        "metric": FIT_METRIC,
        "train_accuracy": round(accuracy, 4),
        "train_examples": len(scores),
        "data": data_path.name if data_path.parent.name == "" else f"{data_path.parent.name}/{data_path.name}",
        "command": FIT_COMMAND,
    }
    out_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fit the lexicon's fine-grained bin edges on SST-5 train.")
    parser.add_argument("--data", type=Path, required=True, help="JSONL with text and label (1..5)")
    parser.add_argument("--out", type=Path, default=None, help=f"default: <lexicons>/{BINS_FILE}")
    parser.add_argument("--lexicons-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or find_lexicons_dir(args.lexicons_dir) / BINS_FILE
    result = fit_bins(args.data, out, args.lexicons_dir)
    print(f"edges {result['edges']}  train accuracy {result['train_accuracy']}  -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
