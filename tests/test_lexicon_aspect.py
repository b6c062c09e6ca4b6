"""Aspect mode of the lexicon analyzer: finding aspect terms and scoring the opinions around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentiment.errors import ResourceError
from sentiment.lexicon.aspect import ASPECT_OPINIONS_FILE, ASPECT_TERMS_FILE, OTHER_CATEGORY, AspectScorer
from sentiment.lexicon.data import load_lexicon
from sentiment.lexicon.polarity import PolarityScorer
from sentiment.resources import lexicons_dir
from sentiment.text import tokenize
from sentiment.types import POLARITY_LABELS


@pytest.fixture(scope="module")
def polarity() -> PolarityScorer:
    return PolarityScorer(load_lexicon(lexicons_dir()))


@pytest.fixture(scope="module")
def scorer(polarity: PolarityScorer) -> AspectScorer:
    return AspectScorer.load(lexicons_dir(), polarity)


def aspects(scorer: AspectScorer, text: str) -> dict[str, str]:
    """term (lower-cased) -> polarity label, for texts that mention each term once."""
    found = scorer.score(text, tokenize(text))
    return {a.term.lower(): a.polarity for a in found}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The camera struggles in low light but the battery is great", {"camera": "negative", "battery": "positive"}),
        ("Great pizza, terrible service.", {"pizza": "positive", "service": "negative"}),
        ("The screen is bright and the sound is awful", {"screen": "positive", "sound": "negative"}),
        ("I love the fit but the fabric feels cheap", {"fit": "positive", "fabric": "negative"}),
        ("The food was delicious although the prices are steep.", {"food": "positive", "prices": "negative"}),
        ("The keyboard is comfortable; however, the trackpad is unresponsive.", {"keyboard": "positive", "trackpad": "negative"}),
        ("Rude waiter, but the wine list was excellent!", {"waiter": "negative", "wine list": "positive"}),
        ("The food was great despite the slow service", {"food": "positive", "service": "negative"}),
        ("The dim sum however was very good.", {"dim sum": "positive"}),  # "however" inside a clause
    ],
)
def test_opposite_polarities_in_one_sentence(scorer: AspectScorer, text: str, expected: dict[str, str]) -> None:
    assert aspects(scorer, text) == expected


def test_evidence_is_the_deciding_opinion_words(scorer: AspectScorer) -> None:
    text = "The camera struggles in low light but the battery is great"
    found = scorer.score(text, tokenize(text))
    assert [(a.term, a.category, a.evidence) for a in found] == [
        ("camera", "camera", ("struggles",)),  # "low light" is a condition, not an opinion
        ("battery", "battery", ("great",)),
    ]
    assert found[0].score < 0 < found[1].score


@pytest.mark.parametrize(
    ("text", "term", "label"),
    [
        ("The food was not good", "food", "negative"),
        ("The staff were not friendly at all", "staff", "negative"),
        ("The screen is not bad", "screen", "positive"),
        ("The room wasn't overpriced", "room", "positive"),  # a negated domain cue
        ("The battery never dies", "battery", "positive"),
        ("The delivery was not slow", "delivery", "positive"),
        ("The sleeves are not too long", "sleeves", "positive"),
    ],
)
def test_negated_aspect_opinions(scorer: AspectScorer, text: str, term: str, label: str) -> None:
    assert aspects(scorer, text)[term] == label


@pytest.mark.parametrize(
    ("text", "term", "label", "evidence"),
    [
        ("The battery drains overnight", "battery", "negative", "drains"),
        ("This dress runs small", "dress", "negative", "runs small"),
        ("The soup was cold", "soup", "negative", "cold"),
        ("The service was slow", "service", "negative", "slow"),
        ("There was a long wait", "wait", "negative", "long"),
        ("The prices are cheap", "prices", "positive", "cheap"),
        ("The material is cheap", "material", "negative", "cheap"),
        ("The sleeves are too long", "sleeves", "negative", "too long"),
        ("The wine list is reasonably priced", "wine list", "positive", "reasonably priced"),
        ("The laptop overheats and the fan is loud", "fan", "negative", "loud"),
        ("The speakers are loud", "speakers", "positive", "loud"),
    ],
)
def test_domain_cues_decide_in_aspect_context(
    scorer: AspectScorer, text: str, term: str, label: str, evidence: str
) -> None:
    found = {a.term.lower(): a for a in scorer.score(text, tokenize(text))}
    assert found[term].polarity == label
    assert evidence in found[term].evidence


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("I ordered the pasta.", "pasta"),
        ("I ordered the pasta and the waiter was rude", "pasta"),
        ("We asked about the warranty.", "warranty"),
        ("The keyboard has a numeric pad.", "keyboard"),
    ],
)
def test_aspect_without_opinion_is_neutral(scorer: AspectScorer, text: str, term: str) -> None:
    found = {a.term.lower(): a for a in scorer.score(text, tokenize(text))}
    assert (found[term].polarity, found[term].score, found[term].evidence) == ("neutral", 0.0, ())


@pytest.mark.parametrize(
    ("text", "term", "category"),
    [
        ("The battery life is amazing", "battery life", "battery"),
        ("Customer service was helpful", "Customer service", "service"),
        ("The wait staff were attentive", "wait staff", "staff"),
        ("The hard drive is noisy", "hard drive", "performance"),
        ("A glass of wine was great", "glass of wine", "drinks"),
        ("The waiter was friendly", "waiter", "staff"),
        ("Shipping took forever", "Shipping", "delivery"),
        ("The sizing is off", "sizing", "size_fit"),
        ("Both screens are sharp", "screens", "display"),  # regular plural added at load time
        ("The batteries died", "batteries", "battery"),
        ("The décor is lovely", "décor", "ambience"),
        ("The fabric is soft", "fabric", "material"),
        ("The colors are vivid", "colors", "color"),
        ("The packaging was damaged", "packaging", "packaging"),
    ],
)
def test_terms_and_categories(scorer: AspectScorer, text: str, term: str, category: str) -> None:
    found = scorer.score(text, tokenize(text))
    assert [(a.term, a.category) for a in found] == [(term, category)]


@pytest.mark.parametrize(
    ("text", "term", "label"),
    [
        ("Le café était bon. The café's coffee was cold", "coffee", "negative"),
        ("Très bon 😍 — the staff were lovely.", "staff", "positive"),
        ("日本語のレビュー。The screen is gorgeous", "screen", "positive"),
        ("Naïve me: the café’s décor is lovely", "décor", "positive"),
        ("The café's service was great", "service", "positive"),
    ],
)
def test_offsets_point_at_the_term_in_the_original_text(
    scorer: AspectScorer, text: str, term: str, label: str
) -> None:
    found = scorer.score(text, tokenize(text))
    match = [a for a in found if a.term == term]
    assert len(match) == 1
    aspect = match[0]
    assert text[aspect.start : aspect.end] == term
    assert aspect.start == text.rindex(term)
    assert aspect.polarity == label


def test_multiple_mentions_of_one_aspect_are_scored_separately(scorer: AspectScorer) -> None:
    text = "The food was cold. Then the food was great, and honestly the food is why we return."
    found = [a for a in scorer.score(text, tokenize(text)) if a.term == "food"]
    starts = [a.start for a in found]
    assert starts == [4, 28, 61]
    assert all(text[a.start : a.end] == "food" for a in found)
    assert [a.polarity for a in found][:2] == ["negative", "positive"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The gnocchi were divine", [("gnocchi", OTHER_CATEGORY, "positive")]),
        ("Its widget died after a week", [("widget", OTHER_CATEGORY, "negative")]),
        (
            "The risotto and the gnocchi were bland",
            [("risotto", OTHER_CATEGORY, "negative"), ("gnocchi", OTHER_CATEGORY, "negative")],
        ),
        ("My new headset is awful", [("headset", OTHER_CATEGORY, "negative")]),
        ("Their kimchi stew was superb", [("kimchi stew", OTHER_CATEGORY, "positive")]),
    ],
)
def test_heuristic_noun_phrases_outside_the_lexicon(
    scorer: AspectScorer, text: str, expected: list[tuple[str, str, str]]
) -> None:
    found = scorer.score(text, tokenize(text))
    assert [(a.term, a.category, a.polarity) for a in found] == expected


@pytest.mark.parametrize(
    ("text", "term", "category"),
    [
        ("The lemon salad was bland", "lemon salad", "food"),
        ("Their tiramisu crumble was superb", "tiramisu crumble", "food"),
        ("The café's coffee was cold", "coffee", "drinks"),  # a possessive is not part of the term
        ("The crispy pizza was gone fast", "pizza", "food"),  # nor is an opinion word
    ],
)
def test_lexicon_terms_widen_to_their_noun_compound(
    scorer: AspectScorer, text: str, term: str, category: str
) -> None:
    found = scorer.score(text, tokenize(text))
    assert [(a.term, a.category) for a in found] == [(term, category)]


@pytest.mark.parametrize(
    "text",
    [
        "It looks great.",  # "looks" is a verb here, not the design aspect
        "We had to wait.",  # "wait" is a verb here
        "This laptop is fast.",  # the reviewed thing as a whole
        "The thing is great.",
        "I love it so much!",
        "",
    ],
)
def test_no_aspect(scorer: AspectScorer, text: str) -> None:
    assert scorer.score(text, tokenize(text)) == ()


def test_results_are_in_range_and_ordered(scorer: AspectScorer) -> None:
    text = "AMAZING screen!!! The keyboard is awful, the battery is okay, and shipping was fast."
    found = scorer.score(text, tokenize(text))
    assert [a.term for a in found] == ["screen", "keyboard", "battery", "shipping"]
    for aspect in found:
        assert -1.0 <= aspect.score <= 1.0
        assert aspect.polarity in POLARITY_LABELS
        assert (aspect.score > 0) == (aspect.polarity == "positive")


def test_score_terms_scores_given_spans_with_a_head_noun_category(scorer: AspectScorer) -> None:
    text = "The lemon salad was bland but the pumpkin ravioli were heavenly."
    spans = [(34, 49), (4, 15)]
    found = scorer.score_terms(text, tokenize(text), spans)
    assert [(a.term, a.category, a.polarity) for a in found] == [
        ("pumpkin ravioli", OTHER_CATEGORY, "positive"),
        ("lemon salad", "food", "negative"),
    ]


def write_lexicons(folder: Path, terms: str, opinions: str = "# none\n") -> Path:
    (folder / ASPECT_TERMS_FILE).write_text(terms, encoding="utf-8")
    (folder / ASPECT_OPINIONS_FILE).write_text(opinions, encoding="utf-8")
    return folder


def test_load_reads_a_custom_lexicon_folder(tmp_path: Path, polarity: PolarityScorer) -> None:
    folder = write_lexicons(
        tmp_path, "# mine\ngizmo\tgadget\nflux capacitor\tgadget\n", "wobbly\t-2.0\tgadget\n"
    )
    scorer = AspectScorer.load(folder, polarity)
    text = "The gizmos are wobbly and the flux capacitor is great"
    found = scorer.score(text, tokenize(text))
    assert [(a.term, a.category, a.polarity) for a in found] == [
        ("gizmos", "gadget", "negative"),
        ("flux capacitor", "gadget", "positive"),
    ]


@pytest.mark.parametrize(
    ("terms", "opinions", "message"),
    [
        ("gizmo\n", "# none\n", "aspect_terms.tsv:1"),
        ("gizmo\tgadget\n", "wobbly\tvery\n", "aspect_opinions.tsv:1"),
    ],
)
def test_malformed_lexicon_lines_name_file_and_line(
    tmp_path: Path, polarity: PolarityScorer, terms: str, opinions: str, message: str
) -> None:
    write_lexicons(tmp_path, terms, opinions)
    with pytest.raises(ResourceError, match=message):
        AspectScorer.load(tmp_path, polarity)


def test_missing_lexicon_file_is_a_resource_error(tmp_path: Path, polarity: PolarityScorer) -> None:
    with pytest.raises(ResourceError, match=ASPECT_TERMS_FILE):
        AspectScorer.load(tmp_path, polarity)
