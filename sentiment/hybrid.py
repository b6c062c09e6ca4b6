"""The hybrid analyzer: a stacked, calibrated combination of the lexicon and the neural analyzers.

For each mode, a small linear model (a "stacker") takes its sources' output distributions as
features and predicts the mode's labels. The sources are the lexicon analyzer plus the neural MLP
("neural"), the neural RNN ("neural-rnn") or both: `fit_stacker` compares those sets out of fold
on a dev split and keeps the best (a slower set must earn its cost). The reported dev metrics of
the hybrid are out-of-fold, never in-sample, and the stacker is saved as plain JSON numbers (no
pickle) in models/hybrid/<mode>/stacker.json, with the names of its sources.

The hybrid only combines the analyzers' public results, so it works with any analyzers that serve
a mode.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .base import Analyzer, BaseAnalyzer, without_explanations, without_sentences
from .errors import ResourceError
from .resources import models_dir as find_models_dir, read_json_file
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

# Version 2 names the sources; version 1 files (lexicon + neural MLP) still load.
STACKER_FORMAT_VERSION = 2
READABLE_STACKER_VERSIONS = (1, 2)
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
# The analyzers a stacker can combine, by the name its file records.
LEXICON_SOURCE, MLP_SOURCE, RNN_SOURCE = "lexicon", "neural", "neural-rnn"
DEFAULT_SOURCES = (LEXICON_SOURCE, MLP_SOURCE)
# Source sets compared when fitting, cheapest first (the RNN costs several times the MLP).
CANDIDATE_SOURCE_SETS = (
    (LEXICON_SOURCE, MLP_SOURCE),
    (LEXICON_SOURCE, RNN_SOURCE),
    (LEXICON_SOURCE, MLP_SOURCE, RNN_SOURCE),
)
# A slower source set is kept only if it beats the best cheaper one by this much out of fold:
# smaller differences are within cross-validation noise on a few thousand dev texts.
MIN_GAIN_FOR_SLOWER_SOURCES = 0.005


@dataclass(frozen=True)
class SourceOutput:
    """One source's numbers for a batch in one mode: its distribution over the mode's labels (in
    LABELS_BY_MODE order) and one signed summary score per text."""

    probabilities: np.ndarray  # (texts, labels)
    scores: np.ndarray  # (texts,)

    @classmethod
    def of_analyses(cls, mode: Mode, analyses: Sequence[Analysis]) -> "SourceOutput":
        if mode is Mode.POLARITY:
            return cls.of_polarities([analysis.polarity for analysis in analyses])
        labels = LABELS_BY_MODE[mode]
        rows, scores = [], []
        for analysis in analyses:
            if mode is Mode.FINE_GRAINED:
                values, score = analysis.fine_grained.probabilities, _centred_stars(analysis.fine_grained.score)
            elif mode is Mode.EMOTION:
                values, score = analysis.emotion.scores, 0.0
            else:
                values, score = analysis.intent.scores, analysis.intent.confidence
            rows.append([float(values.get(label, 0.0)) for label in labels])
            scores.append(float(score))
        return cls(np.asarray(rows, dtype=np.float64).reshape(-1, len(labels)), np.asarray(scores, dtype=np.float64))

    @classmethod
    def of_polarities(cls, polarities: Sequence[Polarity]) -> "SourceOutput":
        """From polarity results: their distributions and signed scores."""
        rows = [[polarity.probabilities.get(label, 0.0) for label in POLARITY_LABELS] for polarity in polarities]
        scores = [polarity.score for polarity in polarities]
        return cls(np.asarray(rows, dtype=np.float64).reshape(-1, len(POLARITY_LABELS)), np.asarray(scores, dtype=np.float64))

    @classmethod
    def of_distributions(cls, mode: Mode, probabilities: np.ndarray, values: np.ndarray) -> "SourceOutput":
        """From a neural analyzer's `distributions()`: the same numbers its results carry."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if mode is Mode.POLARITY:
            positive, negative = (POLARITY_LABELS.index(label) for label in ("positive", "negative"))
            scores = probabilities[:, positive] - probabilities[:, negative]
        elif mode is Mode.FINE_GRAINED:
            scores = _centred_stars(np.asarray(values, dtype=np.float64))
        elif mode is Mode.EMOTION:
            scores = np.zeros(len(probabilities))
        else:
            scores = probabilities.max(axis=1)
        return cls(probabilities, scores)


def _centred_stars(stars: Any) -> Any:
    """Expected stars 1..5 as a score in [-1, 1]."""
    return (stars - 3.0) / 2.0


def stack_features(outputs: Sequence[SourceOutput]) -> np.ndarray:
    """Features per text: each source's log-probabilities and summary score, in source order."""
    return np.hstack(
        [
            column
            for output in outputs
            for column in (np.log(np.maximum(output.probabilities, PROBABILITY_FLOOR)), output.scores[:, None])
        ]
    )


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
    sources: tuple[str, ...] = DEFAULT_SOURCES

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        # Products summed per row (a reduction along each row on its own) rather than a matrix
        # product, which may round a batch's rows differently from a single row: analyze_batch
        # must equal analyze text by text, bit for bit.
        logits = (features[:, None, :] * self.coef).sum(axis=2) + self.intercept
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
            "sources": list(self.sources),
            "features": "per source, in order: log(max(p, 1e-4)) per label, then a summary score",
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
        payload = read_json_file(path, "hybrid stacker")
        if payload.get("format_version") not in READABLE_STACKER_VERSIONS:
            raise ResourceError(
                f"{path}: format_version {payload.get('format_version')!r}, expected one of {READABLE_STACKER_VERSIONS}"
            )
        try:
            mode = Mode(payload["mode"])
            labels = tuple(payload["labels"])
            sources = tuple(payload.get("sources", DEFAULT_SOURCES))
            if not _valid_sources(sources):
                raise ValueError(
                    f"sources {list(sources)}: expected {LEXICON_SOURCE!r} then {MLP_SOURCE!r} and/or {RNN_SOURCE!r}"
                )
            coef = np.asarray(payload["coef"], dtype=np.float64)
            intercept = np.asarray(payload["intercept"], dtype=np.float64)
            expected_width = len(sources) * (len(LABELS_BY_MODE[mode]) + 1)
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
                sources=sources,
            )
        except (KeyError, ValueError, TypeError) as error:
            raise ResourceError(f"hybrid stacker corrupted: {path}: {error}") from None


class HybridAnalyzer(BaseAnalyzer):
    """Lexicon + neural, combined per mode by a stacker fitted on dev (aspects: by the aspect
    combiner of sentiment.aspects); serves the modes for which a fitted combiner is shipped.

    `lexicon`, `neural` (MLP) and `rnn` may be given as built analyzers (any analyzers serving the
    modes); otherwise the ones the stackers name are built from the shipped models. Stackers are
    read from `models_dir`/hybrid/<mode>/. `explain`: attach a polarity explanation merged from the
    sources' token weights; without it the neural sources are asked for their numbers only
    (`distributions()`, where they offer it), which is several times faster. `sentences`: score
    each sentence of a multi-sentence text on its own too (the `sentences` field; otherwise None).
    Where no explanation or sentences are read from the lexicon's results (the sentences' own
    polarities; polarity alone without explanations or sentences), the lexicon is asked for its
    polarities only (`polarities()`, where it offers it).
    """

    name = "hybrid"
    modes = frozenset(HYBRID_MODES)

    def __init__(
        self,
        lexicon: Analyzer | None = None,
        neural: Analyzer | None = None,
        models_dir: str | os.PathLike[str] | None = None,
        lexicon_files: Sequence[str | os.PathLike[str]] = (),
        rnn: Analyzer | None = None,
        explain: bool = True,
        sentences: bool = True,
    ) -> None:
        self.explain = explain
        self.sentences = sentences
        folder = find_models_dir(models_dir)
        stacker_files = {mode: folder / "hybrid" / mode.value for mode in HYBRID_MODES}
        found = {mode: Stacker.load(d) for mode, d in stacker_files.items() if (d / STACKER_FILE).is_file()}
        if lexicon is None:
            from .lexicon.analyzer import LexiconAnalyzer

            lexicon = LexiconAnalyzer(lexicon_files=lexicon_files)
        if neural is None:
            from .neural.analyzer import NeuralAnalyzer

            neural = NeuralAnalyzer(models_dir=folder)
        if rnn is None and any(RNN_SOURCE in s.sources for s in found.values()):
            from .neural.analyzer import NeuralAnalyzer

            rnn = NeuralAnalyzer(models_dir=folder, arch="rnn", aspects=False)  # aspects come from `neural`
        parts: dict[str, Analyzer] = {LEXICON_SOURCE: lexicon, MLP_SOURCE: neural}
        if rnn is not None:
            parts[RNN_SOURCE] = rnn
        self._parts = parts
        # Neural explanations are only used to explain polarity; every other call (the other modes,
        # the per-sentence polarities) goes to a view of the same models that skips them.
        self._unexplained = {name: without_explanations(part) for name, part in parts.items()}
        self._stackers = {
            mode: stacker
            for mode, stacker in found.items()
            if all(name in parts and mode in parts[name].modes for name in stacker.sources)
        }
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
        if not self._stackers and self._aspects is None:
            raise ResourceError(f"no hybrid stackers under {folder / 'hybrid'}; fit them with `sentiment fit-hybrid`")
        self.modes = frozenset(self._stackers) | ({Mode.ASPECT} if self._aspects else set())  # type: ignore[misc]

    @property
    def stackers(self) -> dict[Mode, Stacker]:
        return dict(self._stackers)

    def without_explanations(self) -> "HybridAnalyzer":
        """The same loaded parts (shared, not copied), answering without explanations."""
        return self._view(explain=False)

    def without_sentences(self) -> "HybridAnalyzer":
        """The same loaded parts (shared, not copied), answering polarity without scoring each
        sentence of a multi-sentence text on its own (`sentences` is then None)."""
        return self._view(sentences=False)

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        stacked = tuple(mode for mode in modes if mode in self._stackers)
        fields: list[dict[str, Any]] = [{} for _ in texts]
        if stacked:
            explained = self.explain and Mode.POLARITY in stacked
            explanations: dict[str, list[tuple[TokenWeight, ...]]] = {}
            if stacked == (Mode.POLARITY,) and not explained and not self.sentences:
                # the numbers alone: no sentences or explanation are read from the lexicon's results
                outputs = {(LEXICON_SOURCE, Mode.POLARITY): self._lexicon_polarity(texts)}
                lexicon = None
            else:
                lexicon = self._parts[LEXICON_SOURCE].analyze_batch(texts, stacked)  # every stacker has it
                outputs = {(LEXICON_SOURCE, mode): SourceOutput.of_analyses(mode, lexicon) for mode in stacked}
                explanations[LEXICON_SOURCE] = [a.explanation or () for a in lexicon]
            for name in self._neural_sources(stacked):
                source_modes = tuple(mode for mode in stacked if name in self._stackers[mode].sources)
                if explained and Mode.POLARITY in source_modes:
                    analyses = without_sentences(self._parts[name]).analyze_batch(texts, source_modes)  # the hybrid scores sentences itself
                    outputs.update({(name, mode): SourceOutput.of_analyses(mode, analyses) for mode in source_modes})
                    explanations[name] = [a.explanation or () for a in analyses]
                else:
                    outputs.update(self._numbers(name, texts, source_modes))
            fields = self._combine(stacked, outputs, len(texts))
            if Mode.POLARITY in stacked and self.sentences:
                self._add_sentences(lexicon, fields)
            if explained:
                sources = [explanations[name] for name in self._stackers[Mode.POLARITY].sources]
                for row, *merged in zip(fields, *sources):
                    row["explanation"] = merge_explanations(*merged)
        if Mode.ASPECT in modes:
            for row, aspects in zip(fields, self._aspects.score_batch(texts)):
                row["aspects"] = aspects
        return [Analysis(text=text, analyzer=self.name, **row) for text, row in zip(texts, fields)]

    def _neural_sources(self, modes: Sequence[Mode]) -> list[str]:
        """The non-lexicon sources that the stackers of `modes` combine, in a fixed order."""
        return [name for name in self._parts if name != LEXICON_SOURCE and any(name in self._stackers[m].sources for m in modes)]

    def _numbers(self, name: str, texts: Sequence[str], modes: Sequence[Mode]) -> dict[tuple[str, Mode], SourceOutput]:
        """A source's outputs for `modes` in one call, from its `distributions()` fast path where it
        has one."""
        part = self._unexplained[name]
        distributions = getattr(part, "distributions", None)
        if distributions is None:
            analyses = part.analyze_batch(list(texts), tuple(modes))
            return {(name, mode): SourceOutput.of_analyses(mode, analyses) for mode in modes}
        return {
            (name, mode): SourceOutput.of_distributions(mode, numbers.probabilities, numbers.values)
            for mode, numbers in distributions(texts, modes).items()
        }

    def _lexicon_polarity(self, texts: Sequence[str]) -> SourceOutput:
        """The lexicon's polarity numbers, from its `polarities()` fast path where it has one."""
        lexicon = self._parts[LEXICON_SOURCE]
        polarities = getattr(lexicon, "polarities", None)
        if polarities is None:
            return SourceOutput.of_analyses(Mode.POLARITY, lexicon.analyze_batch(list(texts), (Mode.POLARITY,)))
        return SourceOutput.of_polarities(polarities(texts))

    def _combine(self, modes: Sequence[Mode], outputs: dict[tuple[str, Mode], SourceOutput], count: int) -> list[dict]:
        fields: list[dict[str, Any]] = [{} for _ in range(count)]
        for mode in modes:
            stacker = self._stackers[mode]
            features = stack_features([outputs[(name, mode)] for name in stacker.sources])
            for row, result in zip(fields, _results(stacker, stacker.probabilities(features))):
                row[mode.value] = result
        return fields

    def _add_sentences(self, lexicon: list[Analysis], fields: list[dict[str, Any]]) -> None:
        """Per-sentence hybrid polarity, the sentences of all texts scored in one batch (a
        one-sentence text reuses its document polarity)."""
        sentence_texts: list[str] = []
        for lex, row in zip(lexicon, fields):
            spans = lex.sentences or ()
            if len(spans) > 1:
                sentence_texts.extend(s.text for s in spans)
            else:
                row["sentences"] = tuple(SentenceSentiment(s.text, s.start, s.end, row["polarity"]) for s in spans)
        if not sentence_texts:
            return
        polarity = Mode.POLARITY
        outputs = {(LEXICON_SOURCE, polarity): self._lexicon_polarity(sentence_texts)}
        for name in self._neural_sources((polarity,)):
            outputs.update(self._numbers(name, sentence_texts, (polarity,)))
        sentence_polarities = iter(row["polarity"] for row in self._combine((polarity,), outputs, len(sentence_texts)))
        for lex, row in zip(lexicon, fields):
            if "sentences" not in row:
                row["sentences"] = tuple(
                    SentenceSentiment(s.text, s.start, s.end, next(sentence_polarities)) for s in lex.sentences
                )


def _valid_sources(sources: Sequence[str]) -> bool:
    """The lexicon first, then one or both neural families, each once."""
    neural = tuple(sources[1:])
    return (
        tuple(sources[:1]) == (LEXICON_SOURCE,)
        and bool(neural)
        and len(set(neural)) == len(neural)
        and set(neural) <= {MLP_SOURCE, RNN_SOURCE}
    )


def _results(stacker: Stacker, probabilities: np.ndarray) -> list[Any]:
    """The stacker's mode result of each row of `probabilities`."""
    labels = stacker.labels
    distributions = [dict(zip(labels, row)) for row in probabilities.tolist()]
    best = probabilities.argmax(axis=1).tolist()
    if stacker.mode is Mode.POLARITY:
        return [Polarity.owning(labels[b], d["positive"] - d["negative"], d) for b, d in zip(best, distributions)]
    if stacker.mode is Mode.FINE_GRAINED:
        stars = np.arange(1, len(labels) + 1, dtype=probabilities.dtype)
        expected = (probabilities * stars).sum(axis=1).tolist()  # per row, as in `probabilities`
        return [FineGrained.owning(labels[b], b + 1, e, d) for b, e, d in zip(best, expected, distributions)]
    if stacker.mode is Mode.EMOTION:
        rules = [(label, threshold) for label, threshold in zip(labels, stacker.thresholds) if label != "neutral"]
        return [
            Emotion.owning(tuple(label for label, threshold in rules if d[label] >= threshold) or ("neutral",), d)
            for d in distributions
        ]
    return [Intent.owning(labels[b], d[labels[b]], d) for b, d in zip(best, distributions)]


def merge_explanations(*explanations: Sequence[TokenWeight]) -> tuple[TokenWeight, ...]:
    """One explanation from several sources: each scaled to max |weight| 1, summed per span, averaged."""
    merged: dict[tuple[int, int], list[Any]] = {}
    for source in explanations:
        peak = max((abs(t.weight) for t in source), default=0.0)
        if peak == 0.0:
            continue
        for token in source:
            entry = merged.setdefault((token.start, token.end), [token.token, 0.0])
            entry[1] += token.weight / peak / len(explanations)
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


def _cross_validate(mode: Mode, features: np.ndarray, targets: np.ndarray) -> tuple[float, float, tuple[float, ...]]:
    """The best (out-of-fold metric, regularization strength, thresholds) over REGULARIZATION_GRID."""
    best: tuple[float, float, tuple[float, ...]] | None = None
    for c in REGULARIZATION_GRID:
        scores = _out_of_fold(features, targets, mode, c)
        thresholds = _best_thresholds(scores, targets) if mode is Mode.EMOTION else ()
        value = _metric(mode, targets, _predict(mode, scores, thresholds))
        if best is None or value > best[0]:
            best = (value, c, thresholds)
    assert best is not None
    return best


def fit_stacker(
    mode: Mode,
    texts: Sequence[str],
    labels: Sequence[Any],
    lexicon: Analyzer,
    neural: Analyzer,
    data_description: str = "",
    rnn: Analyzer | None = None,
) -> Stacker:
    """Fit the stacker for `mode` on labeled dev data; metrics are out-of-fold on that data.

    `labels` are label names (a list of names per text for emotion). With an `rnn` analyzer that
    serves the mode, each set of CANDIDATE_SOURCE_SETS is cross-validated and the best kept, a
    slower set only if it gains MIN_GAIN_FOR_SLOWER_SOURCES over the best cheaper one. The returned
    stacker's `metrics` compare the hybrid (cross-validated) with each source on the same texts.
    """
    mode = Mode(mode)
    if mode not in HYBRID_MODES:
        raise ValueError(f"the hybrid serves {', '.join(m.value for m in HYBRID_MODES)}, not {mode.value}")
    parts = {LEXICON_SOURCE: lexicon, MLP_SOURCE: neural}
    if rnn is not None and mode in rnn.modes:
        parts[RNN_SOURCE] = rnn
    results = {name: part.analyze_batch(list(texts), [mode]) for name, part in parts.items()}
    targets = _targets(mode, labels)
    multi_label = mode is Mode.EMOTION

    candidates: dict[tuple[str, ...], tuple[np.ndarray, tuple[float, float, tuple[float, ...]]]] = {}
    chosen: tuple[str, ...] | None = None
    for sources in CANDIDATE_SOURCE_SETS:
        if not set(sources) <= set(parts):
            continue
        features = stack_features([SourceOutput.of_analyses(mode, results[name]) for name in sources])
        candidates[sources] = (features, _cross_validate(mode, features, targets))
        if chosen is None or candidates[sources][1][0] >= candidates[chosen][1][0] + MIN_GAIN_FOR_SLOWER_SOURCES:
            chosen = sources
    assert chosen is not None
    features, (value, c, thresholds) = candidates[chosen]
    coef, intercept = _fit_linear(features, targets, multi_label, c, len(LABELS_BY_MODE[mode]))
    metrics = {
        "data": data_description,
        "examples": len(texts),
        "metric": "macro_f1" if multi_label else "accuracy",
        "hybrid_cross_validated": value,
        **{name: _metric(mode, targets, _decide(mode, results[name])) for name in parts},
        "candidates": {"+".join(sources): found[1][0] for sources, found in candidates.items()},
        "regularization_c": c,
        "folds": CROSS_VALIDATION_FOLDS,
    }
    return Stacker(mode, LABELS_BY_MODE[mode], multi_label, coef, intercept, thresholds, metrics, chosen)


def fit_from_config(
    config_path: str | os.PathLike[str],
    data_root: str | os.PathLike[str] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> Stacker:
    """Fit and save the stacker for the mode of a neural training config, on that config's dev split.

    The dev split is exactly the one the neural model was selected on (same sources, same seed), so
    neither the neural models nor the stacker ever see test data. The shipped RNN joins the
    candidate sources where one serves the mode. Saved to `out_dir` (default
    `<models_dir>/hybrid/<mode>`).
    """
    from .lexicon.analyzer import LexiconAnalyzer
    from .neural.analyzer import NeuralAnalyzer
    from .neural.experiment import load_data, read_config

    config = read_config(config_path)
    mode = Mode(config["mode"])
    seed = int(config.get("train", {}).get("seed", 0))
    _, dev = load_data(config, data_root, seed)
    folder = find_models_dir(models_dir)
    try:
        rnn: Analyzer | None = NeuralAnalyzer(models_dir=folder, arch="rnn", aspects=False).without_explanations()
    except ResourceError:  # no RNN models shipped: the MLP sets only
        rnn = None
    stacker = fit_stacker(
        mode,
        dev.texts,
        dev.labels,
        LexiconAnalyzer(),
        NeuralAnalyzer(models_dir=folder).without_explanations(),
        data_description=f"dev split of {Path(config_path).name}: {dev.source}",
        rnn=rnn,
    )
    stacker.save(Path(out_dir) if out_dir is not None else folder / "hybrid" / mode.value)
    return stacker
