"""The `neural` analyzer: trained models (models/neural/<mode>/) behind the common interface.

Each mode it serves has its own model directory, loaded explicitly when the analyzer is built.
Inference is batched under torch.inference_mode with a deliberate torch thread count. The
explanation is leave-one-out: a token's weight is how much the result moves when that token is
removed (exact for any architecture, and cheap for the MLP, whose variants run as one batch).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Mapping, Sequence

import torch

from ..base import BaseAnalyzer, parse_modes
from ..errors import ResourceError
from ..resources import models_dir as find_models_dir
from ..text import Token, split_sentences, tokenize
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

PathLike = str | os.PathLike[str]
SERVABLE_MODES = frozenset(MODE_LABELS)
# One thread per process: the shipped models are small, and a service runs several worker
# processes; more threads then only contend. Pass `threads=` to change it (None leaves torch alone).
DEFAULT_THREADS = 1
DEFAULT_BATCH_SIZE = 256
# Token weights smaller than this are noise and are left out of the explanation.
MIN_EXPLANATION_WEIGHT = 1e-3
# Where each shipped model family lives under models/neural/.
ARCH_FOLDERS = {"mlp": "", "rnn": "rnn"}
# Order in which a mode is picked to explain when several are asked for.
EXPLAINED_MODE_ORDER = (Mode.POLARITY, Mode.FINE_GRAINED, Mode.EMOTION, Mode.INTENT)


class NeuralAnalyzer(BaseAnalyzer):
    """Trained MLP/RNN models, one per mode.

    `arch`: which shipped family to load: "mlp" (`neural/<mode>/`, fast) or "rnn"
    (`neural/rnn/<mode>/`, more accurate, slower; polarity and fine-grained);
    `models_dir`: a folder holding those model directories instead of the shipped ones;
    `model_dirs`: explicit model directories per mode (e.g. your own `sentiment train` output),
    which then are the only modes served; `explain`: attach token attributions (attribution.py);
    `threads`: torch threads for this process (None leaves torch's setting alone).
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
    ) -> None:
        if threads is not None:
            torch.set_num_threads(threads)
        self.batch_size = batch_size
        self.explain = explain
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
        if not model_dirs:
            from ..aspects.analyzer import NeuralAspectScorer

            if NeuralAspectScorer.available(models_dir):
                self.aspects = NeuralAspectScorer.load(models_dir)
        # the modes with a model, not every servable one
        self.modes = frozenset(self.models) | ({Mode.ASPECT} if self.aspects else set())

    def without_explanations(self) -> "NeuralAnalyzer":
        """The same loaded models (shared, not copied), answering without token attributions,
        which cost several times the prediction itself."""
        quiet = copy.copy(self)
        quiet.explain = False
        return quiet

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        tokens = [tokenize(text) for text in texts]
        fields: list[dict[str, object]] = [{} for _ in texts]
        predictions: dict[Mode, Prediction] = {}
        classified = tuple(mode for mode in modes if mode is not Mode.ASPECT)
        for mode in classified:
            classifier = self.models[mode]
            prediction = self._predict(classifier, [self._token_strings(classifier, t) for t in tokens])
            predictions[mode] = prediction
            for row, result in enumerate(self._results(mode, classifier, prediction)):
                fields[row][mode.value] = result
        if Mode.POLARITY in modes:
            for row, sentences in enumerate(self._sentences(texts, tokens, predictions[Mode.POLARITY])):
                fields[row]["sentences"] = sentences
        if Mode.ASPECT in modes:
            for row, aspects in enumerate(self.aspects.score_batch(texts)):
                fields[row]["aspects"] = aspects
        explained = next((m for m in EXPLAINED_MODE_ORDER if m in classified), None)
        if self.explain and explained is not None:
            for row, explanation in enumerate(self._explanations(explained, tokens, predictions[explained])):
                fields[row]["explanation"] = explanation
        return [Analysis(text=text, analyzer=self.name, **f) for text, f in zip(texts, fields)]

    # --- prediction ---------------------------------------------------------------------------

    @staticmethod
    def _token_strings(classifier: TextClassifier, tokens: Sequence[Token]) -> list[str]:
        return [t.lower if classifier.featurizer.config.lowercase else t.text for t in tokens]

    def _predict(self, classifier: TextClassifier, token_lists: Sequence[Sequence[str]]) -> Prediction:
        encoded = [classifier.encode_tokens(tokens) for tokens in token_lists]
        return classifier.predict_encoded(encoded, self.batch_size)

    def _results(self, mode: Mode, classifier: TextClassifier, prediction: Prediction) -> list[object]:
        labels = classifier.labels
        results: list[object] = []
        chosen = classifier.decide(prediction.probabilities) if mode is Mode.EMOTION else None
        for row, probabilities in enumerate(prediction.probabilities):
            scores = {label: float(p) for label, p in zip(labels, probabilities)}
            ordered = {label: scores[label] for label in MODE_LABELS[mode]}
            top = max(ordered, key=ordered.__getitem__)
            if mode is Mode.POLARITY:
                results.append(Polarity(top, ordered["positive"] - ordered["negative"], ordered))
            elif mode is Mode.FINE_GRAINED:
                stars = FINE_GRAINED_LABELS.index(top) + 1
                results.append(FineGrained(top, stars, float(prediction.values[row]), ordered))
            elif mode is Mode.EMOTION:
                results.append(Emotion(tuple(l for l in EMOTION_LABELS if l in chosen[row]), ordered))  # type: ignore[index]
            else:
                results.append(Intent(top, ordered[top], ordered))
        return results

    def _sentences(
        self, texts: Sequence[str], tokens: Sequence[Sequence[Token]], document: Prediction
    ) -> list[tuple[SentenceSentiment, ...]]:
        """Per-sentence polarity from the text's own tokens; a one-sentence text reuses the
        document prediction."""
        classifier = self.models[Mode.POLARITY]
        spans = [split_sentences(text) for text in texts]
        keys, token_lists = [], []
        for row, row_spans in enumerate(spans):
            if len(row_spans) < 2:
                continue
            for span in row_spans:
                inside = [t for t in tokens[row] if span.start <= t.start and t.end <= span.end]
                keys.append((row, span.start))
                token_lists.append(self._token_strings(classifier, inside))
        per_span: dict[tuple[int, int], object] = {}
        if token_lists:
            results = self._results(Mode.POLARITY, classifier, self._predict(classifier, token_lists))
            per_span = dict(zip(keys, results))
        whole = self._results(Mode.POLARITY, classifier, document)
        return [
            tuple(
                SentenceSentiment(span.text, span.start, span.end, per_span.get((row, span.start), whole[row]))  # type: ignore[arg-type]
                for span in row_spans
            )
            for row, row_spans in enumerate(spans)
        ]

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

    def _explanations(self, mode: Mode, tokens: Sequence[Sequence[Token]], prediction: Prediction) -> list[tuple[TokenWeight, ...]]:
        classifier = self.models[mode]
        token_lists = [self._token_strings(classifier, t) for t in tokens]
        weights = attributions(classifier, token_lists, self._value_function(mode, classifier, prediction))
        return [
            tuple(
                TokenWeight(token.text, token.start, token.end, round(float(weight), 6))
                for token, weight in zip(row_tokens, row_weights)
                if abs(weight) >= MIN_EXPLANATION_WEIGHT
            )
            for row_tokens, row_weights in zip(tokens, weights)
        ]
