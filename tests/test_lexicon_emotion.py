"""Emotion mode of the lexicon analyzer: shipped lexicon case tables, negation, ranges, induction."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from sentiment.errors import ResourceError
from sentiment.lexicon.emotion import (
    EMOTIONS,
    EmotionScorer,
    induce_emotion_lexicon,
    main,
    negated_flags,
    read_emotion_lexicon,
)
from sentiment.resources import lexicons_dir
from sentiment.text import tokenize
from sentiment.types import EMOTION_LABELS, Emotion


@pytest.fixture(scope="module")
def scorer() -> EmotionScorer:
    return EmotionScorer.load(lexicons_dir())


def score(scorer: EmotionScorer, text: str) -> Emotion:
    return scorer.score(text, tokenize(text))


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("This is so annoying", "anger"),
        ("Stop lying, you idiot", "anger"),
        ("I'm so angry right now", "anger"),
        ("This is disgusting", "disgust"),
        ("That's gross", "disgust"),
        ("I'm scared of what happens next", "fear"),
        ("This is terrifying", "fear"),
        ("I'm so nervous about the exam", "fear"),
        ("I am so happy today!", "joy"),
        ("Thank you so much, I love it", "joy"),
        ("This is awesome :)", "joy"),
        ("haha that's hilarious 😂", "joy"),
        ("This is so sad", "sadness"),
        ("I'm really disappointed", "sadness"),
        ("Sorry for your loss", "sadness"),
        ("I feel so lonely", "sadness"),
        ("What? Really?", "surprise"),
        ("I'm confused, what does this mean?", "surprise"),
        ("Wow, I didn't expect that", "surprise"),
        ("❤️", "joy"),
        ("❤", "joy"),
        ("ok :(", "sadness"),
        ("😭😭", "sadness"),
    ],
)
def test_emotion_fires(scorer: EmotionScorer, text: str, emotion: str) -> None:
    result = score(scorer, text)
    assert emotion in result.labels
    assert "neutral" not in result.labels


@pytest.mark.parametrize("text", ["The meeting is at 10.", "It is a table.", ""])
def test_neutral_when_nothing_fires(scorer: EmotionScorer, text: str) -> None:
    assert score(scorer, text).labels == ("neutral",)


@pytest.mark.parametrize(
    ("negated", "plain", "emotion"),
    [
        ("I am not happy", "I am happy", "joy"),
        ("This is not funny", "This is funny", "joy"),
        ("I'm not scared", "I'm scared", "fear"),
        ("It isn't sad", "It is sad", "sadness"),
        ("Never disgusting", "So disgusting", "disgust"),
    ],
)
def test_negation_silences_the_emotion(scorer: EmotionScorer, negated: str, plain: str, emotion: str) -> None:
    assert emotion in score(scorer, plain).labels
    result = score(scorer, negated)
    assert emotion not in result.labels
    assert result.scores[emotion] < score(scorer, plain).scores[emotion]


def test_negation_scope_ends_at_clause_break() -> None:
    flags = negated_flags(tokenize("not bad, happy"))
    assert flags == [False, True, False, False]
    flags = negated_flags(tokenize("I don't think it is happy"))
    assert flags == [False, False, True, True, True, False]


@pytest.mark.parametrize(
    "text",
    ["", "!!!", "😂😂😂", "I love it " * 200, "I hate you, you scare me, I am sad and surprised, gross!"],
)
def test_scores_cover_every_label_in_unit_range(scorer: EmotionScorer, text: str) -> None:
    result = score(scorer, text)
    assert set(result.scores) == set(EMOTION_LABELS)
    assert all(0.0 <= value <= 1.0 for value in result.scores.values())
    assert result.labels and set(result.labels) <= set(EMOTION_LABELS)
    assert ("neutral" in result.labels) == (result.labels == ("neutral",))


def test_repeating_a_word_does_not_saturate(scorer: EmotionScorer) -> None:
    once, many = score(scorer, "I love it"), score(scorer, "I love it " * 200)
    assert many.scores == pytest.approx(once.scores)


def test_single_threshold_override() -> None:
    folder = lexicons_dir()
    assert EmotionScorer.load(folder, threshold=1.0).score("I am so happy", tokenize("I am so happy")).labels == (
        "neutral",
    )
    everything = EmotionScorer.load(folder, threshold=0.0).score("ok", tokenize("ok"))
    assert set(everything.labels) == set(EMOTIONS)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        EmotionScorer.load(folder, threshold=1.5)


def test_shipped_lexicon_is_compact_and_documented() -> None:
    path = lexicons_dir() / "emotion_lexicon.tsv"
    header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    for needle in ("GoEmotions", "Monroe", "Command: python -m sentiment.lexicon.emotion", "Date:", "EmoLex"):
        assert needle in text
    assert path.stat().st_size < 1_000_000
    weights = read_emotion_lexicon(path)
    assert 200 < len(weights) <= 3000
    settings = json.loads((lexicons_dir() / "emotion_thresholds.json").read_text(encoding="utf-8"))
    assert set(settings["thresholds"]) == set(EMOTIONS)
    assert 0.0 < settings["macro_f1"] <= 1.0


# --------------------------------------------------------------------------- induction on a fixture

SEED_WORDS = {
    "annoyance": ["furious", "outraged"],
    "disgust": ["vile", "nauseating"],
    "nervousness": ["petrified", "panicking"],
    "gratitude": ["delighted", "grateful"],
    "grief": ["heartbroken", "mourning"],
    "realization": ["astonished", "stunned"],
}
FILLER = ["the", "a", "today", "this", "thing", "was", "really", "and", "my", "friend", "at", "work", "it"]


def write_fixture(path: Path, rows_per_label: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for label, words in SEED_WORDS.items():
        for _ in range(rows_per_label):
            text = " ".join(rng.sample(FILLER, 4) + [rng.choice(words)] + rng.sample(FILLER, 2))
            rows.append({"text": text, "labels": [label]})
    for _ in range(rows_per_label * 2):
        rows.append({"text": " ".join(rng.sample(FILLER, 6)), "labels": ["neutral"]})
    # Negated seed words must not count for their emotion.
    for _ in range(rows_per_label):
        rows.append({"text": "not delighted " + " ".join(rng.sample(FILLER, 3)), "labels": ["neutral"]})
    rng.shuffle(rows)
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")


@pytest.fixture()
def induced(tmp_path: Path) -> tuple[Path, dict]:
    train, dev = tmp_path / "train.jsonl", tmp_path / "dev.jsonl"
    write_fixture(train, rows_per_label=30, seed=1)
    write_fixture(dev, rows_per_label=10, seed=2)
    out = tmp_path / "lexicons" / "emotion_lexicon.tsv"
    summary = induce_emotion_lexicon(train, out, dev_path=dev, min_count=3, min_z=2.0, command="test")
    return out, summary


EXPECTED = {
    "furious": "anger",
    "outraged": "anger",
    "vile": "disgust",
    "petrified": "fear",
    "delighted": "joy",
    "grateful": "joy",
    "heartbroken": "sadness",
    "astonished": "surprise",
}


def test_inducer_associates_seed_words_with_their_emotion(induced: tuple[Path, dict]) -> None:
    out, summary = induced
    weights = read_emotion_lexicon(out)
    for word, emotion in EXPECTED.items():
        assert max(weights[word], key=weights[word].__getitem__) == emotion, word
    for filler in ("the", "work", "friend"):
        assert not any(label in EMOTIONS for label in weights.get(filler, {})), filler
    assert summary["macro_f1"] > 0.9
    assert (out.parent / "emotion_thresholds.json").is_file()


def test_induced_files_load_into_the_scorer(induced: tuple[Path, dict]) -> None:
    out, _ = induced
    scorer = EmotionScorer.load(out.parent)
    for word, emotion in EXPECTED.items():
        text = f"my friend was {word} today"
        assert scorer.score(text, tokenize(text)).labels == (emotion,), word
    assert scorer.score("not delighted at work", tokenize("not delighted at work")).labels == ("neutral",)


def test_command_line_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = tmp_path / "train.jsonl"
    write_fixture(train, rows_per_label=20, seed=3)
    out = tmp_path / "out" / "emotion_lexicon.tsv"
    assert main(["--data", str(train), "--out", str(out), "--min-count", "3", "--min-z", "2"]) == 0
    assert "Command: python -m sentiment.lexicon.emotion --data" in out.read_text(encoding="utf-8")
    assert json.loads((out.parent / "emotion_thresholds.json").read_text())["thresholds"]
    assert "wrote" in capsys.readouterr().out


def test_unknown_label_names_the_valid_ones(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "hi", "labels": ["happiness"]}) + "\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="happiness.*valid labels: admiration"):
        induce_emotion_lexicon(bad, tmp_path / "x.tsv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("word\tjoy\nhappy\t1\n", "header"),
        ("token\tjoy\thappiness\nhappy\t1\t2\n", "header"),
        ("token\tjoy\nhappy\tlots\n", "numbers"),
        ("token\tjoy\tanger\nhappy\t1\n", "cells"),
        ("# only a comment\n", "no header"),
    ],
)
def test_malformed_lexicon_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "emotion_lexicon.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourceError, match=message):
        read_emotion_lexicon(path)


def test_missing_files_say_how_to_build_them(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match="python -m sentiment.lexicon.emotion"):
        EmotionScorer.load(tmp_path)
