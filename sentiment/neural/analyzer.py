"""The `neural` analyzer: trained models (models/neural/<mode>/) behind the common interface.

Each mode it serves has its own model directory, loaded explicitly when the analyzer is built.
Inference is batched (whole batches as arrays, inference.py) under torch.inference_mode with a
deliberate torch thread count. The explanation (attribution.py) is leave-one-out for the MLP (a
token's weight is how much the result moves when that token is removed) and gradient x input for
the RNN.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from ..base import BaseAnalyzer, ModesArg, check_texts, parse_modes
from ..errors import ResourceError
from ..resources import models_dir as find_models_dir
from ..text import Span, split_sentences
from ..types import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    Analysis,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    SentenceSentiment,
    TokenWeight,
)
from .attribution import ValueFunction, attributions
from .checkpoint import CONFIG_FILE, load_model
from .evaluate import MODE_LABELS
from .model import Prediction, TextClassifier
from .tokens import TextTokens, TokenBatch

PathLike = str | os.PathLike[str]
SERVABLE_MODES = frozenset(MODE_LABELS)
# One thread per process: the shipped models are small, and a service runs several worker
# processes; more threads then only contend. Pass `threads=` to change it (None leaves torch alone).
DEFAULT_THREADS = 1
# Texts per inference pass (a pass also stops at model.INFERENCE_BATCH_TOKENS tokens): a batch's
# documents and their sentences go through in one pass, which amortizes its fixed costs.
DEFAULT_BATCH_SIZE = 1024
# Token weights smaller than this are noise and are left out of the explanation; the others are
# given to this many decimals.
MIN_EXPLANATION_WEIGHT = 1e-3
EXPLANATION_DIGITS = 6
# `rounded`: scaled values this close to a rounding tie, or this large (where the scaling error nears
# 1e-7 of a unit), are rounded by `round`.
NEAR_TIE = 1e-6
LARGEST_SCALED = 1e9
# Where each shipped model family lives under models/neural/.
ARCH_FOLDERS = {"mlp": "", "rnn": "rnn"}
# Order in which a mode is picked to explain when several are asked for.
EXPLAINED_MODE_ORDER = (Mode.POLARITY, Mode.FINE_GRAINED, Mode.EMOTION, Mode.INTENT)


class NeuralAnalyzer(BaseAnalyzer):
    """Trained MLP/RNN models, one per mode.

    `arch`: which shipped family to load: "mlp" (`neural/<mode>/`, fast) or "rnn"
    (`neural/rnn/<mode>/`, more accurate, slower);
    `models_dir`: a folder holding those model directories instead of the shipped ones;
    `model_dirs`: explicit model directories per mode (e.g. your own `sentiment train` output),
    which then are the only modes served; `explain`: attach token attributions (attribution.py);
    `aspects`: also load the shipped aspect models (the aspect mode), when shipped; `threads`: torch threads for this process (None leaves torch's setting alone);
    `sentences`: also score each sentence of a multi-sentence text on its own (polarity's `sentences` field; otherwise None).
    """

    name = "neural"
    modes = SERVABLE_MODES | {Mode.ASPECT}  # aspect through sentiment.aspects' shipped models

    def __init__(
        self,
        models_dir: PathLike | None = None,
        model_dirs: Mapping[Mode | str, PathLike] | None = None,
        arch: str = "mlp",
        threads: int | None = DEFAULT_THREADS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        explain: bool = True,
        aspects: bool = True,
        sentences: bool = True,
    ) -> None:
        if threads is not None:
            torch.set_num_threads(threads)
        self.batch_size = batch_size
        self.explain = explain
        self.sentences = sentences
        if model_dirs:
            folders = {parse_modes(mode, SERVABLE_MODES, self.name)[0]: Path(p) for mode, p in model_dirs.items()}
        else:
            if arch not in ARCH_FOLDERS:
                raise ValueError(f"unknown arch {arch!r}; valid: {', '.join(ARCH_FOLDERS)}")
            root = find_models_dir(models_dir) / "neural" / ARCH_FOLDERS[arch]
            folders = {mode: root / mode.value for mode in MODE_LABELS if (root / mode.value / CONFIG_FILE).is_file()}
            if not folders:
                raise ResourceError(f"no neural models found under {root} (expected {root}/<mode>/{CONFIG_FILE})")
        self.models: dict[Mode, TextClassifier] = {}
        for mode, folder in folders.items():
            classifier = load_model(folder)
            if set(classifier.labels) != set(MODE_LABELS[mode]):
                raise ResourceError(
                    f"model {folder} has labels {list(classifier.labels)}; mode {mode.value} needs {list(MODE_LABELS[mode])}"
                )
            self.models[mode] = classifier.batch_invariant()  # analyze_batch == [analyze(t) ...], exactly
        self.model_dirs = folders
        # The trained aspect tagger + target-polarity network (sentiment.aspects), when shipped.
        self.aspects = None
        if aspects and not model_dirs:
            from ..aspects.analyzer import NeuralAspectScorer

            if NeuralAspectScorer.available(models_dir):
                self.aspects = NeuralAspectScorer.load(models_dir)
        # the modes with a model, not every servable one
        self.modes = frozenset(self.models) | ({Mode.ASPECT} if self.aspects else set())

    def without_explanations(self) -> "NeuralAnalyzer":
        """The same loaded models (shared, not copied), answering without token attributions,
        which cost several times the prediction itself."""
        return self._view(explain=False)

    def without_sentences(self) -> "NeuralAnalyzer":
        """The same loaded models (shared, not copied), answering polarity without scoring each
        sentence of a multi-sentence text on its own (`sentences` is then None)."""
        return self._view(sentences=False)

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        fields: list[dict[str, object]] = [{} for _ in texts]
        classified = tuple(mode for mode in modes if mode is not Mode.ASPECT)
        tokens = _BatchTokens(texts)
        predictions: dict[Mode, Prediction] = {}
        for mode in classified:
            predictions[mode], columns = self._classify(mode, tokens)
            for name, values in columns.items():
                for row, value in zip(fields, values):
                    row[name] = value
        if Mode.ASPECT in modes:
            for row, aspects in zip(fields, self.aspects.score_batch(texts)):
                row["aspects"] = aspects
        explained = next((m for m in EXPLAINED_MODE_ORDER if m in classified), None) if self.explain else None
        if explained is not None:
            classifier = self.models[explained]
            explanations = self._explanations(explained, classifier.token_batch(tokens.of(classifier)), predictions[explained])
            for row, explanation in zip(fields, explanations):
                row["explanation"] = explanation
        return [Analysis(text=text, analyzer=self.name, **f) for text, f in zip(texts, fields)]

    def _classify(self, mode: Mode, tokens: "_BatchTokens") -> tuple[Prediction, dict[str, Sequence[object]]]:
        """The texts' prediction in `mode`, and their result fields: the mode's, and for polarity
        the sentences' (those of texts with several go through the same pass)."""
        classifier = self.models[mode]
        text_tokens = tokens.of(classifier)
        if mode is not Mode.POLARITY or not self.sentences:
            prediction = classifier.predict_batch(classifier.token_batch(text_tokens), self.batch_size)
            return prediction, {mode.value: self._results(mode, classifier, prediction)}
        sentences = [split_sentences(text) for text in tokens.texts]
        batch = classifier.token_batch(text_tokens, *_sentence_runs(text_tokens, sentences))
        prediction = classifier.predict_batch(batch, self.batch_size)
        results = self._results(mode, classifier, prediction)
        texts = slice(len(sentences))
        return prediction.rows(texts), {mode.value: results[texts], "sentences": _sentence_results(sentences, results)}

    def distributions(self, texts: Sequence[str], modes: ModesArg) -> dict[Mode, Prediction]:
        """Per mode, the numbers `analyze_batch` reports, without building results: probabilities
        with one column per label of the mode, in its label order (`evaluate.MODE_LABELS`), and
        values (fine-grained: the expected stars, its `score`). The texts are tokenized once."""
        chosen = parse_modes(modes, frozenset(self.models), self.name)
        tokens = _BatchTokens(check_texts(texts))
        numbers = {}
        for mode in chosen:
            classifier = self.models[mode]
            prediction = classifier.predict_batch(classifier.token_batch(tokens.of(classifier)), self.batch_size)
            numbers[mode] = Prediction(prediction.probabilities[:, _label_columns(mode, classifier)], prediction.values)
        return numbers

    # --- results ------------------------------------------------------------------------------

    @staticmethod
    def _results(mode: Mode, classifier: TextClassifier, prediction: Prediction) -> list[object]:
        """One result per text; ties go to the first label in the mode's label order."""
        names = MODE_LABELS[mode]
        probabilities = prediction.probabilities[:, _label_columns(mode, classifier)]
        rows = [dict(zip(names, row)) for row in probabilities.tolist()]
        tops = probabilities.argmax(1).tolist()
        if mode is Mode.POLARITY:
            scores = (probabilities[:, names.index("positive")] - probabilities[:, names.index("negative")]).tolist()
            return [Polarity.owning(names[top], score, row) for top, score, row in zip(tops, scores, rows)]
        if mode is Mode.FINE_GRAINED:
            values = prediction.values.tolist()
            return [FineGrained.owning(names[top], top + 1, value, row) for top, value, row in zip(tops, values, rows)]
        if mode is Mode.EMOTION:
            chosen = classifier.decide(prediction.probabilities)
            return [Emotion.owning(tuple(label for label in names if label in labels), row) for labels, row in zip(chosen, rows)]
        return [Intent.owning(names[top], row[names[top]], row) for top, row in zip(tops, rows)]

    # --- explanation --------------------------------------------------------------------------

    def _value_function(self, mode: Mode, classifier: TextClassifier, prediction: Prediction) -> ValueFunction:
        """What an explanation accounts for: the polarity score, the centred stars, or the
        probability of the predicted label (emotion, intent)."""
        index = {label: i for i, label in enumerate(classifier.labels)}
        if mode is Mode.POLARITY:
            return lambda outputs, rows: outputs[:, index["positive"]] - outputs[:, index["negative"]]
        if mode is Mode.FINE_GRAINED:
            middle = (len(FINE_GRAINED_LABELS) + 1) / 2
            if classifier.task == "regression":
                return lambda outputs, rows: (outputs[:, 0].clamp(1, len(FINE_GRAINED_LABELS)) - middle) / (middle - 1)
            positions = torch.tensor(
                [FINE_GRAINED_LABELS.index(label) + 1.0 for label in classifier.labels], dtype=torch.float64
            )
            return lambda outputs, rows: (outputs.to(positions.dtype) @ positions - middle) / (middle - 1)
        top = torch.from_numpy(prediction.probabilities.argmax(1))
        return lambda outputs, rows: outputs[torch.arange(len(rows)), top[rows]]

    def _explanations(self, mode: Mode, batch: TokenBatch, prediction: Prediction) -> list[tuple[TokenWeight, ...]]:
        classifier = self.models[mode]
        weights = attributions(classifier, batch, self._value_function(mode, classifier, prediction))
        flat = np.concatenate(weights) if weights else np.zeros(0)
        kept = np.flatnonzero(np.abs(flat) >= MIN_EXPLANATION_WEIGHT)
        tokens, rows = batch.tokens, batch.rows[kept]
        starts, ends = tokens.starts[batch.index[kept]].tolist(), tokens.ends[batch.index[kept]].tolist()
        texts = tokens.texts
        explained = [
            TokenWeight(texts[row][start:end], start, end, weight)
            for row, start, end, weight in zip(rows.tolist(), starts, ends, rounded(flat[kept], EXPLANATION_DIGITS).tolist())
        ]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(batch)))]).tolist()
        return [tuple(explained[low:high]) for low, high in zip(bounds[:-1], bounds[1:])]


def rounded(values: np.ndarray, digits: int) -> np.ndarray:
    """`round(value, digits)` of each value (Python's: the decimal rounding of its exact value), with
    array operations: scaling by 10**digits is off by far less than NEAR_TIE, so rounding the scaled
    value gives the same decimal wherever it is not that near a tie (the others go through `round`),
    and dividing it back gives the float nearest that decimal, as `round` does."""
    scale = 10.0**digits
    scaled = values * scale
    result = np.rint(scaled) / scale
    uncertain = (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < NEAR_TIE) | ~(np.abs(scaled) < LARGEST_SCALED)
    for i in np.flatnonzero(uncertain).tolist():
        result[i] = round(float(values[i]), digits)
    return result


def _sentence_runs(tokens: TextTokens, sentences: Sequence[Sequence[Span]]) -> tuple[np.ndarray, np.ndarray]:
    """The token runs to predict for polarity: each text's, then each sentence's of the texts with
    several (a text of one sentence, most, reuses the document's prediction)."""
    rows, starts, ends = [], [], []
    for row, spans in enumerate(sentences):
        if len(spans) > 1:
            rows += [row] * len(spans)
            starts += [span.start for span in spans]
            ends += [span.end for span in spans]
    first, end = tokens.runs(np.array(rows, dtype=np.int64), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))
    return np.concatenate([tokens.first, first]), np.concatenate([tokens.first + tokens.counts, end])


def _sentence_results(sentences: Sequence[Sequence[Span]], results: Sequence[object]) -> list[tuple[SentenceSentiment, ...]]:
    """Per-sentence polarity: `results` holds the documents' and then `_sentence_runs`' results."""
    per_sentence = iter(results[len(sentences) :])
    return [
        (SentenceSentiment(spans[0].text, spans[0].start, spans[0].end, whole),)  # type: ignore[arg-type]
        if len(spans) == 1
        else tuple(SentenceSentiment(s.text, s.start, s.end, next(per_sentence)) for s in spans)  # type: ignore[arg-type]
        for spans, whole in zip(sentences, results)
    ]


def _lowercase(classifier: TextClassifier) -> bool:
    return classifier.featurizer.config.lowercase


def _label_columns(mode: Mode, classifier: TextClassifier) -> list[int]:
    """The classifier's output column of each label of the mode, in the mode's label order."""
    return [classifier.labels.index(label) for label in MODE_LABELS[mode]]


class _BatchTokens:
    """A batch's tokens per letter case, each computed once."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._tokens: dict[bool, TextTokens] = {}

    def of(self, classifier: TextClassifier) -> TextTokens:
        lowercase = _lowercase(classifier)
        if lowercase not in self._tokens:
            self._tokens[lowercase] = TextTokens.of(self.texts, lowercase)
        return self._tokens[lowercase]
