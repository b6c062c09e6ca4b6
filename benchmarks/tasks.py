"""Benchmark tasks: which data file, how its labels map onto each mode's labels, and which metrics.

Every task reads `DATA_DIR/<dataset>/test.jsonl` (the test splits are used by the benchmark only,
never for tuning) and scores one mode. The mapping choices are written in each task's `method`
and copied into results.json, so a number is never separated from how it was computed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Sequence

from sentiment.metrics import (
    AspectTerm,
    accuracy,
    aspect_scores,
    expected_calibration_error,
    macro_f1,
    multilabel_macro_f1,
    multilabel_per_label_f1,
    pearson,
    per_class_f1,
    top_label_calibration,
)
from sentiment.types import EKMAN_OF_GOEMOTION as _EKMAN_OF_GOEMOTION
from sentiment.types import EMOTION_LABELS, FINE_GRAINED_LABELS, POLARITY_LABELS, Analysis, Mode

TEST_SPLIT = "test"
Metrics = dict[str, Any]
GoldFunction = Callable[[Mapping[str, Any]], Any]
ScoreFunction = Callable[[Sequence[Analysis], Sequence[Any]], Metrics]


@dataclass(frozen=True)
class Task:
    """One mode scored on one data set's test split."""

    name: str
    dataset: str
    mode: Mode
    method: str  # how predictions and gold labels are compared, in a sentence or two
    headline: tuple[str, ...]  # metrics shown in the README table and the plots
    gold: GoldFunction  # row -> gold label; None drops the row from this task
    score: ScoreFunction
    # Given one analysis, why this analyzer cannot be scored on the task (None: it can).
    applicable: Callable[[Analysis], str | None] | None = None
    split: str = TEST_SPLIT


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file; with `limit`, that many spread evenly over the file.

    An even spread (every k-th row) rather than the first rows, because some files are ordered by
    label or source (SST-2's first test rows are mostly positive).
    """
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    if limit is None or len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(index * step)] for index in range(limit)]


def data_file(data_dir: Path, dataset: str, split: str = TEST_SPLIT) -> Path:
    return Path(data_dir) / dataset / f"{split}.jsonl"


# --- label mappings -------------------------------------------------------------------------------

BINARY_LABELS = ("negative", "positive")


def polarity_of_stars(stars: int) -> str:
    """1-2 stars negative, 3 neutral, 4-5 positive."""
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


# GoEmotions paper (Demszky et al. 2020, section 6.1): the 27 emotions grouped into Ekman's six.
EKMAN_OF_GOEMOTION = _EKMAN_OF_GOEMOTION
# emotion6 (CARER) has "love", which Ekman's taxonomy folds into joy, as GoEmotions does.
EMOTION6_TO_EKMAN: Mapping[str, str] = MappingProxyType({"love": "joy"})

# Bitext customer-support intents -> our consumer-intent taxonomy (sentiment.types.INTENT_LABELS),
# following the definitions in lexicons/intent_cues.tsv: cancelling an order or account and anything
# about refunds is cancel_return_refund; reporting a problem is a complaint; the remaining requests to a
# support agent are questions. No bitext intent is browsing, praise or none. The lexicon's dev
# evaluation (benchmarks/lexicon_intent_emotion_eval.py) uses this mapping too.
BITEXT_TO_INTENT: Mapping[str, str] = MappingProxyType(
    {
        "place_order": "purchase",
        "cancel_order": "cancel_return_refund",
        "check_cancellation_fee": "cancel_return_refund",
        "delete_account": "cancel_return_refund",
        "get_refund": "cancel_return_refund",
        "track_refund": "cancel_return_refund",
        "check_refund_policy": "cancel_return_refund",
        "complaint": "complaint",
        "payment_issue": "complaint",
        "registration_problems": "complaint",
        "review": "question",
        "change_order": "question",
        "track_order": "question",
        "create_account": "question",
        "edit_account": "question",
        "switch_account": "question",
        "recover_password": "question",
        "contact_customer_service": "question",
        "contact_human_agent": "question",
        "delivery_options": "question",
        "delivery_period": "question",
        "check_invoice": "question",
        "get_invoice": "question",
        "newsletter_subscription": "question",
        "check_payment_methods": "question",
        "change_shipping_address": "question",
        "set_up_shipping_address": "question",
    }
)


# --- predictions from analyses --------------------------------------------------------------------


def _has_probabilities(distributions: Sequence[Mapping[str, float]]) -> bool:
    return bool(distributions) and all(distributions) and all(sum(d.values()) > 0 for d in distributions)


def _binary_distribution(distribution: Mapping[str, float], positive: str, negative: str) -> dict[str, float]:
    """P(positive) vs P(negative) renormalized to the two classes (probability mass elsewhere dropped)."""
    p_positive = float(distribution.get(positive, 0.0))
    p_negative = float(distribution.get(negative, 0.0))
    total = p_positive + p_negative
    share = p_positive / total if total > 0 else 0.5
    return {positive: share, negative: 1.0 - share}


def _class_metrics(gold: Sequence[Any], predicted: Sequence[Any], labels: Sequence[Any]) -> Metrics:
    return {
        "n": len(gold),
        "accuracy": accuracy(gold, predicted),
        "macro_f1": macro_f1(gold, predicted, labels),
        "per_class_f1": per_class_f1(gold, predicted, labels),
    }


def _calibration(gold: Sequence[str], distributions: Sequence[Mapping[str, float]]) -> float | None:
    """Top-label ECE when every analysis carries a distribution, else None (no probabilities)."""
    return top_label_calibration(gold, distributions) if _has_probabilities(distributions) else None


# --- scorers --------------------------------------------------------------------------------------


def score_binary_polarity(analyses: Sequence[Analysis], gold: Sequence[str]) -> Metrics:
    """Sign of the polarity score (>= 0 positive); ECE on P(positive) vs P(negative) renormalized."""
    scores = [a.polarity.score for a in analyses]
    predicted = ["positive" if s >= 0 else "negative" for s in scores]
    metrics = _class_metrics(gold, predicted, BINARY_LABELS)
    metrics["zero_score_rate"] = sum(s == 0 for s in scores) / len(scores) if scores else None
    distributions = [a.polarity.probabilities for a in analyses]
    metrics["ece"] = (
        _calibration(gold, [_binary_distribution(d, "positive", "negative") for d in distributions])
        if _has_probabilities(distributions)
        else None
    )
    return metrics


def score_polarity(analyses: Sequence[Analysis], gold: Sequence[str]) -> Metrics:
    """3-way polarity labels; ECE on the polarity probabilities."""
    metrics = _class_metrics(gold, [a.polarity.label for a in analyses], POLARITY_LABELS)
    metrics["ece"] = _calibration(gold, [a.polarity.probabilities for a in analyses])
    return metrics


def score_fine_grained(analyses: Sequence[Analysis], gold: Sequence[int]) -> Metrics:
    """Stars 1..5: accuracy, macro-F1, Pearson of the expected stars (`FineGrained.score`) with gold."""
    predicted = [a.fine_grained.stars for a in analyses]
    metrics = _class_metrics(gold, predicted, (1, 2, 3, 4, 5))
    metrics["pearson"] = pearson(list(gold), [a.fine_grained.score for a in analyses])
    metrics["mean_absolute_error"] = (
        sum(abs(g - p) for g, p in zip(gold, predicted)) / len(gold) if gold else None
    )
    metrics["ece"] = _calibration(
        [FINE_GRAINED_LABELS[g - 1] for g in gold], [a.fine_grained.probabilities for a in analyses]
    )
    return metrics


def aspect_gold(row: Mapping[str, Any]) -> tuple[tuple[AspectTerm, ...], tuple[tuple[int, int], ...]]:
    """Gold terms without "conflict" ones, and the conflict spans (ignored when predicted)."""
    terms = row.get("aspects", [])
    kept = tuple(AspectTerm(t["from"], t["to"], t["polarity"]) for t in terms if t["polarity"] != "conflict")
    ignored = tuple((t["from"], t["to"]) for t in terms if t["polarity"] == "conflict")
    return kept, ignored


def score_aspects(analyses: Sequence[Analysis], gold: Sequence[tuple]) -> Metrics:
    """Term P/R/F1 by exact character span; polarity accuracy on the gold terms that were found."""
    predicted = [[AspectTerm(t.start, t.end, t.polarity) for t in (a.aspects or ())] for a in analyses]
    scores = aspect_scores(
        [terms for terms, _ in gold], predicted, [spans for _, spans in gold], POLARITY_LABELS
    )
    return {"n": len(gold), **scores.to_dict()}


def score_goemotions(analyses: Sequence[Analysis], gold: Sequence[frozenset[str]]) -> Metrics:
    """Multi-label macro-F1 over Ekman 6 + neutral, on the analyzer's thresholded labels."""
    predicted = [set(a.emotion.labels) for a in analyses]
    scores = [a.emotion.scores for a in analyses]
    metrics: Metrics = {
        "n": len(gold),
        "macro_f1": multilabel_macro_f1(gold, predicted, EMOTION_LABELS),
        "per_label_f1": multilabel_per_label_f1(gold, predicted, EMOTION_LABELS),
        "exact_match": accuracy([frozenset(g) for g in gold], [frozenset(p) for p in predicted]),
        "top_in_gold": sum(a.emotion.top in g for a, g in zip(analyses, gold)) / len(gold) if gold else None,
    }
    metrics["ece_per_label"] = _per_label_calibration(gold, scores)
    return metrics


def _per_label_calibration(gold: Sequence[frozenset[str]], scores: Sequence[Mapping[str, float]]) -> float | None:
    """ECE of every (text, emotion) score as the probability that the emotion is in the gold set."""
    if not _has_probabilities(scores):
        return None
    confidences, outcomes = [], []
    for labels, row in zip(gold, scores):
        for emotion in EMOTION_LABELS:
            confidences.append(float(row.get(emotion, 0.0)))
            outcomes.append(emotion in labels)
    return expected_calibration_error(confidences, outcomes)


EMOTION6_CLASSES = ("anger", "fear", "joy", "sadness", "surprise")


def score_emotion6(analyses: Sequence[Analysis], gold: Sequence[str]) -> Metrics:
    """Accuracy of the top emotion among the non-neutral ones (emotion6 has no neutral texts)."""
    predicted = []
    for analysis in analyses:
        scores = {k: v for k, v in analysis.emotion.scores.items() if k != "neutral"}
        predicted.append(max(scores, key=scores.__getitem__))
    return _class_metrics(gold, predicted, EMOTION6_CLASSES)


def binary_intent_scorer(intent: str, positive: str, negative: str) -> ScoreFunction:
    """Positive when the analyzer's intent label is `intent`; ECE on P(intent) vs the rest."""

    def score(analyses: Sequence[Analysis], gold: Sequence[str]) -> Metrics:
        predicted = [positive if a.intent.label == intent else negative for a in analyses]
        metrics = _class_metrics(gold, predicted, (positive, negative))
        distributions = [a.intent.scores for a in analyses]
        if _has_probabilities(distributions):
            shares = [d.get(intent, 0.0) / sum(d.values()) for d in distributions]
            binary = [{positive: share, negative: 1.0 - share} for share in shares]
            metrics["ece"] = top_label_calibration(gold, binary)
        else:
            metrics["ece"] = None
        return metrics

    return score


def score_intent(analyses: Sequence[Analysis], gold: Sequence[str]) -> Metrics:
    """Intent labels against the gold intents; ECE on the intent scores."""
    labels = sorted(set(gold))
    metrics = _class_metrics(gold, [a.intent.label for a in analyses], labels)
    metrics["ece"] = _calibration(gold, [a.intent.scores for a in analyses])
    return metrics


def intent_labels_cover(dataset: str, gold_labels: frozenset[str]) -> Callable[[Analysis], str | None]:
    """Applicable only when the analyzer's intent labels include every gold label of `dataset`."""

    def check(analysis: Analysis) -> str | None:
        served = set(analysis.intent.scores)
        missing = gold_labels - served
        if not missing:
            return None
        return (
            f"not trained: no model for {dataset}'s {len(gold_labels)} intents "
            f"(the analyzer's {len(served)} intent labels miss {len(missing)} of them)"
        )

    return check


def majority_baseline(gold: Sequence[Any]) -> Metrics | None:
    """Accuracy and macro-F1 of always answering the most frequent gold label (single-label tasks)."""
    if not gold or not all(isinstance(label, (str, int)) for label in gold):
        return None
    label = Counter(gold).most_common(1)[0][0]
    predicted = [label] * len(gold)
    return {"label": label, "accuracy": accuracy(gold, predicted), "macro_f1": macro_f1(gold, predicted)}


# --- the tasks ------------------------------------------------------------------------------------


def _intent_label(row: Mapping[str, Any]) -> str:
    return str(row["label"])


TASKS: tuple[Task, ...] = (
    Task(
        name="sst2",
        dataset="sst2",
        mode=Mode.POLARITY,
        method=(
            "Binary accuracy on SST-2 sentences: positive when the polarity score is >= 0, else negative "
            "(a 3-way analyzer's 'neutral' is decided by the sign of its score; a score of exactly 0 "
            "counts as positive; `zero_score_rate` says how often). ECE on P(positive) and P(negative) "
            "renormalized to sum to 1."
        ),
        headline=("accuracy",),
        gold=lambda row: row["label"],
        score=score_binary_polarity,
    ),
    Task(
        name="sst5",
        dataset="sst5",
        mode=Mode.FINE_GRAINED,
        method=(
            "5-class accuracy and macro-F1 of the predicted stars on SST-5 sentences; Pearson r of the "
            "expected stars (FineGrained.score) with the gold label 1..5."
        ),
        headline=("accuracy", "pearson"),
        gold=lambda row: int(row["label"]),
        score=score_fine_grained,
    ),
    Task(
        name="sst5_polarity",
        dataset="sst5",
        mode=Mode.POLARITY,
        method="3-way polarity on SST-5 sentences, gold 1-2 negative, 3 neutral, 4-5 positive.",
        headline=("accuracy", "macro_f1"),
        gold=lambda row: polarity_of_stars(int(row["label"])),
        score=score_polarity,
    ),
    Task(
        name="womens_clothing_reviews",
        dataset="womens_clothing_reviews",
        mode=Mode.FINE_GRAINED,
        method=(
            "Star rating 1..5 of multi-sentence clothing reviews: accuracy, macro-F1 (55% of the "
            "reviews are 5 stars, so accuracy alone rewards always saying 5) and Pearson r of the "
            "expected stars."
        ),
        headline=("accuracy", "macro_f1", "pearson"),
        gold=lambda row: int(row["label"]),
        score=score_fine_grained,
    ),
    Task(
        name="womens_clothing_reviews_polarity",
        dataset="womens_clothing_reviews",
        mode=Mode.POLARITY,
        method="3-way polarity of clothing reviews, gold 1-2 stars negative, 3 neutral, 4-5 positive.",
        headline=("accuracy", "macro_f1"),
        gold=lambda row: polarity_of_stars(int(row["label"])),
        score=score_polarity,
    ),
    *(
        Task(
            name=dataset,
            dataset=dataset,
            mode=Mode.ASPECT,
            method=(
                "Aspect terms: precision, recall and F1 of predicted terms whose character span equals "
                "a gold term's exactly; polarity accuracy and macro-F1 over the gold terms that were "
                "found. Gold terms labelled 'conflict' are dropped (most papers drop them for 3-way "
                "polarity), and a prediction on a conflict term's span counts neither way."
            ),
            headline=("term_f1", "polarity_accuracy"),
            gold=aspect_gold,
            score=score_aspects,
        )
        for dataset in ("semeval14_restaurants", "semeval14_laptops", "mams_atsa")
    ),
    Task(
        name="goemotions",
        dataset="goemotions",
        mode=Mode.EMOTION,
        method=(
            "Multi-label macro-F1 over Ekman's six emotions + neutral: GoEmotions' 27 labels grouped "
            "as in the GoEmotions paper (anger: anger, annoyance, disapproval; disgust; fear: fear, "
            "nervousness; joy: joy, amusement, approval, excitement, gratitude, love, optimism, relief, "
            "pride, admiration, desire, caring; sadness: sadness, disappointment, embarrassment, grief, "
            "remorse; surprise: surprise, realization, confusion, curiosity). Predictions are the "
            "analyzer's labels above its thresholds. ECE pools every (text, emotion) score as the "
            "probability that the emotion is in the gold set."
        ),
        headline=("macro_f1",),
        gold=lambda row: frozenset(EKMAN_OF_GOEMOTION[label] for label in row["labels"]),
        score=score_goemotions,
    ),
    Task(
        name="emotion6",
        dataset="emotion6",
        mode=Mode.EMOTION,
        method=(
            "Accuracy of the top-scoring emotion, neutral excluded (every emotion6 text has an emotion); "
            "gold 'love' is mapped to joy as in Ekman's taxonomy."
        ),
        headline=("accuracy",),
        gold=lambda row: EMOTION6_TO_EKMAN.get(row["labels"][0], row["labels"][0]),
        score=score_emotion6,
    ),
    Task(
        name="twitter_complaints",
        dataset="twitter_complaints",
        mode=Mode.INTENT,
        method="Complaint vs not: the analyzer's intent label 'complaint' against the gold label.",
        headline=("accuracy", "macro_f1"),
        gold=_intent_label,
        score=binary_intent_scorer("complaint", "complaint", "not_complaint"),
    ),
    Task(
        name="purchase_intent_tweets",
        dataset="purchase_intent_tweets",
        mode=Mode.INTENT,
        method=(
            "Purchase intent vs not: the analyzer's intent label 'purchase' against the gold label; "
            "tweets labelled 'undefined' (off-topic, ambiguous or spam) count as no purchase intent, "
            "as in the lexicon's own evaluation. The labels are noisy (see the data manifest): a weak "
            "signal, not a benchmark."
        ),
        headline=("accuracy", "macro_f1"),
        gold=lambda row: "purchase_intent" if row["label"] == "purchase_intent" else "no_purchase_intent",
        score=binary_intent_scorer("purchase", "purchase_intent", "no_purchase_intent"),
    ),
    Task(
        name="bitext_customer_support",
        dataset="bitext_customer_support",
        mode=Mode.INTENT,
        method=(
            "Bitext's 27 customer-support intents mapped onto the consumer-intent taxonomy "
            "(benchmarks/tasks.py BITEXT_TO_INTENT: place_order -> purchase; cancellations and refunds "
            "-> cancel_return_refund; complaint, payment_issue, registration_problems -> complaint; the "
            "other requests -> question); accuracy and macro-F1 over the mapped classes."
        ),
        headline=("accuracy", "macro_f1"),
        gold=lambda row: BITEXT_TO_INTENT[row["label"]],
        score=score_intent,
    ),
)


def fine_intent_task(dataset: str, gold_labels: frozenset[str]) -> Task:
    """banking77 / clinc150: scored only by an analyzer trained on the set's own intents."""
    return Task(
        name=dataset,
        dataset=dataset,
        mode=Mode.INTENT,
        method=f"Accuracy and macro-F1 over {dataset}'s own intents, for an analyzer trained on them.",
        headline=("accuracy",),
        gold=_intent_label,
        score=score_intent,
        applicable=intent_labels_cover(dataset, gold_labels),
    )


# Data sets whose intents are their own, not our taxonomy; their tasks are built once the gold labels
# are read (`fine_intent_task`).
FINE_INTENT_DATASETS = ("banking77", "clinc150")


def tasks_for(data_dir: Path, names: Sequence[str] | None = None, limit: int | None = None) -> list[Task]:
    """Every task (or those named), with the fine-intent tasks built from their data's labels."""
    tasks = list(TASKS)
    for dataset in FINE_INTENT_DATASETS:
        path = data_file(data_dir, dataset)
        labels = frozenset(row["label"] for row in read_jsonl(path, limit)) if path.is_file() else frozenset()
        tasks.append(fine_intent_task(dataset, labels))
    if names:
        known = {task.name for task in tasks}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"unknown task(s) {', '.join(unknown)}; valid tasks: {', '.join(sorted(known))}")
        tasks = [task for task in tasks if task.name in names]
    return tasks


def datasets_of(tasks: Sequence[Task]) -> Iterator[tuple[str, list[Task]]]:
    """Tasks grouped by data set, in first-appearance order, so each set is analyzed once."""
    order: dict[str, list[Task]] = {}
    for task in tasks:
        order.setdefault(task.dataset, []).append(task)
    yield from order.items()
