"""Fitting the hybrid aspect combiner on the dev splits (never on test).

    python -m sentiment.aspects.combiner [--data ../shared/data] [--models models]

Polarity: on every non-conflict gold term of the dev sets, the network's probabilities and the
lexicon's clause score become features (`analyzer.combiner_features`); a softmax regression
anchored on the network (`_fit_softmax`) is chosen by 5-fold cross-validation over its penalty
(each dev set weighing the same), so the reported hybrid dev accuracy is out-of-fold. Extraction: the two settings of `AspectCombiner` are picked on a small
grid by micro term F1 over the dev sentences. The result is written as JSON numbers to
<models>/hybrid/aspect/combiner.json with the dev measures of the hybrid and of each part.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ..resources import models_dir as find_models_dir
from ..text import tokenize
from ..types import POLARITY_LABELS
from .analyzer import HYBRID_ASPECT_DIR, AspectCombiner, combiner_features, HybridAspectScorer, NeuralAspectScorer, _locate, _sentences, load_lexicon_scorer
from .data import CONFLICT, AspectSentence, load_split, term_span
from .evaluation import accuracy, extraction_score

DEV_SETS = ("semeval14_restaurants", "semeval14_laptops", "mams_atsa")
# L2 penalties on the combiner's departure from the network, tried by cross-validation.
PENALTY_GRID = (1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
FOLDS = 5
SEED = 13
# Tagger probability a lexicon term needs to be added (above 1: never), and the confidence below
# which a tagger term needs the lexicon's agreement (0: always kept).
LEXICON_TERM_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.01)
MIN_TAGGER_CONFIDENCES = (0.0, 0.5, 0.6, 0.7, 0.8)


def _fit_softmax(features: np.ndarray, targets: np.ndarray, weights: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """A softmax regression anchored on the network: logits = scale * log p_network + W x + b,
    where x are the remaining features. With W = 0, b = 0 and scale = 1 it gives the network's
    own probabilities, so the L2 `penalty` on W and b shrinks the hybrid toward the network rather
    than toward a uniform guess. Returns (coef, intercept) in the plain linear form of
    `AspectCombiner` (coef[:, :3] = scale * identity)."""
    labels = len(POLARITY_LABELS)
    x = torch.as_tensor(features, dtype=torch.float64)
    y = torch.as_tensor(targets, dtype=torch.long)
    w = torch.as_tensor(weights, dtype=torch.float64)
    scale = torch.ones(1, dtype=torch.float64, requires_grad=True)
    weight = torch.zeros(labels, x.shape[1] - labels, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(labels, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([scale, weight, bias], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = scale * x[:, :labels] + x[:, labels:] @ weight.T + bias
        loss = (torch.nn.functional.cross_entropy(logits, y, reduction="none") * w).sum() / w.sum()
        loss = loss + penalty * (weight.pow(2).sum() + bias.pow(2).sum())
        loss.backward()
        return loss

    optimizer.step(closure)
    coef = np.zeros((labels, x.shape[1]))
    coef[:, :labels] = float(scale.detach()) * np.eye(labels)
    coef[:, labels:] = weight.detach().numpy()
    return coef, bias.detach().numpy().copy()


def _out_of_fold(features: np.ndarray, targets: np.ndarray, weights: np.ndarray, c: float) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    predicted = np.zeros(len(targets), dtype=int)
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(features, targets):
        coef, intercept = _fit_softmax(features[train], targets[train], weights[train], c)
        predicted[held] = (features[held] @ coef.T + intercept).argmax(1)
    return predicted


def fit_combiner(neural: NeuralAspectScorer, lexicon: Any, dev_sets: Mapping[str, Sequence[AspectSentence]], log=print) -> AspectCombiner:
    """Fit the combiner on `dev_sets`; its metrics compare the hybrid with each part per set."""
    width = len(combiner_features(np.ones(3) / 3, 0.0))
    placeholder = AspectCombiner(np.zeros((3, width)), np.zeros(3), 1.01, 0.0)
    hybrid = HybridAspectScorer(neural, lexicon, placeholder)
    rows, gold, groups, neural_labels, lexicon_labels = [], [], [], [], []
    for name, sentences in dev_sets.items():
        texts = [s.text for s in sentences]
        spans = [[(a.start, a.end) for a in s.aspects if a.polarity != CONFLICT] for s in sentences]
        labels = [[a.polarity for a in s.aspects if a.polarity != CONFLICT] for s in sentences]
        split = _sentences(texts)
        by_text: dict[int, list[int]] = {}
        for n, sentence in enumerate(split):
            by_text.setdefault(sentence.text_index, []).append(n)
        targets, wanted = [], []
        for index, (text_spans, text_labels) in enumerate(zip(spans, labels)):
            for span, label in zip(text_spans, text_labels):
                target = _locate(split, by_text.get(index, []), *span)
                if target is not None:
                    targets.append(target)
                    wanted.append(span)
                    gold.append(POLARITY_LABELS.index(label))
                    groups.append(name)
        predictions, scored, features = hybrid.features(texts, [tokenize(t) for t in texts], split, targets, wanted)
        rows.append(features)
        neural_labels += [p.label for p in predictions]
        lexicon_labels += [a.polarity if a is not None else "neutral" for a in scored]
    features, targets = np.vstack(rows), np.asarray(gold)
    groups_array = np.asarray(groups)
    # Each dev set weighs the same in the fit (MAMS has 3-5 times the terms of a SemEval set).
    sizes = {name: int((groups_array == name).sum()) for name in dev_sets}
    weights = np.asarray([len(targets) / (len(sizes) * sizes[name]) for name in groups])
    gold_names = [POLARITY_LABELS[g] for g in targets]

    def per_set(predicted: Sequence[str]) -> dict[str, float]:
        return {
            name: round(accuracy([g for g, n in zip(gold_names, groups) if n == name], [p for p, n in zip(predicted, groups) if n == name]), 4)
            for name in dev_sets
        }

    best_c, best_value, best_oof = None, -1.0, None
    for c in PENALTY_GRID:
        oof = [POLARITY_LABELS[i] for i in _out_of_fold(features, targets, weights, c)]
        scores = per_set(oof)
        value = sum(scores.values()) / len(scores)
        log(json.dumps({"penalty": c, "out_of_fold_accuracy": scores, "mean": round(value, 4)}))
        if value > best_value:
            best_c, best_value, best_oof = c, value, oof
    coef, intercept = _fit_softmax(features, targets, weights, best_c)
    polarity_metrics = {
        "terms": {name: int((groups_array == name).sum()) for name in dev_sets},
        "neural_accuracy": per_set(neural_labels),
        "lexicon_accuracy": per_set(lexicon_labels),
        "hybrid_out_of_fold_accuracy": per_set(best_oof),
        "penalty": best_c,
    }
    log(json.dumps({"polarity": polarity_metrics}))
    threshold, min_confidence, extraction_metrics = _tune_extraction(hybrid, dev_sets, log)
    metrics = {
        "fitted_on": {name: "dev" for name in dev_sets},
        "dev_split": "SemEval-2014: a fixed 10% of train (random.Random(13)); MAMS: its dev file",
        "polarity": polarity_metrics,
        "extraction_exact_f1": extraction_metrics,
        "reproduce": "python -m sentiment.aspects.combiner",
    }
    return AspectCombiner(coef, intercept, threshold, min_confidence, metrics)


def _tune_extraction(hybrid: HybridAspectScorer, dev_sets: Mapping[str, Sequence[AspectSentence]], log) -> tuple[float, float, dict[str, Any]]:
    cached = {}
    for name, sentences in dev_sets.items():
        texts = [s.text for s in sentences]
        split, tagged, probabilities = hybrid.neural.find_terms(texts)
        found = [hybrid.lexicon.score(text, tokenize(text)) for text in texts]
        cached[name] = (split, tagged, probabilities, [{(a.start, a.end) for a in f} for f in found], [[(a.start, a.end) for a in s.aspects] for s in sentences], found)

    def spans_for(name: str, threshold: float, min_confidence: float) -> list[list[tuple[int, int]]]:
        split, tagged, probabilities, lexicon_spans, gold, _ = cached[name]
        chosen = hybrid.choose_terms(split, tagged, probabilities, lexicon_spans, threshold, min_confidence)
        spans: list[list[tuple[int, int]]] = [[] for _ in gold]
        for sentence, terms in zip(split, chosen):
            spans[sentence.text_index].extend(term_span(sentence.tokens, f, l) for f, l in terms)
        return spans

    def f1s(threshold: float, min_confidence: float) -> dict[str, float]:
        return {name: round(extraction_score(cached[name][4], spans_for(name, threshold, min_confidence)).f1, 4) for name in dev_sets}

    def micro(threshold: float, min_confidence: float) -> float:
        gold = [g for name in dev_sets for g in cached[name][4]]
        predicted = [p for name in dev_sets for p in spans_for(name, threshold, min_confidence)]
        return extraction_score(gold, predicted).f1

    grid = [(t, m) for t in LEXICON_TERM_THRESHOLDS for m in MIN_TAGGER_CONFIDENCES]
    best = max(grid, key=lambda setting: (round(micro(*setting), 6), setting == (1.01, 0.0)))
    lexicon_f1 = {
        name: round(extraction_score(cached[name][4], [[(a.start, a.end) for a in f] for f in cached[name][5]]).f1, 4) for name in dev_sets
    }
    metrics = {
        "neural": f1s(1.01, 0.0),
        "lexicon": lexicon_f1,
        "hybrid": f1s(*best),
        "lexicon_term_threshold": best[0],
        "min_tagger_confidence": best[1],
    }
    log(json.dumps({"extraction": metrics}))
    return best[0], best[1], metrics


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fit the hybrid aspect combiner on the dev splits.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    neural = NeuralAspectScorer.load(args.models)
    dev_sets = {name: load_split(args.data, name, "dev") for name in DEV_SETS}
    combiner = fit_combiner(neural, load_lexicon_scorer(), dev_sets, log=lambda line: print(line, flush=True))
    path = combiner.save(find_models_dir(args.models) / HYBRID_ASPECT_DIR)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
