"""The benchmark: metric functions against hand-computed values, label mappings, and a --quick run
end to end on tiny generated data in the shared data layout."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from sentiment import (
    INTENT_LABELS,
    Analysis,
    AspectSentiment,
    BaseAnalyzer,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    ResourceError,
    register,
)
from sentiment.metrics import (
    AspectTerm,
    accuracy,
    aspect_scores,
    expected_calibration_error,
    macro_f1,
    multilabel_macro_f1,
    pearson,
    top_label_calibration,
)
from sentiment.registry import unregister

ROOT = Path(__file__).resolve().parents[1]

# benchmarks/ is a folder of the checkout, not part of the installed package: importable because
# pytest puts the repository root on sys.path (pythonpath in pyproject.toml).
from benchmarks import peers, report, tasks  # noqa: E402

# --- metrics --------------------------------------------------------------------------------------


def test_accuracy_and_macro_f1_by_hand():
    gold = ["pos", "pos", "neg", "neg"]
    predicted = ["pos", "neg", "neg", "neg"]
    assert accuracy(gold, predicted) == 0.75
    # pos: P 1, R 1/2 -> F1 2/3; neg: P 2/3, R 1 -> F1 4/5
    assert macro_f1(gold, predicted) == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert accuracy([], []) is None
    with pytest.raises(ValueError, match="gold has 1 items"):
        accuracy(["pos"], [])


def test_macro_f1_averages_gold_classes_unless_labels_are_given():
    gold, predicted = ["pos", "neg"], ["pos", "neutral"]
    assert macro_f1(gold, predicted) == pytest.approx(0.5)  # pos 1, neg 0
    assert macro_f1(gold, predicted, ["neg", "neutral", "pos"]) == pytest.approx(1 / 3)


def test_pearson_by_hand_and_undefined_for_constants():
    # dx = (-1, 0, 1), dy = (-7/3, -1/3, 8/3): r = 5 / sqrt(2 * 114/9)
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(5 / math.sqrt(2 * 114 / 9))
    assert pearson([1, 2, 3], [3, 3, 3]) is None
    assert pearson([1], [2]) is None


def test_multilabel_macro_f1_by_hand():
    gold = [{"a"}, {"a", "b"}, set()]
    predicted = [{"a"}, {"b"}, {"c"}]
    # a: tp 1, fn 1 -> 2/3; b: tp 1 -> 1; c: fp 1 -> 0
    assert multilabel_macro_f1(gold, predicted, ["a", "b", "c"]) == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_expected_calibration_error_by_hand():
    # bin of 0.9: accuracy 1/2, |0.5 - 0.9| * 2/4 = 0.2; bin of 0.6: accuracy 1, |1 - 0.6| * 2/4 = 0.2
    assert expected_calibration_error([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1]) == pytest.approx(0.4)
    assert expected_calibration_error([1.0, 1.0], [1, 1]) == pytest.approx(0.0)  # 1.0 is in the last bin
    assert expected_calibration_error([], []) is None
    with pytest.raises(ValueError, match="outside"):
        expected_calibration_error([1.2], [1])


def test_top_label_calibration_by_hand():
    gold = ["a", "b"]
    distributions = [{"a": 0.8, "b": 0.2}, {"a": 0.7, "b": 0.3}]
    # 0.8 right, 0.7 wrong, in different bins: (|1 - 0.8| + |0 - 0.7|) / 2
    assert top_label_calibration(gold, distributions) == pytest.approx(0.45)


def test_aspect_scores_by_hand():
    gold = [[AspectTerm(0, 4, "positive"), AspectTerm(10, 15, "negative")], []]
    ignored = [[(20, 25)], []]
    predicted = [
        [
            AspectTerm(0, 4, "positive"),
            AspectTerm(0, 4, "negative"),  # a duplicate span counts once
            AspectTerm(10, 15, "positive"),
            AspectTerm(20, 25, "negative"),  # a conflict term: neither right nor wrong
            AspectTerm(30, 33, "neutral"),
        ],
        [AspectTerm(0, 3, "positive")],
    ]
    scores = aspect_scores(gold, predicted, ignored, ["negative", "neutral", "positive"])
    assert (scores.gold_terms, scores.predicted_terms, scores.matched_terms) == (2, 4, 2)
    assert scores.term_precision == 0.5 and scores.term_recall == 1.0
    assert scores.term_f1 == pytest.approx(2 / 3)
    assert scores.polarity_accuracy == 0.5
    nothing = aspect_scores([[AspectTerm(0, 1, "positive")]], [[]])
    assert nothing.term_precision is None and nothing.term_recall == 0.0 and nothing.polarity_accuracy is None


# --- label mappings and peers ---------------------------------------------------------------------


def test_label_mappings():
    assert [tasks.polarity_of_stars(s) for s in range(1, 6)] == [
        "negative", "negative", "neutral", "positive", "positive"
    ]
    assert len(tasks.EKMAN_OF_GOEMOTION) == 28  # 27 emotions + neutral
    assert set(tasks.EKMAN_OF_GOEMOTION.values()) == {
        "anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"
    }
    assert tasks.EKMAN_OF_GOEMOTION["curiosity"] == "surprise"
    assert tasks.EKMAN_OF_GOEMOTION["disapproval"] == "anger"
    assert len(tasks.BITEXT_TO_INTENT) == 27
    assert set(tasks.BITEXT_TO_INTENT.values()) <= set(INTENT_LABELS)


def test_peer_binning():
    assert [peers.stars_for(s) for s in (-1.0, -0.6, -0.3, 0.0, 0.2, 0.59, 0.6, 1.0)] == [1, 2, 2, 3, 4, 4, 5, 5]
    assert [peers.polarity_label(s) for s in (-0.05, -0.04, 0.04, 0.05)] == [
        "negative", "neutral", "neutral", "positive"
    ]


def test_peer_edges_are_fitted_like_the_lexicons():
    values = {"awful": -0.9, "bad": -0.5, "meh": 0.0, "good": 0.5, "great": 0.9}
    peer = peers.ScorePeer("toy", values.__getitem__)
    edges, train_accuracy = peers.fit_edges(peer, list(values), [1, 2, 3, 4, 5])
    assert train_accuracy == 1.0
    fitted = peer.with_edges(edges)
    predicted = [a.fine_grained.stars for a in fitted.analyze_batch(list(values), "fine_grained")]
    assert predicted == [1, 2, 3, 4, 5]


def test_binary_polarity_scoring_uses_the_sign_and_renormalized_probabilities():
    def analysis(score, probabilities):
        label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
        return Analysis(text="t", analyzer="x", polarity=Polarity(label, score, probabilities))

    analyses = [
        analysis(0.5, {"negative": 0.1, "neutral": 0.5, "positive": 0.4}),  # P(pos | binary) = 0.8
        analysis(0.0, {"negative": 0.3, "neutral": 0.4, "positive": 0.3}),  # zero score -> positive
        analysis(-0.2, {"negative": 0.6, "neutral": 0.3, "positive": 0.1}),
    ]
    metrics = tasks.score_binary_polarity(analyses, ["positive", "negative", "negative"])
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["zero_score_rate"] == pytest.approx(1 / 3)
    # binary confidences 0.8 (right), 0.5 (a tie: "positive" is first, wrong), 6/7 (right)
    expected = (abs(1 - 0.8) + abs(0 - 0.5) + abs(1 - 6 / 7)) / 3
    assert metrics["ece"] == pytest.approx(expected)
    no_probabilities = [analysis(0.5, {}), analysis(-0.5, {})]
    assert tasks.score_binary_polarity(no_probabilities, ["positive", "positive"])["ece"] is None


def test_report_replaces_only_the_marked_section(tmp_path):
    document = f"# Title\n\nintro\n{report.START_MARKER}\nold numbers\n{report.END_MARKER}\n\nrest\n"
    updated = report.replace_section(document, "new table")
    assert updated == f"# Title\n\nintro\n{report.START_MARKER}\nnew table\n{report.END_MARKER}\n\nrest\n"
    assert report.replace_section("no markers here", "x") is None
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert report.update_readme(readme, "x") is False and readme.read_text() == "no markers\n"


# --- end to end on tiny data ----------------------------------------------------------------------

POSITIVE_WORDS, NEGATIVE_WORDS = {"good", "great", "happy"}, {"bad", "awful", "angry", "broken"}
ASPECT_WORDS = ("food", "service")


class KeywordAnalyzer(BaseAnalyzer):
    """A deterministic stand-in serving every mode, so every task's scoring path runs."""

    name = "keywords"
    modes = frozenset(Mode)

    def _analyze_batch(self, texts, modes):
        return [self._one(text, modes) for text in texts]

    def _one(self, text, modes):
        words = [w.strip(".,!?").lower() for w in text.split()]
        score = (sum(w in POSITIVE_WORDS for w in words) - sum(w in NEGATIVE_WORDS for w in words)) / 2
        score = max(-1.0, min(1.0, score))
        label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
        probabilities = {"negative": 0.1, "neutral": 0.1, "positive": 0.1, label: 0.8}
        stars = 5 if "great" in words else 4 if "good" in words else 1 if "awful" in words else 2 if "bad" in words else 3
        fields = {}
        if Mode.POLARITY in modes:
            fields["polarity"] = Polarity(label, score, probabilities)
        if Mode.FINE_GRAINED in modes:
            labels = ("very_negative", "negative", "neutral", "positive", "very_positive")
            fields["fine_grained"] = FineGrained(
                labels[stars - 1], stars, float(stars), {l: (0.6 if i == stars - 1 else 0.1) for i, l in enumerate(labels)}
            )
        if Mode.ASPECT in modes:
            found = []
            for term in ASPECT_WORDS:
                start = text.find(term)
                if start >= 0:
                    found.append(AspectSentiment(term, start, start + len(term), "x", label, score))
            fields["aspects"] = found
        if Mode.EMOTION in modes:
            emotion = "joy" if "happy" in words else "anger" if "angry" in words else "neutral"
            scores = {e: 0.1 for e in ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")}
            scores[emotion] = 0.9
            fields["emotion"] = Emotion((emotion,), scores)
        if Mode.INTENT in modes:
            intent = "purchase" if "buy" in words else "complaint" if "broken" in words else "question" if "?" in text else "none"
            scores = {i: 0.05 for i in INTENT_LABELS}
            scores[intent] = 0.7
            fields["intent"] = Intent(intent, 0.7, scores)
        return Analysis(text=text, analyzer=self.name, **fields)


def _aspect_row(text, terms):
    aspects = []
    for term, polarity in terms:
        start = text.index(term)
        aspects.append({"term": term, "from": start, "to": start + len(term), "polarity": polarity})
    return {"text": text, "aspects": aspects, "categories": []}


def write_tiny_data(root: Path) -> None:
    """A few rows per test split, in the shared data layout and formats."""
    reviews = [("Awful.", 1), ("Bad fit.", 2), ("It is a dress.", 3), ("Good. Nice.", 4), ("Great! Love it.", 5)]
    aspect_rows = [
        _aspect_row("The food was good.", [("food", "positive")]),
        _aspect_row("The service was bad and the food was bad.", [("service", "negative"), ("food", "conflict")]),
        _aspect_row("Nice view.", [("view", "positive")]),
    ]
    data = {
        "sst2": [{"text": "A good film.", "label": "positive"}, {"text": "A bad film.", "label": "negative"}] * 3,
        "sst5": [{"text": text, "label": stars} for text, stars in reviews],
        "womens_clothing_reviews": [{"text": text + " I wore it twice.", "label": stars} for text, stars in reviews],
        "semeval14_restaurants": aspect_rows,
        "semeval14_laptops": aspect_rows,
        "mams_atsa": aspect_rows,
        "goemotions": [
            {"text": "I am so happy", "labels": ["joy", "gratitude"]},
            {"text": "I am angry", "labels": ["annoyance"]},
            {"text": "ok then", "labels": ["neutral"]},
        ],
        "emotion6": [
            {"text": "i feel happy", "labels": ["joy"]},
            {"text": "i feel angry", "labels": ["anger"]},
            {"text": "i love it", "labels": ["love"]},
        ],
        "twitter_complaints": [
            {"text": "my phone is broken", "label": "complaint"},
            {"text": "nice day", "label": "not_complaint"},
        ],
        "purchase_intent_tweets": [
            {"text": "I will buy it", "label": "purchase_intent"},
            {"text": "meh", "label": "no_purchase_intent"},
            {"text": "spam spam", "label": "undefined"},
        ],
        "bitext_customer_support": [
            {"text": "i want to buy a bag", "label": "place_order"},
            {"text": "the zip is broken", "label": "complaint"},
            {"text": "where is my invoice ?", "label": "check_invoice"},
        ],
        "banking77": [{"text": "where is my card?", "label": "card_arrival"}],
        "clinc150": [{"text": "say hi in french", "label": "translate"}],
    }
    for dataset, rows in data.items():
        folder = root / dataset
        folder.mkdir(parents=True)
        (folder / "test.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    # the peers' fine-grained edges are fitted on SST-5 train
    (root / "sst5" / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in data["sst5"]))


class NoEmotionAnalyzer(KeywordAnalyzer):
    """Fails in one mode, as an analyzer whose model for that mode is missing does."""

    name = "no_emotion"

    def _analyze_batch(self, texts, modes):
        if Mode.EMOTION in modes:
            raise ResourceError("models/no_emotion/emotion not found")
        return super()._analyze_batch(texts, modes)


def _unbuildable():
    raise ResourceError("models/unbuilt not found")


@pytest.fixture
def test_analyzers():
    register("keywords", KeywordAnalyzer, modes=frozenset(Mode), description="test stand-in")
    register("no_emotion", NoEmotionAnalyzer, modes=frozenset(Mode))
    register("unbuilt", _unbuildable, modes={Mode.POLARITY})
    yield
    for name in ("keywords", "no_emotion", "unbuilt"):
        unregister(name)


def test_quick_run_end_to_end(tmp_path, test_analyzers, monkeypatch):
    from benchmarks import run

    # an accuracy-run variant (as the neural analyzer's without explanations): here just a second build
    monkeypatch.setitem(run.EVALUATION_OPTIONS, "keywords", ("second build", lambda: {}))
    data = tmp_path / "data"
    write_tiny_data(data)
    readme = tmp_path / "README.md"
    readme.write_text(f"# Project\n{report.START_MARKER}\nSTALE NUMBERS\n{report.END_MARKER}\nmore\n", encoding="utf-8")
    out = tmp_path / "bench" / "results.json"
    run.main([
        "--quick", "--data-dir", str(data), "--out", str(out), "--plots-dir", str(tmp_path / "plots"),
        "--readme", str(readme), "--analyzers", "keywords,no_emotion,unbuilt", "--skip-memory",
    ])

    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["quick"] is True and results["machine"]["cores"] >= 1
    assert set(results["analyzers"]) == {"keywords", "no_emotion", "unbuilt", "vader", "textblob"}
    assert results["analyzers"]["unbuilt"]["status"] == "skipped"
    assert results["analyzers"]["vader"]["fine_grained_edges_fitted_on"] == "sst5/train.jsonl (5 rows)"
    assert "models/unbuilt not found" in results["tasks"]["sst2"]["skipped"]["unbuilt"]
    assert results["tasks"]["goemotions"]["skipped"]["no_emotion"].startswith("failed: ResourceError")
    assert results["tasks"]["sst2"]["results"]["no_emotion"]["accuracy"] == 1.0
    assert "emotion" in results["analyzers"]["no_emotion"]["failed_modes"]
    every_task = {task.name for task in tasks.TASKS} | set(tasks.FINE_INTENT_DATASETS)
    assert set(results["tasks"]) == every_task
    sst2 = results["tasks"]["sst2"]["results"]
    assert sst2["keywords"]["accuracy"] == 1.0 and 0.0 <= sst2["vader"]["accuracy"] <= 1.0
    # binary P(gold class) = 0.8 / (0.8 + 0.1) for both texts, both right: ECE = 1 - 8/9
    assert sst2["keywords"]["ece"] == pytest.approx(1 / 9) and sst2["vader"]["ece"] is None
    assert results["tasks"]["sst5"]["results"]["keywords"]["pearson"] == pytest.approx(1.0)
    restaurants = results["tasks"]["semeval14_restaurants"]["results"]["keywords"]
    # gold: food+, service-, view+ (the conflict "food" is ignored); found food+, service-
    assert (restaurants["term_precision"], restaurants["term_recall"]) == (1.0, pytest.approx(2 / 3))
    assert restaurants["polarity_accuracy"] == 1.0
    assert results["tasks"]["goemotions"]["results"]["keywords"]["macro_f1"] == pytest.approx(3 / 7)
    assert results["tasks"]["emotion6"]["results"]["keywords"]["accuracy"] == pytest.approx(2 / 3)
    assert results["tasks"]["purchase_intent_tweets"]["results"]["keywords"]["accuracy"] == 1.0
    assert results["tasks"]["bitext_customer_support"]["results"]["keywords"]["accuracy"] == 1.0
    assert results["tasks"]["banking77"]["skipped"]["keywords"].startswith("not trained")
    assert "vader" not in results["tasks"]["goemotions"]["results"]  # peers serve polarity only
    speeds = {(r["analyzer"], r["mode"], r["kind"]) for r in results["throughput"]["results"]}
    assert ("keywords", "polarity", "short") in speeds and ("textblob", "polarity", "long") in speeds
    assert not any(analyzer == "unbuilt" for analyzer, _, _ in speeds)
    assert results["analyzers"]["keywords"]["accuracy_variant_agrees_with_default"] is True
    assert {r["variant"] for r in results["throughput"]["results"] if r["analyzer"] == "keywords"} == {
        "default", "second build"
    }
    assert all(r["docs_per_s"] > 0 and r["ratio_to_vader"] > 0 for r in results["throughput"]["results"])

    section = readme.read_text(encoding="utf-8")
    assert section.startswith("# Project\n") and section.endswith(f"{report.END_MARKER}\nmore\n")
    assert "| sst2 | polarity | accuracy |" in section and "STALE" not in section
    assert (out.parent / "results.md").is_file()
    assert (tmp_path / "plots" / "sst2.png").is_file() and (tmp_path / "plots" / "throughput.png").is_file()


def test_memory_probe_reports_a_peak_for_a_fresh_process(tmp_path):
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(["A good film.", "A bad film."]))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory_probe", "--analyzer", "vader", "--texts", str(texts),
         "--modes", "polarity"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    probe = json.loads(done.stdout)
    assert probe["peak_rss_mib"] >= probe["rss_after_imports_mib"] > 0
    assert probe["torch_threads"] is None


def test_run_script_starts_from_the_checkout():
    done = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "--quick" in done.stdout


def test_startup_benchmark_times_fresh_cli_runs_and_vader(tmp_path):
    from benchmarks import startup

    out = tmp_path / "startup.json"
    assert startup.main(["--rounds", "1", "--analyzers", "lexicon", "--output", str(out)]) == 0
    rows = {row["command"]: row for row in json.loads(out.read_text())}
    assert set(rows) == {"sentiment analyze -a lexicon -m polarity", "vader (import, build, score one text)"}
    assert all(row["fastest_s"] > 0 and row["peak_rss_mib"] > 5 and len(row["runs_s"]) == 1 for row in rows.values())
    with pytest.raises(RuntimeError, match="exited with 2"):
        startup.run_once([sys.executable, "-m", "sentiment.cli.main", "analyze", "--analyzer", "no-such-analyzer", "-t", "x"])


def test_first_pass_benchmark_times_unseen_and_seen_texts_in_fresh_processes(tmp_path, capsys):
    from benchmarks import first_pass

    data = tmp_path / "texts.jsonl"
    data.write_text("".join(json.dumps({"text": f"A {word} film, not bad at all."}) + "\n" for word in ("good", "dull", "odd", "fine")))
    assert first_pass.main(["--analyzer", "lexicon", "--data", str(data), "--rounds", "1"]) == 0
    printed = capsys.readouterr().out
    assert "second half, unseen:" in printed and "second half, seen:" in printed and "x VADER" in printed
    one_text = tmp_path / "one.jsonl"
    one_text.write_text(json.dumps({"text": "Only one."}) + "\n")
    with pytest.raises(RuntimeError, match="two halves need at least 2"):
        first_pass.main(["--analyzer", "lexicon", "--data", str(one_text), "--rounds", "1"])
