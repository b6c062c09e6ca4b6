"""The interface itself: modes, results, registry, text seam, resources."""

from __future__ import annotations

import dataclasses

import pytest

from fresh_imports import packages_imported
from sentiment import (
    Analysis,
    AspectSentiment,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    SentenceSentiment,
    TokenWeight,
    UnknownAnalyzerError,
    UnsupportedModeError,
    available_analyzers,
    get_analyzer,
    parse_modes,
)
from sentiment.errors import ResourceError
from sentiment.registry import register, unregister
from sentiment.resources import lexicon_file, lexicons_dir
from sentiment.text import split_sentences, tokenize

FULL = Analysis(
    text="Great camera, awful battery.",
    analyzer="lexicon",
    polarity=Polarity("neutral", -0.05, {"negative": 0.4, "neutral": 0.3, "positive": 0.3}),
    fine_grained=FineGrained("neutral", 3, 2.9, {"very_negative": 0.1, "negative": 0.2, "neutral": 0.4,
                                                 "positive": 0.2, "very_positive": 0.1}),
    aspects=[AspectSentiment("camera", 6, 12, "camera", "positive", 0.6, ["Great"]),
             AspectSentiment("battery", 20, 27, "battery", "negative", -0.7, ("awful",))],
    emotion=Emotion(["joy", "anger"], {"joy": 0.5, "anger": 0.4, "neutral": 0.1}),
    intent=Intent("none", 0.8, {"none": 0.8, "praise": 0.2}),
    sentences=[SentenceSentiment("Great camera, awful battery.", 0, 28,
                                 Polarity("neutral", -0.05, {"neutral": 1.0}))],
    explanation=[TokenWeight("Great", 0, 5, 3.1), TokenWeight("awful", 14, 19, -2.5)],
)


def test_results_round_trip_through_json_losslessly() -> None:
    assert Analysis.from_json(FULL.to_json()) == FULL
    assert Analysis.from_dict(FULL.to_dict()) == FULL
    empty = Analysis(text="x", analyzer="lexicon")
    assert Analysis.from_json(empty.to_json()) == empty


def test_results_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FULL.text = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        FULL.polarity.probabilities["neutral"] = 1.0  # type: ignore[index]
    assert isinstance(FULL.aspects, tuple) and isinstance(FULL.aspects[0].evidence, tuple)
    assert FULL.emotion.top == "joy"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, (Mode.POLARITY,)),
        ("emotion", (Mode.EMOTION,)),
        ("Fine-Grained", (Mode.FINE_GRAINED,)),
        ([Mode.ASPECT, "aspect", "intent"], (Mode.ASPECT, Mode.INTENT)),
    ],
)
def test_parse_modes(given, expected) -> None:
    assert parse_modes(given) == expected


def test_parse_modes_errors_list_valid_choices() -> None:
    with pytest.raises(UnsupportedModeError, match="valid modes: aspect, emotion, fine_grained, intent, polarity"):
        parse_modes("sarcasm")
    with pytest.raises(UnsupportedModeError, match="for analyzer 'x'; valid modes: polarity"):
        parse_modes(["emotion"], supported={Mode.POLARITY}, analyzer="x")
    with pytest.raises(UnsupportedModeError):
        parse_modes([])


def test_unknown_analyzer_lists_valid_names() -> None:
    with pytest.raises(UnknownAnalyzerError, match="valid analyzers: .*lexicon"):
        get_analyzer("vader")
    assert str(UnknownAnalyzerError("x", ["b", "a"])) == "unknown analyzer 'x'; valid analyzers: a, b"


def test_registry_builds_lazily_from_a_callable() -> None:
    built = []

    def factory(**options):
        built.append(options)
        return "analyzer"

    register("test-fake", factory, modes={Mode.POLARITY}, description="fake")
    try:
        assert not built
        assert available_analyzers()["test-fake"].modes == frozenset({Mode.POLARITY})
        assert get_analyzer("test-fake", flag=True) == "analyzer" and built == [{"flag": True}]
    finally:
        unregister("test-fake")
    assert "test-fake" not in available_analyzers()


def test_importing_the_library_imports_neither_torch_nor_the_edges() -> None:
    code = "import sentiment; from sentiment import get_analyzer; get_analyzer('lexicon')"
    assert packages_imported(code, ("torch", "typer", "fastapi")) == []


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I don't like it :(", ["I", "don't", "like", "it", ":("]),
        ("GREAT!!! 😍😍 <3", ["GREAT", "!!!", "😍", "😍", "<3"]),
        ("well-made 👍🏽 xD :-)", ["well-made", "👍🏽", "xD", ":-)"]),
        ("(chapter 8) at 10:30", ["(", "chapter", "8", ")", "at", "10", ":", "30"]),
        ("Café très-bon... really?!", ["Café", "très-bon", "...", "really", "?!"]),
        ("see http://x.io/a?b=1 now", ["see", "http://x.io/a?b=1", "now"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    found = tokenize(text)
    assert [t.text for t in found] == tokens
    assert all(text[t.start : t.end] == t.text for t in found)


def test_split_sentences_keeps_spans_and_abbreviations() -> None:
    text = "The food was great.  Service, not so much!! Dr. Smith agreed.\nNext line"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "The food was great.",
        "Service, not so much!!",
        "Dr. Smith agreed.",
        "Next line",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert split_sentences("   ") == []


def test_resources_are_found_and_missing_files_named(tmp_path, monkeypatch) -> None:
    assert lexicons_dir().is_dir()
    with pytest.raises(ResourceError, match="not found"):
        lexicon_file("no-such-file.tsv")
    monkeypatch.setenv("SENTIMENT_LEXICONS_DIR", str(tmp_path))
    assert lexicons_dir() == tmp_path
    monkeypatch.setenv("SENTIMENT_LEXICONS_DIR", str(tmp_path / "missing"))
    with pytest.raises(ResourceError, match="SENTIMENT_LEXICONS_DIR"):
        lexicons_dir()


@pytest.mark.parametrize(
    "text",
    [
        "I don't like it :( but the CAMERA is GREAT!!! 😍😍 <3",
        "Café TRÈS-bon... really?! İstanbul",
        "plain ascii text, with punctuation; and (brackets) 10:30 http://x.io/a",
        "well-made 👍🏽 xD :-) can’t\nnext line",
        "",
    ],
)
def test_fast_lowered_tokenizer_matches_tokenize(text: str) -> None:
    from sentiment.text import tokenize_lowered

    words, starts, ends = tokenize_lowered(text)
    tokens = tokenize(text)
    assert words == [t.text.lower() for t in tokens]
    assert starts == [t.start for t in tokens] and ends == [t.end for t in tokens]
