"""The hybrid stacker: fitted on two complementary analyzers it beats both; save/load is exact."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from sentiment import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    INTENT_LABELS,
    POLARITY_LABELS,
    Analysis,
    BaseAnalyzer,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    ResourceError,
    TokenWeight,
)
from sentiment.hybrid import HybridAnalyzer, Stacker, fit_stacker, merge_explanations

CONFIDENT = 0.9


def _peaked(labels, chosen):
    rest = (1 - CONFIDENT) / (len(labels) - 1)
    return {label: (CONFIDENT if label == chosen else rest) for label in labels}


class KeywordAnalyzer(BaseAnalyzer):
    """A fake analyzer that only knows one cue word: it stands for an analyzer with a blind spot."""

    modes = frozenset({Mode.POLARITY, Mode.FINE_GRAINED, Mode.EMOTION, Mode.INTENT})

    def __init__(self, name: str, cue: str) -> None:
        self.name, self.cue = name, cue

    def _analyze_batch(self, texts, modes):
        results = []
        for text in texts:
            hit = self.cue in text
            fields = {}
            if Mode.POLARITY in modes:
                label = "positive" if hit else "negative"
                probabilities = _peaked(POLARITY_LABELS, label)
                start = text.find(self.cue)
                fields["polarity"] = Polarity(label, probabilities["positive"] - probabilities["negative"], probabilities)
                fields["explanation"] = (TokenWeight(self.cue, start, start + len(self.cue), 2.0),) if hit else ()
                fields["sentences"] = ()
            if Mode.FINE_GRAINED in modes:
                label = "very_positive" if hit else "very_negative"
                fields["fine_grained"] = FineGrained(label, 5 if hit else 1, 5 if hit else 1, _peaked(FINE_GRAINED_LABELS, label))
            if Mode.EMOTION in modes:
                label = "joy" if hit else "neutral"
                fields["emotion"] = Emotion((label,), _peaked(EMOTION_LABELS, label))
            if Mode.INTENT in modes:
                label = "purchase" if hit else "none"
                fields["intent"] = Intent(label, CONFIDENT, _peaked(INTENT_LABELS, label))
            results.append(Analysis(text=text, analyzer=self.name, **fields))
        return results


TEXTS = [f"item {i} is {word}" for i in range(20) for word in ("good", "great", "bad")]
LABELS = {
    Mode.POLARITY: ["negative" if t.endswith("bad") else "positive" for t in TEXTS],
    Mode.FINE_GRAINED: ["very_negative" if t.endswith("bad") else "very_positive" for t in TEXTS],
    Mode.EMOTION: [["neutral"] if t.endswith("bad") else ["joy"] for t in TEXTS],
    Mode.INTENT: ["none" if t.endswith("bad") else "purchase" for t in TEXTS],
}


@pytest.fixture(scope="module")
def parts():
    return KeywordAnalyzer("lexicon", "good"), KeywordAnalyzer("neural", "great")


@pytest.fixture(scope="module")
def models(tmp_path_factory, parts):
    folder = tmp_path_factory.mktemp("models")
    for mode, labels in LABELS.items():
        fit_stacker(mode, TEXTS, labels, *parts, data_description="synthetic").save(folder / "hybrid" / mode.value)
    return folder


@pytest.mark.parametrize("mode", list(LABELS), ids=lambda m: m.value)
def test_stacker_beats_both_parts_out_of_fold(models, mode) -> None:
    metrics = Stacker.load(models / "hybrid" / mode.value).metrics
    assert metrics["hybrid_cross_validated"] > max(metrics["lexicon"], metrics["neural"])
    assert metrics["hybrid_cross_validated"] >= 0.95


def test_hybrid_predicts_what_neither_part_gets_alone(models, parts) -> None:
    hybrid = HybridAnalyzer(*parts, models_dir=models)
    assert hybrid.modes == frozenset(LABELS)
    results = hybrid.analyze_batch(["it is good", "it is great", "it is bad"], modes=list(LABELS))
    assert [r.polarity.label for r in results] == ["positive", "positive", "negative"]
    assert [r.intent.label for r in results] == ["purchase", "purchase", "none"]
    assert [r.emotion.labels for r in results] == [("joy",), ("joy",), ("neutral",)]
    assert [r.fine_grained.stars for r in results] == [5, 5, 1]
    assert results[0].explanation == (TokenWeight("good", 6, 10, 0.5),)


def test_save_load_gives_identical_predictions(models, parts, tmp_path) -> None:
    stacker = Stacker.load(models / "hybrid" / "polarity")
    stacker.save(tmp_path / "copy")
    again = Stacker.load(tmp_path / "copy")
    features = np.random.default_rng(0).normal(size=(5, stacker.coef.shape[1]))
    assert np.array_equal(stacker.probabilities(features), again.probabilities(features))


def test_corrupted_or_missing_stacker_is_a_clear_error(models, tmp_path) -> None:
    with pytest.raises(ResourceError, match="missing"):
        Stacker.load(tmp_path)
    (tmp_path / "stacker.json").write_text("{not json")
    with pytest.raises(ResourceError, match="unreadable"):
        Stacker.load(tmp_path)
    payload = json.loads((models / "hybrid" / "polarity" / "stacker.json").read_text())
    payload["coef"] = payload["coef"][:1]
    (tmp_path / "stacker.json").write_text(json.dumps(payload))
    with pytest.raises(ResourceError, match="corrupted"):
        Stacker.load(tmp_path)
    payload["format_version"] = 99
    (tmp_path / "stacker.json").write_text(json.dumps(payload))
    with pytest.raises(ResourceError, match="format_version"):
        Stacker.load(tmp_path)


def test_merge_explanations_scales_each_source() -> None:
    merged = merge_explanations(
        [TokenWeight("good", 0, 4, 4.0), TokenWeight("bad", 5, 8, -2.0)],
        [TokenWeight("good", 0, 4, 0.1)],
    )
    assert merged == (TokenWeight("good", 0, 4, 1.0), TokenWeight("bad", 5, 8, -0.25))


RNN_TEXTS = [f"item {i} is {word}" for i in range(20) for word in ("good", "great", "superb", "bad")]
RNN_POLARITY = ["negative" if t.endswith("bad") else "positive" for t in RNN_TEXTS]


def test_rnn_source_is_kept_only_when_it_adds_accuracy(parts) -> None:
    lexicon, neural = parts
    helpful = fit_stacker(Mode.POLARITY, RNN_TEXTS, RNN_POLARITY, lexicon, neural, rnn=KeywordAnalyzer("rnn", "superb"))
    assert helpful.sources == ("lexicon", "neural", "neural-rnn")
    assert helpful.metrics["hybrid_cross_validated"] > max(helpful.metrics[n] for n in ("lexicon", "neural", "neural-rnn"))
    assert set(helpful.metrics["candidates"]) == {"lexicon+neural", "lexicon+neural-rnn", "lexicon+neural+neural-rnn"}
    redundant = fit_stacker(Mode.POLARITY, TEXTS, LABELS[Mode.POLARITY], lexicon, neural, rnn=KeywordAnalyzer("rnn", "great"))
    assert redundant.sources == ("lexicon", "neural")  # the slower source set gains nothing


def test_hybrid_with_three_sources_round_trips(parts, tmp_path) -> None:
    lexicon, neural = parts
    rnn = KeywordAnalyzer("rnn", "superb")
    stacker = fit_stacker(Mode.POLARITY, RNN_TEXTS, RNN_POLARITY, lexicon, neural, rnn=rnn)
    stacker.save(tmp_path / "hybrid" / "polarity")
    assert Stacker.load(tmp_path / "hybrid" / "polarity").sources == stacker.sources
    hybrid = HybridAnalyzer(lexicon, neural, models_dir=tmp_path, rnn=rnn)
    results = hybrid.analyze_batch(["it is good", "it is superb", "it is bad"], modes="polarity")
    assert [r.polarity.label for r in results] == ["positive", "positive", "negative"]
    assert results[1].explanation == (TokenWeight("superb", 6, 12, 1 / 3),)  # merged over three sources
    with pytest.raises(ResourceError, match="no neural models found"):
        HybridAnalyzer(lexicon, neural, models_dir=tmp_path)  # the stacker names an RNN, none is there


def test_version_1_stacker_files_still_load(models, tmp_path) -> None:
    payload = json.loads((models / "hybrid" / "polarity" / "stacker.json").read_text())
    payload["format_version"] = 1
    del payload["sources"]
    (tmp_path / "stacker.json").write_text(json.dumps(payload))
    assert Stacker.load(tmp_path).sources == ("lexicon", "neural")
    payload["format_version"], payload["sources"] = 2, ["neural", "lexicon"]
    (tmp_path / "stacker.json").write_text(json.dumps(payload))
    with pytest.raises(ResourceError, match="expected 'lexicon' then"):
        Stacker.load(tmp_path)


def test_shipped_hybrid_without_explanations_gives_the_same_results() -> None:
    """explain=False reads the neural sources' numbers through their fast path (distributions());
    every field but the explanation must be what the explained path gives."""
    from sentiment import get_analyzer

    texts = [
        "Not bad at all. I'd buy it again!",
        "The plot drags, but the acting is superb.",
        "Where can I order the blue one?",
        "Worst customer service ever :(",
        "ok",
    ]
    modes = ["polarity", "fine_grained", "emotion", "intent"]
    explained = get_analyzer("hybrid")
    quiet = explained.without_explanations()
    assert quiet.explain is False and explained.explain is True
    for full, fast in zip(explained.analyze_batch(texts, modes), quiet.analyze_batch(texts, modes)):
        assert full.explanation and fast.explanation is None
        assert {**full.to_dict(), "explanation": None} == fast.to_dict()


def test_shipped_hybrid_scores_each_sentence_as_a_text_of_its_own() -> None:
    from sentiment import get_analyzer

    texts = ["Not bad at all. I'd buy it again!", "The plot drags. The acting is SUPERB!!\nMeh?", "ok"]
    for hybrid in (get_analyzer("hybrid"), get_analyzer("hybrid", explain=False)):
        results = hybrid.analyze_batch(texts, "polarity")
        assert [len(r.sentences) for r in results] == [2, 3, 1]
        for result in results:
            for sentence in result.sentences:
                assert sentence.polarity == hybrid.analyze(sentence.text, "polarity").polarity, sentence.text


def test_shipped_hybrid_without_sentences_gives_the_same_results() -> None:
    """sentences=False skips the second pass over the sentences of multi-sentence texts, with or
    without explanations; every other field is unchanged. (Polarity alone, without explanations,
    reads the lexicon's numbers only: `LexiconAnalyzer.polarities`.)"""
    from sentiment import get_analyzer
    from sentiment.base import without_explanations, without_sentences

    texts = ["Not bad at all. I'd buy it again!", "The plot drags. The acting is superb.", "ok", "", "GREAT!!! 😡 Mr. Smith?"]
    full = get_analyzer("hybrid")
    for modes, view in itertools.product(
        (["polarity", "intent"], ["polarity"]), (without_sentences(full), without_sentences(without_explanations(full)))
    ):
        assert view.sentences is False and full.sentences is True
        for whole, lean in zip(full.analyze_batch(texts, modes), view.analyze_batch(texts, modes)):
            assert lean.sentences is None and (whole.sentences or not whole.text.strip())
            expected = {**whole.to_dict(), "sentences": None}
            if not view.explain:
                expected["explanation"] = None
            assert lean.to_dict() == expected


def test_shipped_rnn_family_can_skip_the_aspect_models_the_hybrid_takes_from_the_mlp() -> None:
    from sentiment import get_analyzer
    from sentiment.neural.analyzer import NeuralAnalyzer

    assert Mode.ASPECT in NeuralAnalyzer(arch="rnn").modes
    assert Mode.ASPECT not in NeuralAnalyzer(arch="rnn", aspects=False).modes
    result = get_analyzer("hybrid").analyze("The battery is great but the screen is dim.", modes="aspect")
    assert {a.term: a.polarity for a in result.aspects} == {"battery": "positive", "screen": "negative"}
