"""The aspect capabilities the `neural` and `hybrid` analyzers serve Mode.ASPECT with.

- `NeuralAspectScorer`: the tagger finds the terms of each sentence, the target-dependent network
  gives each its polarity; the category comes from the aspect lexicon (the whole term, else its
  head word, else "other"); the evidence is the most attended opinion words.
- `HybridAspectScorer`: the tagger's terms plus lexicon terms the tagger half-believes; each
  term's polarity from a linear combiner (models/hybrid/aspect/combiner.json) over the network's
  probabilities and the lexicon's clause score.

Both take whole texts: each is cut into sentences (`sentiment.text.split_sentences`), every
sentence of a batch is tagged in one batched call and every term scored in another, under
torch.inference_mode. Offsets point into the text as given.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch

from ..errors import ResourceError
from ..lexicon.aspect import ASPECT_TERMS_FILE, COPULAS, DETERMINERS, PREPOSITIONS, PRONOUNS, AspectLexicon
from ..resources import lexicons_dir as find_lexicons_dir
from ..resources import models_dir as find_models_dir
from ..resources import read_json_file
from ..text import Token, split_sentences, tokenize
from ..types import POLARITY_LABELS, AspectSentiment
from .tagger import AspectTagger, decode, term_probability
from .target_polarity import TargetPolarityModel, TargetPrediction
from .data import term_span

if TYPE_CHECKING:
    from ..lexicon.aspect import AspectScorer

NEURAL_ASPECT_DIR = Path("neural") / "aspect"
TAGGER_DIR, POLARITY_DIR = "tagger", "polarity"
HYBRID_ASPECT_DIR = Path("hybrid") / "aspect"
COMBINER_FILE = "combiner.json"
COMBINER_FORMAT_VERSION = 1
COMBINER_ARCH = "aspect-combiner.v1"
# Evidence: attended words outside the term, at most this many, each with at least this share of
# the largest attention weight among them.
MAX_EVIDENCE_WORDS = 2
EVIDENCE_SHARE_OF_MAX = 0.5
NEGATORS = frozenset({"not", "no", "never", "nothing", "hardly", "without", "nor"})
NEGATION_SUFFIXES = ("n't", "n’t")
# Words that carry no opinion even when the network attends to them (negations are kept apart:
# they join the word they negate).
FUNCTION_WORDS = (DETERMINERS | PREPOSITIONS | PRONOUNS | COPULAS | frozenset({"and", "or", "but", "so", "very", "too", "also", "just", "really"})) - NEGATORS
# log() of a probability is floored here so a confident 0 is a strong but finite combiner feature.
PROBABILITY_FLOOR = 1e-4
# Other aspects in the same sentence beyond this many do not change how crowded it counts as.
CROWDED_OTHER_TERMS = 3


@dataclass(frozen=True)
class _Sentence:
    """A sentence of one input text: the text's index and the sentence's tokens (text offsets)."""

    text_index: int
    tokens: tuple[Token, ...]

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]


def _sentences(texts: Sequence[str]) -> list[_Sentence]:
    found = []
    for index, text in enumerate(texts):
        tokens = tokenize(text)
        position = 0
        for sentence in split_sentences(text):
            inside = []
            while position < len(tokens) and tokens[position].start < sentence.end:
                if tokens[position].start >= sentence.start:
                    inside.append(tokens[position])
                position += 1
            if inside:
                found.append(_Sentence(index, tuple(inside)))
    return found


def _is_negator(word: str) -> bool:
    lower = word.lower()
    return lower in NEGATORS or lower.endswith(NEGATION_SUFFIXES)


def attention_evidence(text: str, tokens: Sequence[Token], first: int, last: int, attention: np.ndarray) -> tuple[str, ...]:
    """The most attended opinion words outside tokens [first, last], in text order; a negator
    right before one is kept with it ("not worth")."""
    candidates = [
        i for i, token in enumerate(tokens)
        if not first <= i <= last
        and any(ch.isalpha() for ch in token.text)  # not numbers ("5 stars")
        and not _is_negator(token.text)
        and token.text.lower() not in FUNCTION_WORDS
    ]
    if not candidates:
        return ()
    ranked = sorted(candidates, key=lambda i: -attention[i])[:MAX_EVIDENCE_WORDS]
    top = attention[ranked[0]]
    chosen = sorted(i for i in ranked if attention[i] >= EVIDENCE_SHARE_OF_MAX * top)
    phrases = []
    for i in chosen:
        start = i - 1 if i > 0 and _is_negator(tokens[i - 1].text) and not first <= i - 1 <= last else i
        phrases.append(text[tokens[start].start : tokens[i].end])
    return tuple(phrases)


class NeuralAspectScorer:
    """Tagger + target polarity network (+ the aspect lexicon, for categories only)."""

    def __init__(self, tagger: AspectTagger, polarity: TargetPolarityModel, terms: AspectLexicon) -> None:
        self.tagger = tagger
        self.polarity = polarity
        self.terms = terms

    @staticmethod
    def available(models_dir: str | os.PathLike[str] | None = None) -> bool:
        """Whether the shipped (or given) models folder holds both aspect models."""
        try:
            folder = find_models_dir(models_dir) / NEURAL_ASPECT_DIR
        except ResourceError:
            return False
        return all((folder / name / "model.safetensors").is_file() for name in (TAGGER_DIR, POLARITY_DIR))

    @classmethod
    def load(
        cls,
        models_dir: str | os.PathLike[str] | None = None,
        lexicons_dir: str | os.PathLike[str] | None = None,
        num_threads: int | None = None,
    ) -> "NeuralAspectScorer":
        """Load <models>/neural/aspect/{tagger,polarity}, computing in float64 so that a text gets
        the same result alone or in any batch. `num_threads` sets torch's intra-op threads (None
        leaves the process setting alone: the caller owns it)."""
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        folder = find_models_dir(models_dir) / NEURAL_ASPECT_DIR
        return cls(
            AspectTagger.load(folder / TAGGER_DIR).batch_invariant(),
            TargetPolarityModel.load(folder / POLARITY_DIR).batch_invariant(),
            AspectLexicon.load(find_lexicons_dir(lexicons_dir) / ASPECT_TERMS_FILE),
        )

    def category(self, tokens: Sequence[Token], first: int, last: int) -> str:
        words = [t.text.lower().replace("’", "'") for t in tokens[first : last + 1]]
        if words and words[-1].endswith("'s") and len(words[-1]) > 2:
            words[-1] = words[-1][:-2]
        return self.terms.category_of(words)

    def find_terms(self, texts: Sequence[str]) -> tuple[list[_Sentence], list[list[tuple[int, int, float]]], list[torch.Tensor]]:
        """Sentences, the tagger's terms of each as (first, last, confidence), and its tag probabilities."""
        sentences = _sentences(texts)
        probabilities = self.tagger.tag_probabilities([s.words for s in sentences])
        terms = [[(t.first, t.last, t.confidence) for t in decode(p, s.words)] for p, s in zip(probabilities, sentences)]
        return sentences, terms, probabilities

    def predict_targets(self, sentences: Sequence[_Sentence], targets: Sequence[tuple[int, int, int]]) -> list[TargetPrediction]:
        """Polarity predictions for (sentence index, first, last) targets, in one batched pass."""
        return self.polarity.predict([(sentences[s].words, first, last) for s, first, last in targets])

    def aspect(self, text: str, sentence: _Sentence, first: int, last: int, prediction: TargetPrediction) -> AspectSentiment:
        start, end = term_span(sentence.tokens, first, last)
        label = prediction.label
        evidence = () if label == "neutral" else attention_evidence(text, sentence.tokens, first, last, prediction.attention)
        return AspectSentiment(
            term=text[start:end],
            start=start,
            end=end,
            category=self.category(sentence.tokens, first, last),
            polarity=label,
            score=round(prediction.score, 4),
            evidence=evidence,
        )

    def score_batch(self, texts: Sequence[str]) -> list[tuple[AspectSentiment, ...]]:
        """The aspects of each text, in text order."""
        sentences, terms, _ = self.find_terms(texts)
        targets = [(s, first, last) for s, found in enumerate(terms) for first, last, _ in found]
        predictions = self.predict_targets(sentences, targets)
        results: list[list[AspectSentiment]] = [[] for _ in texts]
        for (s, first, last), prediction in zip(targets, predictions):
            sentence = sentences[s]
            results[sentence.text_index].append(self.aspect(texts[sentence.text_index], sentence, first, last, prediction))
        return [tuple(found) for found in results]

    def score(self, text: str) -> tuple[AspectSentiment, ...]:
        return self.score_batch([text])[0]

    def score_terms_batch(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[AspectSentiment, ...]]:
        """Score given character spans (for example gold terms) instead of finding them, in span order."""
        sentences = _sentences(texts)
        located = _locate_spans(sentences, spans)
        targets = [target for _, _, _, target in located if target is not None]
        predictions = iter(self.predict_targets(sentences, targets))
        results: list[list[AspectSentiment]] = [[] for _ in texts]
        for index, start, end, target in located:
            if target is None:
                continue
            found = self.aspect(texts[index], sentences[target[0]], target[1], target[2], next(predictions))
            results[index].append(_with_span(found, texts[index], start, end))
        return [tuple(found) for found in results]


def _locate_spans(
    sentences: Sequence[_Sentence], spans: Sequence[Sequence[tuple[int, int]]]
) -> list[tuple[int, int, int, tuple[int, int, int] | None]]:
    """(text index, start, end, target or None) for every given span of every text, in order."""
    by_text: dict[int, list[int]] = {}
    for s, sentence in enumerate(sentences):
        by_text.setdefault(sentence.text_index, []).append(s)
    return [
        (index, start, end, _locate(sentences, by_text.get(index, []), start, end))
        for index, text_spans in enumerate(spans)
        for start, end in text_spans
    ]


def _locate(sentences: Sequence[_Sentence], candidates: Sequence[int], start: int, end: int) -> tuple[int, int, int] | None:
    """(sentence index, first, last) of the tokens overlapping [start, end), within one sentence."""
    for s in candidates:
        inside = [i for i, t in enumerate(sentences[s].tokens) if t.start < end and start < t.end]
        if inside:
            return s, inside[0], inside[-1]
    return None


def _with_span(aspect: AspectSentiment, text: str, start: int, end: int) -> AspectSentiment:
    return AspectSentiment(text[start:end], start, end, aspect.category, aspect.polarity, aspect.score, aspect.evidence)


# hybrid --------------------------------------------------------------------------------------


def combiner_features(neural: np.ndarray, lexicon_score: float, other_terms: int = 0) -> np.ndarray:
    """One term's combiner features: the network's log-probabilities, the lexicon's clause score,
    whether the lexicon found a positive / negative opinion at all, how crowded the sentence is
    with other aspects (0..1) and that times the lexicon score (the clause rules are less sure
    when several aspects share a sentence)."""
    logs = [math.log(max(float(p), PROBABILITY_FLOOR)) for p in neural]
    crowded = min(other_terms, CROWDED_OTHER_TERMS) / CROWDED_OTHER_TERMS
    return np.asarray(
        [*logs, lexicon_score, float(lexicon_score > 0), float(lexicon_score < 0), crowded, crowded * lexicon_score],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class AspectCombiner:
    """What the hybrid adds to its parts, fitted on dev (see `sentiment.aspects.combiner`):
    softmax regression over `combiner_features`, and two extraction settings: lexicon terms the
    tagger missed are added when the tagger gives them at least `lexicon_term_threshold`, and the
    tagger's own terms below `min_tagger_confidence` are kept only if the lexicon found them too."""

    coef: np.ndarray  # (3 labels, features)
    intercept: np.ndarray  # (3,)
    lexicon_term_threshold: float
    min_tagger_confidence: float
    metrics: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = np.atleast_2d(features) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        payload = {
            "format_version": COMBINER_FORMAT_VERSION,
            "arch": COMBINER_ARCH,
            "labels": list(POLARITY_LABELS),
            "features": "log(max(p, 1e-4)) of the network's negative/neutral/positive, lexicon clause score, lexicon score > 0, lexicon score < 0, crowded = min(other aspects in the sentence, 3) / 3, crowded * lexicon score",
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "lexicon_term_threshold": self.lexicon_term_threshold,
            "min_tagger_confidence": self.min_tagger_confidence,
            "metrics": self.metrics,
        }
        path = folder / COMBINER_FILE
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> "AspectCombiner":
        path = Path(folder) / COMBINER_FILE
        payload = read_json_file(path, "aspect combiner")
        if payload.get("format_version") != COMBINER_FORMAT_VERSION or payload.get("arch") != COMBINER_ARCH:
            raise ResourceError(f"{path}: expected format_version {COMBINER_FORMAT_VERSION} and arch {COMBINER_ARCH!r}")
        try:
            coef = np.asarray(payload["coef"], dtype=np.float64)
            intercept = np.asarray(payload["intercept"], dtype=np.float64)
            width = len(combiner_features(np.ones(3) / 3, 0.0))
            if coef.shape != (len(POLARITY_LABELS), width) or intercept.shape != (len(POLARITY_LABELS),):
                raise ValueError(f"coef {coef.shape} / intercept {intercept.shape} do not fit {len(POLARITY_LABELS)} labels x {width} features")
            return cls(coef, intercept, float(payload["lexicon_term_threshold"]), float(payload["min_tagger_confidence"]), dict(payload.get("metrics", {})))
        except (KeyError, TypeError, ValueError) as error:
            raise ResourceError(f"aspect combiner {path} is invalid: {error}") from None


class HybridAspectScorer:
    """The network's terms and polarities combined with the lexicon's terms and clause scores."""

    def __init__(self, neural: NeuralAspectScorer, lexicon: "AspectScorer", combiner: AspectCombiner) -> None:
        self.neural = neural
        self.lexicon = lexicon
        self.combiner = combiner

    @staticmethod
    def available(models_dir: str | os.PathLike[str] | None = None) -> bool:
        if not NeuralAspectScorer.available(models_dir):
            return False
        return (find_models_dir(models_dir) / HYBRID_ASPECT_DIR / COMBINER_FILE).is_file()

    @classmethod
    def load(
        cls,
        models_dir: str | os.PathLike[str] | None = None,
        lexicon: "AspectScorer | None" = None,
        lexicons_dir: str | os.PathLike[str] | None = None,
        num_threads: int | None = None,
    ) -> "HybridAspectScorer":
        """The neural models, the combiner from <models>/hybrid/aspect/, and `lexicon` (the lexicon
        analyzer's aspect scorer; loaded from `lexicons_dir` when not given)."""
        if lexicon is None:
            lexicon = load_lexicon_scorer(lexicons_dir)
        neural = NeuralAspectScorer.load(models_dir, lexicons_dir, num_threads)
        return cls(neural, lexicon, AspectCombiner.load(find_models_dir(models_dir) / HYBRID_ASPECT_DIR))

    def choose_terms(
        self, sentences: Sequence[_Sentence], tagged: Sequence[Sequence[tuple[int, int, float]]], probabilities: Sequence[torch.Tensor], lexicon_spans: Sequence[set[tuple[int, int]]], threshold: float, min_confidence: float
    ) -> list[list[tuple[int, int]]]:
        """Per sentence, (first, last) of the chosen terms: the tagger's confident terms, its
        unconfident ones the lexicon also found, and lexicon terms the tagger half-believes."""
        chosen = []
        for s, sentence in enumerate(sentences):
            spans = lexicon_spans[sentence.text_index]
            lexicon_terms = []
            for start, end in spans:
                inside = [i for i, t in enumerate(sentence.tokens) if t.start < end and start < t.end]
                if inside:
                    lexicon_terms.append((inside[0], inside[-1]))
            keep = [(f, l) for f, l, confidence in tagged[s] if confidence >= min_confidence or (f, l) in lexicon_terms]
            taken = {i for f, l in keep for i in range(f, l + 1)}
            for f, l in lexicon_terms:
                if not taken.intersection(range(f, l + 1)) and term_probability(probabilities[s], f, l) >= threshold:
                    keep.append((f, l))
                    taken.update(range(f, l + 1))
            chosen.append(sorted(keep))
        return chosen

    def score_batch(self, texts: Sequence[str]) -> list[tuple[AspectSentiment, ...]]:
        """The aspects of each text, in text order."""
        sentences, tagged, probabilities = self.neural.find_terms(texts)
        tokens = [tokenize(text) for text in texts]
        lexicon_spans = [{(a.start, a.end) for a in self.lexicon.score(text, toks)} for text, toks in zip(texts, tokens)]
        chosen = self.choose_terms(
            sentences, tagged, probabilities, lexicon_spans, self.combiner.lexicon_term_threshold, self.combiner.min_tagger_confidence
        )
        targets = [(s, f, l) for s, terms in enumerate(chosen) for f, l in terms]
        return self._combine(texts, tokens, sentences, targets)

    def score(self, text: str) -> tuple[AspectSentiment, ...]:
        return self.score_batch([text])[0]

    def score_terms_batch(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[AspectSentiment, ...]]:
        """Score given character spans instead of finding them, in span order."""
        sentences = _sentences(texts)
        located = [row for row in _locate_spans(sentences, spans) if row[3] is not None]
        targets = [target for _, _, _, target in located]
        wanted = [(start, end) for _, start, end, _ in located]
        tokens = [tokenize(text) for text in texts]
        combined = self._combine(texts, tokens, sentences, targets, spans=wanted)
        return combined

    def features(self, texts: Sequence[str], tokens: Sequence[Sequence[Token]], sentences: Sequence[_Sentence], targets: Sequence[tuple[int, int, int]], spans: Sequence[tuple[int, int]] | None = None) -> tuple[list[TargetPrediction], list[AspectSentiment | None], np.ndarray]:
        """Per target: the network's prediction, the lexicon's scored aspect, the combiner features."""
        predictions = self.neural.predict_targets(sentences, targets)
        if spans is None:
            spans = [term_span(sentences[s].tokens, f, l) for s, f, l in targets]
        per_text: dict[int, list[tuple[int, int]]] = {}
        for (s, _, _), span in zip(targets, spans):
            per_text.setdefault(sentences[s].text_index, []).append(span)
        lexicon: dict[tuple[int, int, int], AspectSentiment] = {}
        for index, text_spans in per_text.items():
            for aspect in self.lexicon.score_terms(texts[index], list(tokens[index]), text_spans):
                lexicon[(index, aspect.start, aspect.end)] = aspect
        found = [lexicon.get((sentences[s].text_index, *span)) for (s, _, _), span in zip(targets, spans)]
        per_sentence = Counter(s for s, _, _ in targets)
        rows = [
            combiner_features(p.probabilities, a.score if a is not None else 0.0, per_sentence[s] - 1)
            for p, a, (s, _, _) in zip(predictions, found, targets)
        ]
        width = len(combiner_features(np.ones(3) / 3, 0.0))
        return predictions, found, np.asarray(rows).reshape(len(rows), width)

    def _combine(self, texts: Sequence[str], tokens: Sequence[Sequence[Token]], sentences: Sequence[_Sentence], targets: Sequence[tuple[int, int, int]], spans: Sequence[tuple[int, int]] | None = None) -> list[tuple[AspectSentiment, ...]]:
        predictions, lexicon, features = self.features(texts, tokens, sentences, targets, spans)
        probabilities = self.combiner.probabilities(features) if len(features) else np.zeros((0, 3))
        results: list[list[AspectSentiment]] = [[] for _ in texts]
        for n, ((s, first, last), prediction) in enumerate(zip(targets, predictions)):
            sentence = sentences[s]
            text = texts[sentence.text_index]
            row = probabilities[n]
            label = POLARITY_LABELS[int(row.argmax())]
            start, end = spans[n] if spans is not None else term_span(sentence.tokens, first, last)
            from_lexicon = lexicon[n]
            # The evidence of the part that agrees with the result: the network's attended words
            # (negator included) first, else the lexicon's opinions.
            if label == "neutral":
                evidence: tuple[str, ...] = ()
            elif prediction.label != label and from_lexicon is not None and from_lexicon.polarity == label and from_lexicon.evidence:
                evidence = from_lexicon.evidence
            else:
                evidence = attention_evidence(text, sentence.tokens, first, last, prediction.attention)
            results[sentence.text_index].append(
                AspectSentiment(
                    term=text[start:end],
                    start=start,
                    end=end,
                    category=self.neural.category(sentence.tokens, first, last),
                    polarity=label,
                    score=round(float(row[2] - row[0]), 4),
                    evidence=evidence,
                )
            )
        return [tuple(found) for found in results]


def load_lexicon_scorer(lexicons_dir: str | os.PathLike[str] | None = None) -> "AspectScorer":
    """The lexicon analyzer's aspect scorer, loaded on its own."""
    from ..lexicon.aspect import AspectScorer
    from ..lexicon.data import load_lexicon
    from ..lexicon.polarity import PolarityScorer

    folder = find_lexicons_dir(lexicons_dir)
    return AspectScorer.load(folder, PolarityScorer(load_lexicon(folder)))
