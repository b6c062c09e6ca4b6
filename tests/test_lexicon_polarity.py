"""Polarity and fine-grained modes of the lexicon analyzer: one rule at a time, as tables of cases.

Uses the shipped lexicons (VADER's lexicon from the installed package plus lexicons/*.tsv); no data
from ../shared is needed.
"""

from __future__ import annotations

import itertools
import json
import math
import random

import pytest

from sentiment.errors import InvalidInputError, ResourceError
from sentiment.lexicon import rules
from sentiment.lexicon.data import emoji_valence, load_lexicon, read_word_file, vader_valence
from sentiment.lexicon.fine_grained import BINS_FILE, FineGrainedScorer, best_edges, fit_bins
from sentiment.lexicon.polarity import PolarityResult, PolarityScorer
from sentiment.resources import lexicons_dir
from sentiment.text import _TOKEN_RE, tokenize
from sentiment.types import (
    FINE_GRAINED_LABELS,
    POLARITY_LABELS,
    STARS_BY_FINE_GRAINED_LABEL,
    Polarity,
)


@pytest.fixture(scope="module")
def scorer() -> PolarityScorer:
    return PolarityScorer(load_lexicon(lexicons_dir()))


def analyze(scorer: PolarityScorer, text: str) -> PolarityResult:
    return scorer.score(text, tokenize(text))


def score_of(scorer: PolarityScorer, text: str) -> float:
    return analyze(scorer, text).polarity.score


def label_of(scorer: PolarityScorer, text: str) -> str:
    return analyze(scorer, text).polarity.label


def assert_label(scorer: PolarityScorer, text: str, label: str) -> None:
    result = analyze(scorer, text)
    assert result.polarity.label == label, (text, result.polarity, result.explanation)


# --------------------------------------------------------------------------- negation

NEGATION_CASES = [
    ("not bad", "positive"),
    ("The battery life is not bad at all", "positive"),
    ("no problems", "positive"),
    ("I had no problems with the installation", "positive"),
    ("never fails", "positive"),
    ("This blender never fails me", "positive"),
    ("not the worst", "positive"),
    ("without any issues", "positive"),
    ("It arrived without any issues", "positive"),
    ("isn't great", "negative"),
    ("The sound isn’t great", "negative"),  # typographic apostrophe
    ("not good", "negative"),
    ("I don't think it's good", "negative"),
    ("I do not like it", "negative"),
    ("It doesn't work", "negative"),  # a negator with nothing to negate complains
    ("hardly a laugh in the whole film", "negative"),
    ("It could have been better", "negative"),
    ("not without merit", "positive"),  # two negations affirm
    ("It never lacks charm", "positive"),
]


@pytest.mark.parametrize(("text", "label"), NEGATION_CASES)
def test_negation(scorer, text, label):
    assert_label(scorer, text, label)


def test_negation_flips_and_dampens(scorer):
    assert score_of(scorer, "not good") < 0 < score_of(scorer, "good")
    assert 0 < score_of(scorer, "not bad") < abs(score_of(scorer, "bad"))
    assert abs(score_of(scorer, "not great")) < score_of(scorer, "great")


@pytest.mark.parametrize(
    "text",
    ["Not only good but great", "It is not just good, it is great"],
)
def test_not_only_is_not_a_negation(scorer, text):
    assert_label(scorer, text, "positive")


def test_negation_stops_at_clause_boundary(scorer):
    # "not" belongs to the first clause; "great" after the comma is not negated.
    weights = {w.token: w.weight for w in analyze(scorer, "Not what I expected, great though").explanation}
    assert weights["great"] > 0


def test_negation_reach_is_limited(scorer):
    near = score_of(scorer, "not a good movie")
    far = score_of(scorer, "not a movie that anyone would call good")
    assert near < 0 < far


# --------------------------------------------------------------------------- intensifiers, diminishers

@pytest.mark.parametrize(
    ("plain", "intensified"),
    [
        ("good", "very good"),
        ("happy", "extremely happy"),
        ("helpful", "really helpful"),
        ("bad", "very bad"),
        ("disappointing", "totally disappointing"),
        ("bad", "pretty bad"),
    ],
)
def test_intensifiers_strengthen(scorer, plain, intensified):
    assert abs(score_of(scorer, intensified)) > abs(score_of(scorer, plain))
    assert math.copysign(1, score_of(scorer, intensified)) == math.copysign(1, score_of(scorer, plain))


@pytest.mark.parametrize(
    ("plain", "diminished"),
    [
        ("good", "slightly good"),
        ("good", "kind of good"),
        ("bad", "somewhat bad"),
        ("disappointing", "a bit disappointing"),
    ],
)
def test_diminishers_weaken_without_flipping(scorer, plain, diminished):
    assert 0 < abs(score_of(scorer, diminished)) < abs(score_of(scorer, plain))
    assert math.copysign(1, score_of(scorer, diminished)) == math.copysign(1, score_of(scorer, plain))


def test_intensifier_with_own_valence_keeps_it_alone(scorer):
    assert_label(scorer, "What a pretty dress", "positive")  # "pretty" is an adjective here


@pytest.mark.parametrize(
    ("text", "label"),
    [("The movie is too long", "negative"), ("way too sweet", "negative"), ("not too long", "positive")],
)
def test_excess(scorer, text, label):
    assert_label(scorer, text, label)


# --------------------------------------------------------------------------- contrast

CONTRAST_CASES = [
    ("The food was good but the service was awful", "negative"),
    ("The service was awful but the food was good", "positive"),
    ("Although the food was good, the service was awful.", "negative"),
    ("The service was awful, although the food was good.", "negative"),
    ("The plot is a mess, however the acting is superb", "positive"),
    ("Everything was great except the ugly case", "positive"),
    ("Despite the terrible reviews, I loved it", "positive"),
]


@pytest.mark.parametrize(("text", "label"), CONTRAST_CASES)
def test_contrast(scorer, text, label):
    assert_label(scorer, text, label)


def test_contrast_weights_the_clause_after_but(scorer):
    weights = {w.token: w.weight for w in analyze(scorer, "good but bad").explanation}
    assert weights["good"] == pytest.approx(1.9 * rules.CONTRAST_BEFORE_WEIGHT)
    assert weights["bad"] == pytest.approx(-2.5 * rules.CONTRAST_AFTER_WEIGHT)


# --------------------------------------------------------------------------- caps, punctuation

def test_caps_emphasis(scorer):
    assert score_of(scorer, "The movie was GREAT") > score_of(scorer, "The movie was great")
    assert score_of(scorer, "The movie was AWFUL") < score_of(scorer, "The movie was awful")


def test_all_caps_text_is_not_emphasis(scorer):
    assert score_of(scorer, "THE MOVIE WAS GREAT") == score_of(scorer, "the movie was great")


def test_short_caps_words_are_not_emphasis(scorer):
    assert score_of(scorer, "It is OK") == score_of(scorer, "It is ok")


def test_exclamation_marks_strengthen_up_to_a_limit(scorer):
    plain, one, three = (score_of(scorer, t) for t in ("great", "great!", "great!!!"))
    assert plain < one < three
    assert score_of(scorer, "bad!!!") < score_of(scorer, "bad")
    capped = "great" + "!" * rules.MAX_EXCLAMATIONS
    assert score_of(scorer, capped + "!!!") == score_of(scorer, capped)


def test_question_weakens(scorer):
    assert 0 < score_of(scorer, "Is it good?") < score_of(scorer, "It is good.")


# --------------------------------------------------------------------------- emoji and emoticons

EMOJI_CASES = [
    ("I love it 😍", "positive"),
    ("😡😡", "negative"),
    ("Delivery was late :(", "negative"),
    ("Thanks :)", "positive"),
    ("<3", "positive"),
    ("👍🏽", "positive"),  # skin tone stripped for lookup
    ("❤️", "positive"),  # presentation selector stripped for lookup
    ("👎", "negative"),
    ("The parcel arrived 😢", "negative"),
]


@pytest.mark.parametrize(("text", "label"), EMOJI_CASES)
def test_emoji_and_emoticons(scorer, text, label):
    assert_label(scorer, text, label)


def test_emoji_valence_is_derived_from_descriptions():
    derived = emoji_valence(vader_valence())
    assert derived["😢"] < 0 < derived["😀"]  # "crying face" / "grinning face"


# --------------------------------------------------------------------------- slang and idioms

SLANG_CASES = [
    ("This phone is dope", "positive"),
    ("meh", "negative"),
    ("What a waste of money", "negative"),
    ("It works like a charm", "positive"),
    ("The sequel falls flat", "negative"),
    ("Worth every penny", "positive"),
    ("a total rip off", "negative"),
    ("I can't wait to try it", "positive"),
    ("The camera is top notch", "positive"),
    ("It stopped working after a week", "negative"),
    ("The plot is predictable and the dialogue is bland", "negative"),
]


@pytest.mark.parametrize(("text", "label"), SLANG_CASES)
def test_slang_and_idioms(scorer, text, label):
    assert_label(scorer, text, label)


@pytest.mark.parametrize(
    "text",
    ["It plays like a TV movie", "The special effects were made in Canada", "It is based on a true story"],
)
def test_words_that_describe_rather_than_judge(scorer, text):
    assert_label(scorer, text, "neutral")


def test_idiom_is_one_explanation_entry(scorer):
    [weight] = analyze(scorer, "It works like a charm").explanation
    assert weight.token == "works like a charm"


# --------------------------------------------------------------------------- politeness

@pytest.mark.parametrize(
    "text",
    ["Please send me the invoice", "Kindly reply to this email", "Could you please check my order"],
)
def test_politeness_is_not_sentiment(scorer, text):
    assert_label(scorer, text, "neutral")
    assert analyze(scorer, text).explanation == ()


def test_politeness_does_not_soften_a_complaint(scorer):
    assert score_of(scorer, "Kindly refund my broken blender") == score_of(scorer, "refund my broken blender")


# --------------------------------------------------------------------------- long texts, sentences

def test_long_mixed_text_does_not_saturate(scorer):
    sentences = ["The screen is great.", "The battery is awful.", "Shipping was fine."] * 10
    result = analyze(scorer, " ".join(sentences))
    assert len(result.sentences) == 30
    assert abs(result.polarity.score) < 0.5


def test_long_positive_text_stays_below_one(scorer):
    one = score_of(scorer, "The screen is great.")
    many = score_of(scorer, " ".join(["The screen is great."] * 30))
    assert many == pytest.approx(one)
    assert many < 0.9


def test_sentence_breakdown_has_spans_into_the_text(scorer):
    text = "I loved the camera.  The battery died in a day!\nShipping was quick."
    result = analyze(scorer, text)
    assert [s.polarity.label for s in result.sentences] == ["positive", "negative", "neutral"]
    for sentence in result.sentences:
        assert text[sentence.start : sentence.end] == sentence.text


# --------------------------------------------------------------------------- explanation, probabilities

EXPLAINED_TEXTS = [
    "not bad",
    "Café was GREAT ☕ but the croissant was awful 😡",
    "It works like a charm!!! Not the worst purchase.",
    "  \tWhy is this so terrible?  ",
    "I can’t say I didn't enjoy it 👍🏽 :)",
]


@pytest.mark.parametrize("text", EXPLAINED_TEXTS)
def test_explanation_spans_point_into_the_original_text(scorer, text):
    result = analyze(scorer, text)
    assert result.explanation
    for weight in result.explanation:
        assert text[weight.start : weight.end] == weight.token
        assert weight.weight != 0


@pytest.mark.parametrize("text", EXPLAINED_TEXTS + ["", "   ", "The parcel came on Monday.", "!!!"])
def test_probabilities_sum_to_one_and_agree_with_label(scorer, text):
    polarity = analyze(scorer, text).polarity
    assert tuple(polarity.probabilities) == POLARITY_LABELS
    assert sum(polarity.probabilities.values()) == pytest.approx(1.0)
    assert -1.0 <= polarity.score <= 1.0
    assert polarity.label == max(polarity.probabilities, key=polarity.probabilities.__getitem__)


def test_document_polarity_is_the_polarity_of_the_full_result(scorer):
    """The numbers-only path (the hybrid's) gives each text the polarity its full result has."""
    texts = [text for cases in (NEGATION_CASES, CONTRAST_CASES, EMOJI_CASES, SLANG_CASES) for text, _ in cases]
    texts += EXPLAINED_TEXTS + ["", "   ", "!!!", "Mr. Smith is great.", "I loved it. The battery died!\nMeh?"]
    texts += [" ".join(["The screen is great.", "The battery is AWFUL!!", "Shipping was fine."] * 4)]
    assert len(texts) > 50
    for text in texts:
        assert scorer.document_polarity(text) is scorer.score_text(text).polarity, text


def test_empty_text_is_neutral(scorer):
    result = analyze(scorer, "")
    assert (result.polarity.label, result.polarity.score, result.sentences, result.explanation) == (
        "neutral",
        0.0,
        (),
        (),
    )


def test_clause_weights_score_a_slice_of_tokens(scorer):
    text = "The camera struggles in low light but the battery is not bad"
    tokens = tokenize(text)
    but = [t.text for t in tokens].index("but")
    before = scorer.clause_weights(text, tokens[:but])
    after = scorer.clause_weights(text, tokens[but + 1 :])
    assert before and all(w.weight < 0 for w in before)
    assert [(w.token, w.weight > 0) for w in after] == [("bad", True)]  # negated within the clause
    for weight in before + after:
        assert text[weight.start : weight.end] == weight.token


# --------------------------------------------------------------------------- user lexicons

def test_user_file_adds_and_overrides_words(tmp_path):
    words = tmp_path / "my_words.tsv"
    words.write_text("# my domain\ngnarly\t3.0\ngood\t-2.0\nbattery drain\t-2.5\n", encoding="utf-8")
    scorer = PolarityScorer(load_lexicon(lexicons_dir(), [words]))
    assert label_of(scorer, "totally gnarly") == "positive"
    assert label_of(scorer, "good") == "negative"  # the user's word overrides the shipped one
    assert [w.token for w in analyze(scorer, "The battery drain").explanation] == ["battery drain"]


def test_extra_words_override_files_and_shipped(tmp_path):
    words = tmp_path / "w.tsv"
    words.write_text("zork\t-3\n", encoding="utf-8")
    scorer = PolarityScorer(load_lexicon(lexicons_dir(), [words], {"Zork": 2.5, "meh": 1.0}))
    assert label_of(scorer, "zork") == "positive"
    assert label_of(scorer, "meh") == "positive"


def test_user_zero_removes_a_word(tmp_path):
    words = tmp_path / "w.tsv"
    words.write_text("great\t0\n", encoding="utf-8")
    assert label_of(PolarityScorer(load_lexicon(lexicons_dir(), [words])), "great") == "neutral"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("good\t1.0\nbad line without tab\n", "line 2"),
        ("good\tvery\n", "not a number"),
        ("good\t9\n", "outside"),
        ("good\t1\t2\n", "line 1"),
        ("\t1.5\n", "line 1"),
    ],
)
def test_bad_word_file_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "broken.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourceError) as error:
        read_word_file(path)
    assert "broken.tsv" in str(error.value) and message in str(error.value)


def test_missing_and_binary_word_files(tmp_path):
    with pytest.raises(ResourceError, match="not found"):
        read_word_file(tmp_path / "absent.tsv")
    binary = tmp_path / "binary.tsv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ResourceError, match="UTF-8"):
        read_word_file(binary)


@pytest.mark.parametrize("value", ["high", float("nan"), 5.0, True])
def test_bad_extra_words_are_refused(value):
    with pytest.raises(InvalidInputError, match="extra word"):
        load_lexicon(lexicons_dir(), (), {"word": value})


def test_word_file_comments_blank_lines_and_case(tmp_path):
    path = tmp_path / "w.tsv"
    path.write_text("\ufeff# header\n\n  Awesome Sauce\t2.5  \n", encoding="utf-8")
    assert read_word_file(path) == {"awesome sauce": 2.5}


def test_shipped_lexicon_has_vader_base_and_modifiers():
    lexicon = load_lexicon(lexicons_dir())
    assert len(lexicon.valence) > 7000
    assert lexicon.valence["good"] == 1.9  # VADER's human rating, read from the package
    assert {"not", "never", "without", "isn't", "isn’t"} <= lexicon.negators
    assert lexicon.intensifiers["very"] > 0 > lexicon.intensifiers["slightly"]
    assert "but" in lexicon.contrast and "although" in lexicon.concession
    assert {"please", "kindly"} <= lexicon.neutral and "kindly" not in lexicon.valence


def test_bad_modifier_file_lists_roles(tmp_path):
    (tmp_path / "valence_overrides.tsv").write_text("", encoding="utf-8")
    (tmp_path / "modifiers.tsv").write_text("very\tbooster\t0.3\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="intensifier"):
        load_lexicon(tmp_path)


# --------------------------------------------------------------------------- tokenizer fast path

@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII text, with punctuation... and don't-stop words!",
        "xD :) :-( <3 ;_; o_O T_T D: ^_^",
        "see http://example.com/a?b=1 or www.example.org",
        "😂👍🏽 ❤️ café – “quotes” snake_case 10:30",
        "a\x1cb\x1fc\u00a0d",
    ],
)
def test_tokenizer_matches_the_reference_pattern(text):
    reference = [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    assert [tuple(token) for token in tokenize(text)] == reference


# --------------------------------------------------------------------------- fine-grained

EDGES = (-0.6, -0.1, 0.1, 0.6)


def polarity_with(score: float) -> Polarity:
    return Polarity("neutral", score, {"negative": 0.0, "neutral": 1.0, "positive": 0.0})


def test_fine_grained_is_monotone_and_stars_match_labels():
    fine = FineGrainedScorer(EDGES)
    grid = [i / 50 for i in range(-50, 51)]
    results = [fine.score(polarity_with(score)) for score in grid]
    stars = [r.stars for r in results]
    expected = [r.score for r in results]
    assert stars == sorted(stars) and expected == sorted(expected)
    assert set(stars) == {1, 2, 3, 4, 5}
    for result in results:
        assert result.stars == STARS_BY_FINE_GRAINED_LABEL[result.label]
        assert tuple(result.probabilities) == FINE_GRAINED_LABELS
        assert sum(result.probabilities.values()) == pytest.approx(1.0)
        assert result.label == max(result.probabilities, key=result.probabilities.__getitem__)
        assert 1.0 <= result.score <= 5.0


@pytest.mark.parametrize(
    ("score", "label"),
    [(-0.9, "very_negative"), (-0.3, "negative"), (0.0, "neutral"), (0.3, "positive"), (0.9, "very_positive")],
)
def test_fine_grained_bins(score, label):
    assert FineGrainedScorer(EDGES).score(polarity_with(score)).label == label


def test_shipped_bins_load_and_keep_no_evidence_neutral():
    fine = FineGrainedScorer.load(lexicons_dir())
    assert list(fine.edges) == sorted(fine.edges)
    assert fine.score(polarity_with(0.0)).label == "neutral"
    saved = json.loads((lexicons_dir() / BINS_FILE).read_text(encoding="utf-8"))
    assert saved["command"] and saved["metric"] == "accuracy" and "sst5" in saved["data"]


@pytest.mark.parametrize("content", ["{", '{"edges": [0.5, 0.1, 0.2, 0.3]}', '{"edges": [0, 1]}', "[]"])
def test_bad_bins_file(tmp_path, content):
    (tmp_path / BINS_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ResourceError):
        FineGrainedScorer.load(tmp_path)


def test_missing_bins_file_names_the_command(tmp_path):
    with pytest.raises(ResourceError, match="fine_grained"):
        FineGrainedScorer.load(tmp_path)


def brute_force_accuracy(scores, classes):
    """Best accuracy over all edge choices among midpoints (neutral bin must hold 0)."""
    values = sorted(set(scores) | {0.0})
    cuts = [-2.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [2.0]
    best = 0.0
    for edges in itertools.combinations_with_replacement(cuts, 4):
        if not (edges[1] < 0.0 <= edges[2]):
            continue
        correct = sum(sum(s > e for e in edges) == c for s, c in zip(scores, classes))
        best = max(best, correct / len(scores))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_best_edges_is_optimal(seed):
    rng = random.Random(seed)
    scores = [round(rng.uniform(-1, 1), 1) for _ in range(14)]
    classes = [min(4, max(0, int((s + 1) * 2.5 + rng.choice((-1, 0, 0, 1))))) for s in scores]
    edges, accuracy = best_edges(scores, classes)
    assert edges == sorted(edges)
    assert edges[1] < 0.0 <= edges[2]
    achieved = sum(sum(s > e for e in edges) == c for s, c in zip(scores, classes)) / len(scores)
    assert achieved == pytest.approx(accuracy)
    assert accuracy == pytest.approx(brute_force_accuracy(scores, classes))


def test_fit_bins_writes_edges_metric_and_command(tmp_path):
    rows = [
        ("a terrible, awful, horrible film", 1),
        ("a bad film", 2),
        ("a film", 3),
        ("a good film", 4),
        ("a wonderful, brilliant, amazing film", 5),
    ]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows), encoding="utf-8")
    out = tmp_path / BINS_FILE
    saved = fit_bins(data, out, lexicons_dir())
    assert saved["train_accuracy"] == 1.0
    assert json.loads(out.read_text(encoding="utf-8")) == saved
    fine = FineGrainedScorer.load(tmp_path)
    scorer = PolarityScorer(load_lexicon(lexicons_dir()))
    assert [fine.score(analyze(scorer, t).polarity).stars for t, _ in rows] == [1, 2, 3, 4, 5]


def test_fit_bins_rejects_bad_labels(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"text": "x", "label": 7}) + "\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="line 1"):
        fit_bins(data, tmp_path / BINS_FILE, lexicons_dir())


# --------------------------------------------------------------------------- through the analyzer

def test_analyzer_polarity_and_fine_grained_agree():
    pytest.importorskip("sentiment.lexicon.analyzer")
    from sentiment.lexicon.analyzer import LexiconAnalyzer

    analyzer = LexiconAnalyzer()
    texts = ["I love this phone", "not bad", "The worst purchase ever!!!", "It arrived on Monday."]
    for analysis in analyzer.analyze_batch(texts, modes=["polarity", "fine_grained"]):
        assert analysis.sentences and analysis.polarity is not None and analysis.fine_grained is not None
        assert (analysis.polarity.score > 0) == (analysis.fine_grained.stars > 3) or analysis.fine_grained.stars == 3


def test_analyzer_user_lexicon_file(tmp_path):
    pytest.importorskip("sentiment.lexicon.analyzer")
    from sentiment.lexicon.analyzer import LexiconAnalyzer

    words = tmp_path / "words.tsv"
    words.write_text("frobnicated\t-3\n", encoding="utf-8")
    analysis = LexiconAnalyzer(lexicon_files=[words]).analyze("My order got frobnicated")
    assert analysis.polarity.label == "negative"
    assert [w.token for w in analysis.explanation] == ["frobnicated"]
