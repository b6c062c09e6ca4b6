"""Intent mode of the lexicon analyzer: case tables per intent, negation, score ranges, the cue file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentiment.errors import ResourceError
from sentiment.lexicon.intent import (
    IntentScorer,
    compile_pattern,
    is_negated,
    read_intent_cues,
)
from sentiment.resources import lexicons_dir
from sentiment.text import tokenize
from sentiment.types import INTENT_LABELS, Intent


@pytest.fixture(scope="module")
def scorer() -> IntentScorer:
    return IntentScorer.load(lexicons_dir())


def score(scorer: IntentScorer, text: str) -> Intent:
    return scorer.score(text, tokenize(text))


CASES = {
    "purchase": [
        "I want to buy the new iPhone",
        "Where can I buy this jacket?",
        "I'm going to order two of these tomorrow",
        "Take my money!",
        "I need a new laptop",
        "How much is the blue one?",
        "Just pre-ordered it, can't wait to get it",
    ],
    "browsing": [
        "Just looking, thanks",
        "I'm comparing the Pixel and the iPhone",
        "What's the difference between the S and the Pro?",
        "Thinking about a new camera, not sure if I need one",
        "Which is better for travel, A or B?",
    ],
    "complaint": [
        "Worst customer service ever",
        "My package still hasn't arrived",
        "The app keeps crashing",
        "It stopped working after two days",
        "Charged twice for one order, unacceptable",
    ],
    "question": [
        "What time do you open on Sunday?",
        "How do I change my password?",
        "Do you ship to Canada?",
        "Can you tell me the delivery options?",
    ],
    "cancel_return_refund": [
        "I want to cancel my subscription",
        "How do I return these shoes?",
        "I want my money back",
        "Please refund my order",
        "Delete my account",
    ],
    "praise": [
        "I love this phone!",
        "Highly recommend this shop",
        "Thank you so much, great service",
        "Excellent quality, five stars",
    ],
    "none": ["The package is on the table", "It rained in Paris yesterday", ""],
}


@pytest.mark.parametrize(
    ("text", "intent"), [(text, intent) for intent, texts in CASES.items() for text in texts]
)
def test_intent_cases(scorer: IntentScorer, text: str, intent: str) -> None:
    assert score(scorer, text).label == intent


@pytest.mark.parametrize(
    ("text", "intent", "purchase_evidence"),
    [
        ("I won't buy this again", "complaint", False),
        ("I will never order from them again", "complaint", False),
        ("I would not recommend this to anyone", "complaint", False),
        ("I'm not happy with the quality", "complaint", False),
        ("The update did not disappoint", "praise", False),
        ("I'm not interested", "none", False),
        ("I don't want to buy anything", "none", False),
        ("I am not going to purchase this", "none", False),
        ("I do not know how I can purchase a product", "purchase", True),
    ],
)
def test_negation_cases(scorer: IntentScorer, text: str, intent: str, purchase_evidence: bool) -> None:
    result = score(scorer, text)
    assert result.label == intent
    assert (result.scores["purchase"] > 0.0) == purchase_evidence


@pytest.mark.parametrize("text", [text for texts in CASES.values() for text in texts] + ["?!" * 50])
def test_scores_form_a_distribution(scorer: IntentScorer, text: str) -> None:
    result = score(scorer, text)
    assert tuple(result.scores) == INTENT_LABELS
    assert all(0.0 <= value <= 1.0 for value in result.scores.values())
    assert sum(result.scores.values()) == pytest.approx(1.0)
    assert result.confidence == result.scores[result.label] == max(result.scores.values())


def test_no_cue_means_none_with_full_confidence(scorer: IntentScorer) -> None:
    result = score(scorer, "The cat sat on the mat")
    assert (result.label, result.confidence) == ("none", 1.0)


# --------------------------------------------------------------------------- the cue file format

HEADER = "# comment\nintent\tweight\tkind\tpattern\twhen_negated\n"


def scorer_from(tmp_path: Path, rows: str) -> IntentScorer:
    (tmp_path / "intent_cues.tsv").write_text(HEADER + rows, encoding="utf-8")
    return IntentScorer.load(tmp_path)


@pytest.mark.parametrize(
    ("kind", "pattern", "text", "matches"),
    [
        ("word", "refund*", "I got refunded", True),
        ("word", "refund*", "no prefund here", False),
        ("word", "buy", "buying", False),
        ("phrase", "won't buy", "I wont  buy", True),
        ("phrase", "money back", "moneyback", False),
        ("word", "😍", "so 😍 now", True),
        ("regex", r"\bhow much (is|are)\b", "how much is it", True),
    ],
)
def test_pattern_kinds(kind: str, pattern: str, text: str, matches: bool) -> None:
    assert bool(compile_pattern(kind, pattern).search(text)) == matches


def test_when_negated_drop_redirect_keep(tmp_path: Path) -> None:
    scorer = scorer_from(
        tmp_path,
        "purchase\t2\tword\tbuy\t-\n"
        "praise\t2\tword\trecommend\tcomplaint\n"
        "browsing\t2\tphrase\tnot sure\t=\n",
    )
    assert scorer.evidence("I will not buy")["purchase"] == 0.0
    assert scorer.evidence("I do not recommend it")["complaint"] == 2.0
    assert scorer.evidence("I do not recommend it")["praise"] == 0.0
    assert scorer.evidence("not sure yet")["browsing"] == 2.0


def test_strongest_cue_plus_a_share_of_the_rest(tmp_path: Path) -> None:
    scorer = scorer_from(
        tmp_path,
        "question\t1\tword\thow\t=\nquestion\t1\tword\twhere\t=\npurchase\t-1\tword\tmine\t=\n"
        "purchase\t2\tword\tbuy\t=\n",
    )
    assert scorer.evidence("how where")["question"] == pytest.approx(1.3)
    assert scorer.evidence("buy mine")["purchase"] == pytest.approx(1.0)
    assert score(scorer, "mine")  # a net-negative intent is clamped, not a negative score
    assert score(scorer, "mine").label == "none"


@pytest.mark.parametrize(
    ("text", "start_word", "negated"),
    [
        ("i will not buy it", "buy", True),
        ("i won't ever buy it", "buy", True),
        ("i do not know how i can buy it", "buy", False),
        ("no, i buy it", "buy", False),
        ("not because of this but i buy it", "buy", False),
    ],
)
def test_negation_window(text: str, start_word: str, negated: bool) -> None:
    assert is_negated(text, text.index(start_word)) == negated


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("purchasing\t1\tword\tbuy\t-\n", "valid intents: purchase, browsing"),
        ("purchase\t1\tglob\tbuy\t-\n", "valid kinds: word, phrase, regex"),
        ("purchase\tmany\tword\tbuy\t-\n", "could not convert"),
        ("purchase\t1\tword\ttwo words\t-\n", "use kind 'phrase'"),
        ("purchase\t1\tregex\t(unclosed\t-\n", "missing"),
        ("purchase\t1\tword\tbuy\tmaybe\n", "valid: =, -"),
        ("purchase\t1\tword\n", "expected 5"),
    ],
)
def test_bad_cue_rows_are_refused_with_the_line(tmp_path: Path, row: str, message: str) -> None:
    (tmp_path / "intent_cues.tsv").write_text(HEADER + row, encoding="utf-8")
    with pytest.raises(ResourceError, match=message) as error:
        IntentScorer.load(tmp_path)
    assert "intent_cues.tsv:3" in str(error.value)


def test_missing_header_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "intent_cues.tsv"
    path.write_text("purchase\t1\tword\tbuy\t-\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="header"):
        read_intent_cues(path)
    with pytest.raises(ResourceError, match="not found"):
        IntentScorer.load(tmp_path / "nowhere")


def test_shipped_cue_file_documents_the_taxonomy() -> None:
    path = lexicons_dir() / "intent_cues.tsv"
    header = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    for label in INTENT_LABELS:
        assert f"#   {label}" in header
    cues = read_intent_cues(path)
    assert {cue.intent for cue in cues} == set(INTENT_LABELS) - {"none"}


def test_every_shipped_cue_matches_its_own_words_and_they_contain_its_required_literal():
    """The `required` pre-check may only skip texts the regex could not match anyway."""
    from sentiment.lexicon.intent import IntentScorer, required_substring
    from sentiment.resources import lexicons_dir

    checked = 0
    for cue in IntentScorer.load(lexicons_dir()).cues:
        if cue.kind == "regex":
            assert cue.required is None
            continue
        literal = " ".join(word.rstrip("*") for word in cue.pattern.lower().split())
        assert cue.regex.search(literal), cue.pattern
        assert cue.required and cue.required in literal, cue.pattern
        checked += 1
    assert checked > 100
    assert required_substring("phrase", "won't buy*") == "won"
    assert required_substring("regex", r"\bbuy\b") is None
