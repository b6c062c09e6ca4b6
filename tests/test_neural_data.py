"""Labeled corpora (CSV / JSONL / TXT via `datasets`, SST trees) and the evaluation metrics."""

from __future__ import annotations

import numpy as np
import pytest

from neural_toy import write_jsonl
from sentiment.corpora import (
    LABEL_MAPS,
    detokenize_ptb,
    load_labeled,
    load_source,
    load_sst_trees,
    parse_ptb_tree,
    tree_phrases,
)
from sentiment.errors import InvalidInputError, ResourceError
from sentiment.neural.evaluate import (
    expected_calibration_error,
    score_multilabel,
    score_probabilities,
    score_single_label,
    tune_thresholds,
)

TREES = (
    "(3 (2 It) (3 (3 (2 's) (3 (2 a) (3 (3 lovely) (2 film)))) (2 .)))\n"
    "(1 (2 (2 I) (1 (2 do) (1 (1 (2 n't) (3 like)) (2 it)))) (2 .))\n"
    "(2 (2 (2 A) (2 film)) (2 (2 -LRB-) (2 (2 ``) (2 (2 long) (2 '')) (2 -RRB-))))\n"
)


def test_csv_with_configurable_columns_and_star_label_map(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('review,stars\n"Great, really",5\nmeh,3\nawful,1\n ,4\n', encoding="utf-8")
    corpus = load_labeled(path, text_column="review", label_column="stars", label_map="stars_to_polarity")
    assert corpus.texts == ("Great, really", "meh", "awful")  # the blank text is skipped
    assert corpus.labels == ("positive", "neutral", "negative")


def test_unknown_column_lists_the_columns(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,stars\nok,3\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="columns: review, stars"):
        load_labeled(path)


def test_jsonl_multilabel_lists_are_mapped_and_deduplicated(tmp_path):
    path = write_jsonl(tmp_path / "emotions.jsonl", [
        {"text": "lol great", "labels": ["amusement", "joy"]},
        {"text": "why??", "labels": ["confusion"]},
    ])
    corpus = load_labeled(path, label_column="labels", label_map="goemotions_to_ekman")
    assert corpus.labels == (("joy",), ("surprise",))


def test_label_separator_splits_a_cell_and_empty_mapping_drops(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("text\tlabel\nboth\tjoy|fear\nskip me\tother\n", encoding="utf-8")
    corpus = load_labeled(path, label_separator="|", label_map={"joy": "joy", "fear": "fear", "other": ""})
    assert corpus.texts == ("both",) and corpus.labels == (("joy", "fear"),)


def test_unmapped_label_is_an_error_naming_the_mapped_ones(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "x", "label": 7}])
    with pytest.raises(InvalidInputError, match="label '7' is not in the label map"):
        load_labeled(path, label_map="stars_to_polarity")


def test_txt_lines_are_label_tab_text(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("positive\tnice one\nnegative\tnot nice\n", encoding="utf-8")
    assert load_labeled(path).labels == ("positive", "negative")


def test_missing_file_and_unknown_preset_are_clear(tmp_path):
    with pytest.raises(ResourceError, match="not found"):
        load_labeled(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="valid presets: sst_to_polarity"):
        load_labeled(write_jsonl(tmp_path / "d.jsonl", [{"text": "x", "label": 1}]), label_map="stars_to_nothing")


def test_ptb_parser_and_detokenizer():
    label, children = parse_ptb_tree("(3 (2 It) (4 works))")
    assert label == "3" and children == [("2", ["It"]), ("4", ["works"])]
    nodes = tree_phrases(parse_ptb_tree(TREES.splitlines()[0]))
    assert nodes[0] == ("3", ["It", "'s", "a", "lovely", "film", "."])
    assert detokenize_ptb(["It", "'s", "a", "lovely", "film", "."]) == "It's a lovely film."
    assert detokenize_ptb(["A", "film", "-LRB-", "``", "long", "''", "-RRB-"]) == 'A film ("long")'
    assert detokenize_ptb(["I", "do", "n't", "like", "the", "`", "small", "'", "movie"]) == "I don't like the 'small' movie"


def test_sst_trees_sentences_and_distinct_phrases(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(TREES, encoding="utf-8")
    sentences = load_sst_trees(path, phrases=False, label_map="sst_to_polarity")
    assert sentences.texts == ("It's a lovely film.", "I don't like it.", 'A film ("long")')
    assert sentences.labels == ("positive", "negative", "neutral")
    phrases = load_sst_trees(path, phrases=True, label_map="sst_to_polarity")
    assert phrases.texts[:3] == sentences.texts
    assert len(set(phrases.texts)) == len(phrases.texts)  # each phrase once
    assert dict(zip(phrases.texts, phrases.labels))["lovely"] == "positive"
    # a .txt of trees is recognised as SST trees, and read as sentences for evaluation
    assert load_labeled(path, label_map="sst_to_polarity").labels == sentences.labels


def test_sst_soft_labels_are_distributions_over_occurrences(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("(3 (3 good) (2 stuff))\n(1 (1 good) (2 grief))\n", encoding="utf-8")
    corpus = load_sst_trees(path, phrases=True, label_map="sst_to_fine_grained", soft=True)
    soft = dict(zip(corpus.texts, corpus.labels))["good"]
    assert dict(soft) == {"negative": 0.5, "positive": 0.5}


def test_data_source_spec_resolves_relative_paths_and_rejects_unknown_keys(tmp_path):
    write_jsonl(tmp_path / "d.jsonl", [{"text": "fine", "label": "positive"}])
    assert load_source({"path": "d.jsonl"}, root=tmp_path).texts == ("fine",)
    with pytest.raises(ValueError, match="unknown data source keys"):
        load_source({"path": "d.jsonl", "colum": "x"}, root=tmp_path)


def test_goemotions_mapping_covers_all_28_labels():
    assert len(LABEL_MAPS["goemotions_to_ekman"]) == 28
    assert set(LABEL_MAPS["goemotions_to_ekman"].values()) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}


# --- metrics ----------------------------------------------------------------------------------


def test_single_label_report():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    report = score_single_label(["neg", "pos"], np.array([0, 1, 1, 1]), probabilities)
    assert report.accuracy == 0.75
    assert report.confusion == ((1, 0), (1, 2))
    assert report.per_class[0].precision == 0.5 and report.per_class[1].recall == pytest.approx(2 / 3)
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert "confusion" in report.to_text()


def test_expected_calibration_error_known_values():
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == 0.0
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([1, 0])) == pytest.approx(0.4)


def test_restricting_a_three_class_prediction_to_binary_gold():
    probabilities = np.array([[0.3, 0.5, 0.2], [0.1, 0.6, 0.3]])
    report = score_probabilities(["negative", "neutral", "positive"], ["negative", "positive"], probabilities, False, restrict=True)
    assert report.labels == ("negative", "positive") and report.accuracy == 1.0


def test_one_element_label_lists_score_as_single_labels_and_longer_ones_are_refused():
    # emotion6's JSONL stores each single label as ["joy"]
    probabilities = np.array([[0.7, 0.3], [0.2, 0.8]])
    report = score_probabilities(["joy", "sadness"], [("joy",), ("joy",)], probabilities, False)
    assert report.accuracy == 0.5 and report.per_class[0].support == 2
    with pytest.raises(ValueError, match="multi-label gold labels"):
        score_probabilities(["joy", "sadness"], [("joy", "sadness"), ("joy",)], probabilities, False)


def test_multilabel_report_and_threshold_tuning():
    gold = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    probabilities = np.array([[0.3, 0.1], [0.1, 0.2], [0.35, 0.3], [0.05, 0.05]])
    assert score_multilabel(["a", "b"], gold, probabilities, [0.5, 0.5]).macro_f1 == 0.0
    thresholds = tune_thresholds(gold, probabilities)
    assert thresholds[0] <= 0.3 and thresholds[1] <= 0.2
    assert score_multilabel(["a", "b"], gold, probabilities, thresholds).macro_f1 == 1.0
