"""The hybrid analyzer: a stacked, calibrated combination of the lexicon and the neural analyzer.

For each mode, a small linear model (a "stacker") takes both analyzers' output distributions as
features and predicts the mode's labels. It is fitted on a dev split with cross-validation
(`fit_stacker`), so the reported dev metrics of the hybrid are out-of-fold, never in-sample, and it
is saved as plain JSON numbers (no pickle) in models/hybrid/<mode>/stacker.json.

The hybrid only combines the two analyzers' public results, so it works with any pair of analyzers
that serve a mode.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .base import Analyzer, BaseAnalyzer
from .errors import ResourceError
from .resources import models_dir as find_models_dir
from .types import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    INTENT_LABELS,
    POLARITY_LABELS,
    Analysis,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    SentenceSentiment,
    TokenWeight,
)

STACKER_FORMAT_VERSION = 1
STACKER_FILE = "stacker.json"
# Modes combined by a stacker; the aspect mode is combined by sentiment.aspects' own combiner.
HYBRID_MODES = (Mode.POLARITY, Mode.FINE_GRAINED, Mode.EMOTION, Mode.INTENT)
LABELS_BY_MODE = {
    Mode.POLARITY: POLARITY_LABELS,
    Mode.FINE_GRAINED: FINE_GRAINED_LABELS,
    Mode.EMOTION: EMOTION_LABELS,
    Mode.INTENT: INTENT_LABELS,
}
# Probabilities are floored before the log so that a confident 0 from one analyzer is a strong
# but finite feature (log(1e-4) ≈ -9.2) rather than -inf.
PROBABILITY_FLOOR = 1e-4
# Candidate inverse regularization strengths tried by cross-validation when fitting a stacker.
REGULARIZATION_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CROSS_VALIDATION_FOLDS = 5
# Multi-label decision thresholds are searched on this grid (out-of-fold scores) per label.
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 19))
# Each source's explanation weights are scaled to a maximum magnitude of 1 before they are merged.
EXPLANATION_SOURCES = ("lexicon", "neural")


def _distribution(analysis: Analysis, mode: Mode) -> tuple[list[float], float]:
    """The analysis' distribution over the mode's labels, plus one signed summary score."""
    labels = LABELS_BY_MODE[mode]
    if mode is Mode.POLARITY:
        values, score = analysis.polarity.probabilities, analysis.polarity.score
    elif mode is Mode.FINE_GRAINED:
        values, score = analysis.fine_grained.probabilities, (analysis.fine_grained.score - 3.0) / 2.0
    elif mode is Mode.EMOTION:
        values, score = analysis.emotion.scores, 0.0
    else:
        values, score = analysis.intent.scores, analysis.intent.confidence
    return [float(values.get(label, 0.0)) for label in labels], float(score)


def stack_features(mode: Mode, lexicon: Analysis, neural: Analysis) -> np.ndarray:
    """Features for one text: log-probabilities of both analyzers and their summary scores."""
    row: list[float] = []
    for analysis in (lexicon, neural):
        probabilities, score = _distribution(analysis, mode)
        row.extend(math.log(max(p, PROBABILITY_FLOOR)) for p in probabilities)
        row.append(score)
    return np.asarray(row, dtype=np.float64)


@dataclass(frozen=True)
class Stacker:
    """A fitted linear combiner: softmax over labels (single-label) or per-label sigmoid (multi-label)."""

    mode: Mode
    labels: tuple[str, ...]
    multi_label: bool
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray  # (labels,)
    thresholds: tuple[float, ...] = ()
    metrics: dict[str, Any] | None = None

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        # Row by row: a batched matrix product may round differently from a single row's, and
        # analyze_batch must equal analyze text by text, bit for bit.
        logits = np.stack([self.coef @ row for row in features]) + self.intercept
        if self.multi_label:
            return 1.0 / (1.0 + np.exp(-logits))
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / STACKER_FILE
        payload = {
            "format_version": STACKER_FORMAT_VERSION,
            "architecture": "hybrid-stacker.v1",
            "mode": self.mode.value,
            "labels": list(self.labels),
            "multi_label": self.multi_label,
            "features": "per source (lexicon, neural): log(max(p, 1e-4)) per label, then a summary score",
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "thresholds": list(self.thresholds),
            "metrics": self.metrics or {},
        }
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path) -> "Stacker":
        path = folder / STACKER_FILE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ResourceError(f"hybrid stacker missing: {path}") from None
        except (OSError, ValueError) as error:
            raise ResourceError(f"hybrid stacker unreadable: {path}: {error}") from None
        if payload.get("format_version") != STACKER_FORMAT_VERSION:
            raise ResourceError(
                f"{path}: format_version {payload.get('format_version')!r}, expected {STACKER_FORMAT_VERSION}"
            )
        try:
            mode = Mode(payload["mode"])
            labels = tuple(payload["labels"])
            coef = np.asarray(payload["coef"], dtype=np.float64)
            intercept = np.asarray(payload["intercept"], dtype=np.float64)
            expected_width = 2 * (len(LABELS_BY_MODE[mode]) + 1)
            if labels != LABELS_BY_MODE[mode] or coef.shape != (len(labels), expected_width):
                raise ValueError(f"shape {coef.shape} / labels {labels} do not fit mode {mode.value}")
            return cls(
                mode=mode,
                labels=labels,
                multi_label=bool(payload["multi_label"]),
                coef=coef,
                intercept=intercept,
                thresholds=tuple(float(t) for t in payload.get("thresholds", ())),
                metrics=payload.get("metrics") or {},
            )
        except (KeyError, ValueError, TypeError) as error:
            raise ResourceError(f"hybrid stacker corrupted: {path}: {error}") from None


class HybridAnalyzer(BaseAnalyzer):
    """Lexicon + neural, combined per mode by a stacker fitted on dev (aspects: by the aspect
    combiner of sentiment.aspects); serves the modes for which a fitted combiner is shipped.

    `lexicon` and `neural` may be given as built analyzers (any analyzers serving the modes);
    otherwise the shipped ones are built. Stackers are read from `models_dir`/hybrid/<mode>/.
    """

    name = "hybrid"
    modes = frozenset(HYBRID_MODES)

    def __init__(
        self,
        lexicon: Analyzer | None = None,
        neural: Analyzer | None = None,
        models_dir: str | os.PathLike[str] | None = None,
        lexicon_files: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        folder = find_models_dir(models_dir)
        if lexicon is None:
            from .lexicon.analyzer import LexiconAnalyzer

            lexicon = LexiconAnalyzer(lexicon_files=lexicon_files)
        if neural is None:
            from .neural.analyzer import NeuralAnalyzer

            neural = NeuralAnalyzer(models_dir=folder)
        self._lexicon, self._neural = lexicon, neural
        # Neural explanations are only used to explain polarity; every other call (the other modes,
        # the per-sentence polarities) goes to a view of the same models that skips them.
        without_explanations = getattr(neural, "without_explanations", None)
        self._neural_unexplained = without_explanations() if without_explanations else neural
        stackers = {}
        for mode in HYBRID_MODES:
            stacker_dir = folder / "hybrid" / mode.value
            if mode in lexicon.modes and mode in neural.modes and (stacker_dir / STACKER_FILE).is_file():
                stackers[mode] = Stacker.load(stacker_dir)
        self._stackers = stackers
        self._aspects = None
        if Mode.ASPECT in lexicon.modes:
            from .aspects.analyzer import HYBRID_ASPECT_DIR, AspectCombiner, HybridAspectScorer, load_lexicon_scorer

            neural_aspects = getattr(neural, "aspects", None)  # reuse the neural analyzer's loaded models
            if neural_aspects is not None and HybridAspectScorer.available(folder):
                self._aspects = HybridAspectScorer(
                    neural_aspects,
                    getattr(lexicon, "aspect_scorer", None) or load_lexicon_scorer(),
                    AspectCombiner.load(folder / HYBRID_ASPECT_DIR),
                )
        if not stackers and self._aspects is None:
            raise ResourceError(f"no hybrid stackers under {folder / 'hybrid'}; fit them with `sentiment fit-hybrid`")
        self.modes = frozenset(stackers) | ({Mode.ASPECT} if self._aspects else set())  # type: ignore[misc]

    @property
    def stackers(self) -> dict[Mode, Stacker]:
        return dict(self._stackers)

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        stacked = tuple(mode for mode in modes if mode in self._stackers)
        fields: list[dict[str, Any]] = [{} for _ in texts]
        if stacked:
            lexicon = self._lexicon.analyze_batch(texts, stacked)
            explained = Mode.POLARITY in stacked
            neural = (self._neural if explained else self._neural_unexplained).analyze_batch(texts, stacked)
            fields = self._combine(stacked, lexicon, neural)
            if Mode.POLARITY in stacked:
                self._add_polarity_details(lexicon, neural, fields)
        if Mode.ASPECT in modes:
            for row, aspects in zip(fields, self._aspects.score_batch(texts)):
                row["aspects"] = aspects
        return [Analysis(text=text, analyzer=self.name, **row) for text, row in zip(texts, fields)]

    def _combine(self, modes: Sequence[Mode], lexicon: list[Analysis], neural: list[Analysis]) -> list[dict]:
        fields: list[dict[str, Any]] = [{} for _ in lexicon]
        for mode in modes:
            stacker = self._stackers[mode]
            features = np.stack([stack_features(mode, lex, neu) for lex, neu in zip(lexicon, neural)])
            for row, probabilities in zip(fields, stacker.probabilities(features)):
                row.update(_result_fields(stacker, probabilities))
        return fields

    def _add_polarity_details(
        self, lexicon: list[Analysis], neural: list[Analysis], fields: list[dict[str, Any]]
    ) -> None:
        """A merged explanation and per-sentence hybrid polarity (all sentences scored in one batch)."""
        sentence_texts: list[str] = []
        for lex, neu, row in zip(lexicon, neural, fields):
            row["explanation"] = merge_explanations(lex.explanation or (), neu.explanation or ())
            spans = lex.sentences or ()
            if len(spans) > 1:
                sentence_texts.extend(s.text for s in spans)
            else:
                row["sentences"] = tuple(SentenceSentiment(s.text, s.start, s.end, row["polarity"]) for s in spans)
        if not sentence_texts:
            return
        polarity_only = (Mode.POLARITY,)
        scored = self._combine(
            polarity_only,
            self._lexicon.analyze_batch(sentence_texts, polarity_only),
            self._neural_unexplained.analyze_batch(sentence_texts, polarity_only),
        )
        sentence_polarities = iter(row["polarity"] for row in scored)
        for lex, row in zip(lexicon, fields):
            if "sentences" not in row:
                row["sentences"] = tuple(
                    SentenceSentiment(s.text, s.start, s.end, next(sentence_polarities)) for s in lex.sentences
                )


def _result_fields(stacker: Stacker, probabilities: np.ndarray) -> dict[str, Any]:
    labels = stacker.labels
    distribution = {label: float(p) for label, p in zip(labels, probabilities)}
    best = int(np.argmax(probabilities))
    if stacker.mode is Mode.POLARITY:
        score = distribution["positive"] - distribution["negative"]
        return {"polarity": Polarity(labels[best], score, distribution)}
    if stacker.mode is Mode.FINE_GRAINED:
        expected = float(sum(stars * p for stars, p in enumerate(probabilities, start=1)))
        return {"fine_grained": FineGrained(labels[best], best + 1, expected, distribution)}
    if stacker.mode is Mode.EMOTION:
        fired = [
            label
            for label, p, threshold in zip(labels, probabilities, stacker.thresholds)
            if label != "neutral" and p >= threshold
        ]
        return {"emotion": Emotion(tuple(fired) or ("neutral",), distribution)}
    return {"intent": Intent(labels[best], float(probabilities[best]), distribution)}


def merge_explanations(
    lexicon: Sequence[TokenWeight], neural: Sequence[TokenWeight]
) -> tuple[TokenWeight, ...]:
    """One explanation from both sources: each scaled to max |weight| 1, summed per span, averaged."""
    merged: dict[tuple[int, int], list[Any]] = {}
    for source in (lexicon, neural):
        peak = max((abs(t.weight) for t in source), default=0.0)
        if peak == 0.0:
            continue
        for token in source:
            entry = merged.setdefault((token.start, token.end), [token.token, 0.0])
            entry[1] += token.weight / peak / len(EXPLANATION_SOURCES)
    return tuple(
        TokenWeight(token, start, end, weight)
        for (start, end), (token, weight) in sorted(merged.items())
        if weight != 0.0
    )


# --- fitting --------------------------------------------------------------------------------------


def _metric(mode: Mode, gold: np.ndarray, predicted: np.ndarray) -> float:
    """Accuracy for single-label modes; for emotion, macro-F1 over the emotions (not neutral) that the
    gold labels contain."""
    if mode is Mode.EMOTION:
        from sklearn.metrics import f1_score

        emotions = [i for i, label in enumerate(EMOTION_LABELS) if label != "neutral" and gold[:, i].any()]
        return float(f1_score(gold[:, emotions], predicted[:, emotions], average="macro", zero_division=0))
    return float(np.mean(gold == predicted))


def _targets(mode: Mode, labels: Sequence[Any]) -> np.ndarray:
    names = LABELS_BY_MODE[mode]
    if mode is Mode.EMOTION:
        return np.asarray([[1 if name in set(row) else 0 for name in names] for row in labels])
    return np.asarray([names.index(label) for label in labels])


def _decide(mode: Mode, analyses: Sequence[Analysis]) -> np.ndarray:
    """A single analyzer's own decisions, in the same encoding as `_targets`."""
    if mode is Mode.EMOTION:
        return np.asarray([[1 if n in a.emotion.labels else 0 for n in EMOTION_LABELS] for a in analyses])
    attribute = {Mode.POLARITY: "polarity", Mode.FINE_GRAINED: "fine_grained", Mode.INTENT: "intent"}[mode]
    return np.asarray([LABELS_BY_MODE[mode].index(getattr(a, attribute).label) for a in analyses])


def _fit_linear(features: np.ndarray, targets: np.ndarray, multi_label: bool, c: float, n_labels: int):
    from sklearn.linear_model import LogisticRegression

    if not multi_label:
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(features, targets)
        coef = np.zeros((n_labels, features.shape[1]))
        intercept = np.full(n_labels, -30.0)  # a class never seen in the fold is never predicted
        if len(model.classes_) == 2:  # sklearn's binary case keeps one row: expand to two logits
            coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
            coef[model.classes_[0]], intercept[model.classes_[0]] = 0.0, 0.0
        else:
            coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
        return coef, intercept
    coef = np.zeros((n_labels, features.shape[1]))
    intercept = np.zeros(n_labels)
    for j in range(n_labels):
        column = targets[:, j]
        if column.min() == column.max():
            intercept[j] = 30.0 if column[0] else -30.0
            continue
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(features, column)
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
    return coef, intercept


def _out_of_fold(features: np.ndarray, targets: np.ndarray, mode: Mode, c: float) -> np.ndarray:
    from sklearn.model_selection import KFold, StratifiedKFold

    n_labels = len(LABELS_BY_MODE[mode])
    multi_label = mode is Mode.EMOTION
    splitter = (
        KFold(CROSS_VALIDATION_FOLDS, shuffle=True, random_state=0)
        if multi_label or np.bincount(targets).min() < CROSS_VALIDATION_FOLDS
        else StratifiedKFold(CROSS_VALIDATION_FOLDS, shuffle=True, random_state=0)
    )
    scores = np.zeros((len(features), n_labels))
    for train, held_out in splitter.split(features, targets if not multi_label else None):
        coef, intercept = _fit_linear(features[train], targets[train], multi_label, c, n_labels)
        stacker = Stacker(mode, LABELS_BY_MODE[mode], multi_label, coef, intercept)
        scores[held_out] = stacker.probabilities(features[held_out])
    return scores


def _best_thresholds(scores: np.ndarray, targets: np.ndarray) -> tuple[float, ...]:
    from sklearn.metrics import f1_score

    thresholds = []
    for j in range(scores.shape[1]):
        best = max(THRESHOLD_GRID, key=lambda t: f1_score(targets[:, j], scores[:, j] >= t, zero_division=0))
        thresholds.append(float(best))
    return tuple(thresholds)


def _predict(mode: Mode, scores: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    if mode is Mode.EMOTION:
        predicted = (scores >= np.asarray(thresholds)).astype(int)
        neutral = EMOTION_LABELS.index("neutral")
        predicted[:, neutral] = (np.delete(predicted, neutral, axis=1).sum(axis=1) == 0).astype(int)
        return predicted
    return scores.argmax(axis=1)


def fit_stacker(
    mode: Mode,
    texts: Sequence[str],
    labels: Sequence[Any],
    lexicon: Analyzer,
    neural: Analyzer,
    data_description: str = "",
) -> Stacker:
    """Fit the stacker for `mode` on labeled dev data; metrics are out-of-fold on that data.

    `labels` are label names (a list of names per text for emotion). The returned stacker's
    `metrics` compare hybrid (cross-validated), lexicon and neural on the same texts.
    """
    mode = Mode(mode)
    if mode not in HYBRID_MODES:
        raise ValueError(f"the hybrid serves {', '.join(m.value for m in HYBRID_MODES)}, not {mode.value}")
    lex = lexicon.analyze_batch(list(texts), [mode])
    neu = neural.analyze_batch(list(texts), [mode])
    features = np.stack([stack_features(mode, a, b) for a, b in zip(lex, neu)])
    targets = _targets(mode, labels)
    multi_label = mode is Mode.EMOTION

    best: tuple[float, float, tuple[float, ...]] | None = None
    for c in REGULARIZATION_GRID:
        scores = _out_of_fold(features, targets, mode, c)
        thresholds = _best_thresholds(scores, targets) if multi_label else ()
        value = _metric(mode, targets, _predict(mode, scores, thresholds))
        if best is None or value > best[0]:
            best = (value, c, thresholds)
    assert best is not None
    value, c, thresholds = best
    coef, intercept = _fit_linear(features, targets, multi_label, c, len(LABELS_BY_MODE[mode]))
    metric_name = "macro_f1" if multi_label else "accuracy"
    metrics = {
        "data": data_description,
        "examples": len(texts),
        "metric": metric_name,
        "hybrid_cross_validated": value,
        "lexicon": _metric(mode, targets, _decide(mode, lex)),
        "neural": _metric(mode, targets, _decide(mode, neu)),
        "regularization_c": c,
        "folds": CROSS_VALIDATION_FOLDS,
    }
    return Stacker(mode, LABELS_BY_MODE[mode], multi_label, coef, intercept, thresholds, metrics)


def fit_from_config(
    config_path: str | os.PathLike[str],
    data_root: str | os.PathLike[str] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> Stacker:
    """Fit and save the stacker for the mode of a neural training config, on that config's dev split.

    The dev split is exactly the one the neural model was selected on (same sources, same seed), so
    neither the neural model nor the stacker ever sees test data. Saved to
    `out_dir` (default `<models_dir>/hybrid/<mode>`).
    """
    from .lexicon.analyzer import LexiconAnalyzer
    from .neural.analyzer import NeuralAnalyzer
    from .neural.experiment import load_data, read_config

    config = read_config(config_path)
    mode = Mode(config["mode"])
    seed = int(config.get("train", {}).get("seed", 0))
    _, dev = load_data(config, data_root, seed)
    folder = find_models_dir(models_dir)
    stacker = fit_stacker(
        mode,
        dev.texts,
        dev.labels,
        LexiconAnalyzer(),
        NeuralAnalyzer(models_dir=folder),
        data_description=f"dev split of {Path(config_path).name}: {dev.source}",
    )
    stacker.save(Path(out_dir) if out_dir is not None else folder / "hybrid" / mode.value)
    return stacker
