"""Trained aspect-based sentiment: data alignment, the tagger and the polarity network
(overfit -> save -> load -> identical predictions), the hybrid's combiner, case tables on the
shipped models, the file summary and the `sentiment aspects` command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from sentiment.aspects.analyzer import AspectCombiner, HybridAspectScorer, NeuralAspectScorer, attention_evidence, load_lexicon_scorer
from sentiment.aspects.data import B_TAG, I_TAG, O_TAG, AspectSentence, GoldAspect, bio_tags, carve_dev, polarity_examples, read_jsonl, tag_runs
from sentiment.aspects.features import build_vocab
from sentiment.aspects.summary import plot_summary, summarize, term_key
from sentiment.aspects.tagger import AspectTagger, TaggerConfig
from sentiment.aspects.prior import CONTRAST, INTENSITY, NEGATOR, PRIOR_CHANNELS, VALENCE, LexiconPrior
from sentiment.aspects.target_polarity import PolarityConfig, TargetPolarityModel
from sentiment.aspects.data import term_span
from sentiment.aspects.training import AspectTrainConfig, fit_polarity, fit_tagger, predicted_spans
from sentiment.cli.main import app
from sentiment.errors import ResourceError
from sentiment.neural.checkpoint import CONFIG_FILE
from sentiment.text import tokenize
from sentiment.types import AspectSentiment

TINY_TAGGER = TaggerConfig(word_dim=8, char_dim=8, char_buckets=256, hidden_size=12, dropout=0.0)
TINY_POLARITY = PolarityConfig(word_dim=8, char_dim=8, char_buckets=256, position_dim=4, max_distance=6, hidden_size=12, attention_size=8, classifier_size=8, dropout=0.0)
OVERFIT = AspectTrainConfig(lr=0.03, epochs=60, patience=60, batch_size=8, word_dropout=0.0, weight_decay=0.0)


def sentence(text: str, *aspects: tuple[str, str]) -> AspectSentence:
    found = []
    for term, polarity in aspects:
        start = text.index(term)
        found.append(GoldAspect(term, start, start + len(term), polarity))
    return AspectSentence(text, tuple(found), "test")


TRAIN = [
    sentence("The pizza was great but the service was slow.", ("pizza", "positive"), ("service", "negative")),
    sentence("Battery life is awful.", ("Battery life", "negative")),
    sentence("I love the screen.", ("screen", "positive")),
    sentence("We ordered the pasta.", ("pasta", "neutral")),
    sentence("Nothing to say about it."),
    sentence("The keyboard feels cheap and the trackpad is superb.", ("keyboard", "negative"), ("trackpad", "positive")),
]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A tagger and a polarity network overfitted on TRAIN, saved and loaded back."""
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("models")
    vocab = build_vocab(([t.text for t in tokenize(s.text)] for s in TRAIN), min_count=1, max_size=100)
    tagger, _ = fit_tagger(TRAIN, TRAIN, TINY_TAGGER, vocab, OVERFIT, log=lambda line: None)
    examples = polarity_examples(TRAIN)
    polarity, _ = fit_polarity(examples, {"train": examples}, TINY_POLARITY, vocab, OVERFIT, log=lambda line: None)
    tagger.save(folder / "neural" / "aspect" / "tagger")
    polarity.save(folder / "neural" / "aspect" / "polarity")
    return tagger, polarity, folder


# data ----------------------------------------------------------------------------------------


def test_bio_tags_follow_character_offsets_and_runs_invert_them():
    text = "The battery life of the Asus was bad."
    tokens = tokenize(text)
    tags = bio_tags(tokens, [(4, 16), (24, 28)])
    assert [t.text for t, tag in zip(tokens, tags) if tag != O_TAG] == ["battery", "life", "Asus"]
    assert tags[1:3] == [B_TAG, I_TAG]
    assert tag_runs(tags) == [(1, 2), (5, 5)]
    assert tag_runs([I_TAG, I_TAG, O_TAG, B_TAG, B_TAG]) == [(0, 1), (3, 3), (4, 4)]


def test_term_span_leaves_out_a_possessive():
    text = "The café’s crème brûlée"
    tokens = tokenize(text)
    assert text[slice(*term_span(tokens, 1, 1))] == "café"
    assert text[slice(*term_span(tokens, 2, 3))] == "crème brûlée"


def test_dev_split_is_fixed_and_disjoint():
    sentences = [AspectSentence(f"text {i}", ()) for i in range(50)]
    train, dev = carve_dev(sentences)
    assert len(dev) == 5 and len(train) == 45
    assert carve_dev(sentences) == (train, dev)
    assert not {s.text for s in dev} & {s.text for s in train}


def test_read_jsonl_checks_offsets(tmp_path):
    good = {"text": "Great naan.", "aspects": [{"term": "naan", "from": 6, "to": 10, "polarity": "positive"}]}
    (tmp_path / "train.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert read_jsonl(tmp_path / "train.jsonl")[0].aspects[0].term == "naan"
    bad = {**good, "aspects": [{**good["aspects"][0], "from": 5}]}
    (tmp_path / "bad.jsonl").write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="do not hold"):
        read_jsonl(tmp_path / "bad.jsonl")


def test_conflict_terms_are_left_out_of_polarity_examples():
    examples = polarity_examples([sentence("The wine list is huge yet pricey.", ("wine list", "conflict")), TRAIN[0]])
    assert [(e.tokens[e.first], e.label) for e in examples] == [("pizza", "positive"), ("service", "negative")]


# overfit -> save -> load ---------------------------------------------------------------------


def test_tagger_overfits_and_reloads_identically(tiny_models):
    tagger, _, folder = tiny_models
    gold = [[(a.start, a.end) for a in s.aspects] for s in TRAIN]
    assert [sorted(p) for p in predicted_spans(tagger, [s.text for s in TRAIN])] == [sorted(g) for g in gold]
    loaded = AspectTagger.load(folder / "neural" / "aspect" / "tagger")
    token_lists = [[t.text for t in tokenize(s.text)] for s in TRAIN]
    for before, after in zip(tagger.tag_probabilities(token_lists), loaded.tag_probabilities(token_lists)):
        assert torch.equal(before, after)
    config = json.loads((folder / "neural" / "aspect" / "tagger" / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["arch"] == "aspect-tagger.v1" and config["format_version"] == 1


def test_polarity_network_overfits_and_reloads_identically(tiny_models):
    _, polarity, folder = tiny_models
    examples = polarity_examples(TRAIN)
    targets = [(e.tokens, e.first, e.last) for e in examples]
    assert [p.label for p in polarity.predict(targets)] == [e.label for e in examples]
    loaded = TargetPolarityModel.load(folder / "neural" / "aspect" / "polarity")
    for before, after in zip(polarity.predict(targets), loaded.predict(targets)):
        assert np.array_equal(before.probabilities, after.probabilities)
        assert np.array_equal(before.attention, after.attention)
        assert after.attention.sum() == pytest.approx(1.0)


def test_loading_the_wrong_or_a_broken_model_names_the_problem(tiny_models, tmp_path):
    _, _, folder = tiny_models
    with pytest.raises(ResourceError, match="aspect-polarity.v1"):
        TargetPolarityModel.load(folder / "neural" / "aspect" / "tagger")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / CONFIG_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ResourceError, match="corrupted"):
        AspectTagger.load(broken)
    with pytest.raises(ResourceError, match="not found"):
        AspectTagger.load(tmp_path / "missing")


@pytest.fixture(scope="module")
def prior():
    return LexiconPrior.load()


def test_lexicon_prior_rates_opinion_negation_intensity_and_contrast_words(prior):
    assert prior.values("Flimsy")[VALENCE] < 0 < prior.values("superb")[VALENCE] <= 1.0
    assert prior.values("drains")[VALENCE] < 0  # a domain cue of aspect_opinions.tsv, not in VADER
    assert prior.values("not")[NEGATOR] == prior.values("doesn’t")[NEGATOR] == 1.0
    assert prior.values("very")[INTENSITY] > 0 > prior.values("slightly")[INTENSITY]
    assert prior.values("but")[CONTRAST] == 1.0
    assert prior.values("trackpad") == (0.0,) * PRIOR_CHANNELS
    batch = prior.batch([["not", "bad"], ["great"]], width=3)
    assert batch.shape == (2, 3, PRIOR_CHANNELS)
    assert batch[0, 0, NEGATOR] == 1.0 and batch[0, 1, VALENCE] < 0 and batch[1, 0, VALENCE] > 0
    assert not batch[1, 1:].any()


def test_polarity_v2_with_prior_and_proximity_overfits_and_reloads_identically(prior, tmp_path):
    torch.set_num_threads(1)
    vocab = build_vocab(([t.text for t in tokenize(s.text)] for s in TRAIN), min_count=1, max_size=100)
    examples = polarity_examples(TRAIN)
    config = PolarityConfig(**{**TINY_POLARITY.__dict__, "lexicon_prior": True, "proximity_window": 8})
    model, _ = fit_polarity(examples, {"train": examples}, config, vocab, OVERFIT, log=lambda line: None)
    assert model.prior is not None
    targets = [(e.tokens, e.first, e.last) for e in examples]
    assert [p.label for p in model.predict(targets)] == [e.label for e in examples]
    loaded = TargetPolarityModel.load(model.save(tmp_path / "polarity"))
    assert loaded.config == config and loaded.config.arch == "aspect-polarity.v2"
    for before, after in zip(model.predict(targets), loaded.predict(targets)):
        assert np.array_equal(before.probabilities, after.probabilities)
        assert np.array_equal(before.attention, after.attention)
    # The prior is an input: other lexicon values change the prediction of an opinion word.
    flipped = LexiconPrior({w: (-v[VALENCE], *v[1:]) for w, v in prior.table.items()})
    changed = TargetPolarityModel(loaded.config, loaded.vocab, loaded.net, prior=flipped)
    assert any(not np.array_equal(a.probabilities, b.probabilities) for a, b in zip(loaded.predict(targets), changed.predict(targets)))


def test_target_batch_measures_distance_to_the_aspect(tiny_models):
    _, polarity, _ = tiny_models
    batch = polarity.batch([(("a", "b", "c", "d", "e"), 1, 2)])
    assert batch.distance.tolist() == [[1, 0, 0, 1, 2]]
    assert batch.aspect.tolist() == [[False, True, True, False, False]]
    assert batch.prior is None


def test_version_1_polarity_models_still_load(tiny_models, tmp_path):
    """A v1 directory (no lexicon_prior / proximity_window in its config) loads as the v1 network."""
    _, polarity, _ = tiny_models
    v1 = PolarityConfig(**{**polarity.config.__dict__, "arch": "aspect-polarity.v1"})
    folder = TargetPolarityModel(v1, polarity.vocab, polarity.net).save(tmp_path / "v1")
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    for field in ("lexicon_prior", "proximity_window"):
        del config["net"][field]
    (folder / CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")
    loaded = TargetPolarityModel.load(folder)
    assert loaded.config.arch == "aspect-polarity.v1" and loaded.prior is None
    targets = [(e.tokens, e.first, e.last) for e in polarity_examples(TRAIN)]
    for before, after in zip(polarity.predict(targets), loaded.predict(targets)):
        assert np.array_equal(before.probabilities, after.probabilities)
    with pytest.raises(ValueError, match="aspect-polarity.v2"):
        PolarityConfig(arch="aspect-polarity.v1", lexicon_prior=True)
    with pytest.raises(ValueError, match="valid: aspect-polarity.v1, aspect-polarity.v2"):
        PolarityConfig(arch="aspect-polarity.v9")


def test_neural_scorer_keeps_offsets_in_multi_sentence_texts(tiny_models):
    _, _, folder = tiny_models
    scorer = NeuralAspectScorer.load(folder)
    texts = ["Nothing to say about it. The pizza was great but the service was slow.", "", "I love the screen."]
    results = scorer.score_batch(texts)
    assert len(results) == 3 and results[1] == ()
    for text, aspects in zip(texts, results):
        for aspect in aspects:
            assert text[aspect.start : aspect.end] == aspect.term
    assert [(a.term, a.polarity) for a in results[0]] == [("pizza", "positive"), ("service", "negative")]
    assert results[0][0].category == "food" and results[0][1].category == "service"
    assert scorer.score_batch(texts) == [scorer.score(t) for t in texts]


def test_attention_evidence_keeps_a_negator_and_skips_function_words():
    text = "The fries were not crispy at all"
    tokens = tokenize(text)
    attention = np.array([0.05, 0.1, 0.2, 0.05, 0.5, 0.05, 0.05])
    assert attention_evidence(text, tokens, 1, 1, attention) == ("not crispy",)


# hybrid --------------------------------------------------------------------------------------


def test_combiner_round_trips_as_json_and_rejects_bad_shapes(tmp_path):
    combiner = AspectCombiner(np.arange(24, dtype=float).reshape(3, 8), np.array([0.1, 0.2, 0.3]), 0.3, 0.6, {"dev": 1})
    loaded = AspectCombiner.load(combiner.save(tmp_path).parent)
    assert np.array_equal(loaded.coef, combiner.coef) and loaded.lexicon_term_threshold == 0.3 and loaded.metrics == {"dev": 1}
    payload = json.loads((tmp_path / "combiner.json").read_text(encoding="utf-8"))
    payload["coef"] = [[1.0, 2.0]]
    (tmp_path / "combiner.json").write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ResourceError, match="do not fit"):
        AspectCombiner.load(tmp_path)


def test_hybrid_combines_network_and_lexicon(tiny_models):
    _, _, folder = tiny_models
    neural = NeuralAspectScorer.load(folder)
    # Trust only the lexicon score (feature 3), add every lexicon term: the lexicon decides.
    coef = np.zeros((3, 8))
    coef[0, 3], coef[2, 3] = -20.0, 20.0
    hybrid = HybridAspectScorer(neural, load_lexicon_scorer(), AspectCombiner(coef, np.zeros(3), 0.0, 0.0))
    text = "The waiter was rude, but the tiramisù was heavenly."
    found = {a.term: a for a in hybrid.score(text)}
    assert found["waiter"].polarity == "negative" and found["tiramisù"].polarity == "positive"
    for aspect in found.values():
        assert text[aspect.start : aspect.end] == aspect.term
    assert found["waiter"].evidence, found["waiter"]
    scored = hybrid.score_terms_batch([text], [[(4, 10)]])[0]
    assert [(a.term, a.polarity) for a in scored] == [("waiter", "negative")]


# the shipped models --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    torch.set_num_threads(1)
    return NeuralAspectScorer.load(), HybridAspectScorer.load()


OPPOSITE_POLARITIES = [
    ("The food was delicious but the service was terrible.", {"food": "positive", "service": "negative"}),
    ("Great battery life, but the screen is dim.", {"battery life": "positive", "screen": "negative"}),
    ("The staff were rude, although the pasta was excellent.", {"staff": "negative", "pasta": "positive"}),
]
NEGATED = [
    ("The pizza was not good.", {"pizza": "negative"}),
    ("The keyboard is not comfortable to type on.", {"keyboard": "negative"}),
    ("The staff was not helpful at all.", {"staff": "negative"}),
]
# Cases the network alone gets wrong and the hybrid right (the lexicon's negation rules help).
HYBRID_ONLY = [
    ("The waiters weren't friendly.", {"waiters": "negative"}),
]
NO_OPINION = [
    ("We ordered the pasta and two glasses of wine.", {"pasta": "neutral"}),
    ("I bought it with Windows 7 installed.", {"Windows 7": "neutral"}),
]
NON_ASCII = [
    ("The jalapeño poppers were awful.", "jalapeño poppers"),
    ("😀 The crêpes were delicious but the coffee was cold.", "crêpes"),
    ("The café's espresso was amazing.", "espresso"),
    ("Überraschung: the naïve sommelier’s wine list was superb.", "wine list"),
]


CASES = [("neural", *case) for case in OPPOSITE_POLARITIES + NEGATED + NO_OPINION] + [
    ("hybrid", *case) for case in OPPOSITE_POLARITIES + NEGATED + HYBRID_ONLY + NO_OPINION
]


@pytest.mark.parametrize("which, text, expected", CASES)
def test_shipped_models_case_table(shipped, which, text, expected):
    scorer = shipped[0] if which == "neural" else shipped[1]
    found = {a.term.lower(): a.polarity for a in scorer.score(text)}
    for term, polarity in expected.items():
        assert found.get(term.lower()) == polarity, (term, found)
    for aspect in scorer.score(text):
        assert (aspect.polarity == "neutral") == (aspect.evidence == ()), aspect


@pytest.mark.parametrize("which", ["neural", "hybrid"])
@pytest.mark.parametrize("text, term", NON_ASCII)
def test_shipped_offsets_point_at_the_term_in_non_ascii_text(shipped, which, text, term):
    scorer = shipped[0] if which == "neural" else shipped[1]
    aspects = scorer.score(text)
    assert term in [a.term for a in aspects]
    for aspect in aspects:
        assert text[aspect.start : aspect.end] == aspect.term


# summary and CLI -----------------------------------------------------------------------------


def aspect(term: str, category: str, polarity: str, score: float, *evidence: str) -> AspectSentiment:
    return AspectSentiment(term, 0, len(term), category, polarity, score, evidence)


def test_summary_counts_shares_and_typical_evidence():
    results = [
        (aspect("Battery", "battery", "negative", -0.8, "drains fast"), aspect("screen", "screen", "positive", 0.6, "bright")),
        (aspect("battery's", "battery", "negative", -0.5, "Drains  fast"),),
        None,
        (),
        (aspect("battery", "battery", "positive", 0.4, "lasts"),),
    ]
    summary = summarize(results, analyzer="test")
    assert (summary.texts, summary.texts_with_aspects, summary.mentions) == (5, 3, 4)
    battery = summary.categories[0]
    assert (battery.aspect, battery.mentions, battery.positive, battery.negative) == ("battery", 3, 1, 2)
    assert battery.negative_share == pytest.approx(2 / 3) and battery.mean_score == pytest.approx(-0.3)
    assert battery.evidence == (("drains fast", 2), ("lasts", 1))
    assert [t.aspect for t in summary.terms] == ["battery", "screen"]
    assert term_key("The  Crème’s") == "the crème"
    assert json.loads(json.dumps(summary.to_dict()))["categories"][0]["negative_share"] == pytest.approx(0.6667)


def test_plot_writes_a_png(tmp_path):
    summary = summarize([(aspect("food", "food", "positive", 0.5, "tasty"),), ()])
    path = plot_summary(summary, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = plot_summary(summarize([]), tmp_path / "empty.png")
    assert empty.stat().st_size > 0


@pytest.fixture
def reviews_csv(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "id,review\n"
        '1,"The food was delicious but the service was terrible."\n'
        '2,"The service was slow and the waiter was rude."\n'
        '3,"Le crème brûlée était parfaite, the dessert was great."\n'
        "4,\n",
        encoding="utf-8",
    )
    return path


def test_aspects_command_prints_json_and_writes_the_chart(reviews_csv, tmp_path):
    chart = tmp_path / "out.png"
    result = CliRunner().invoke(app, ["aspects", str(reviews_csv), "--text-column", "review", "--analyzer", "lexicon", "--format", "json", "--plot", str(chart)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["texts"] == 4 and summary["analyzer"] == "lexicon"
    service = next(c for c in summary["categories"] if c["aspect"] == "service")
    assert service["mentions"] >= 2 and service["negative_share"] == 1.0
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_aspects_command_prints_a_table(reviews_csv):
    result = CliRunner().invoke(app, ["aspects", str(reviews_csv), "-c", "review", "-a", "lexicon"])
    assert result.exit_code == 0, result.output
    assert "service" in result.stdout and "mentions" in result.stdout


def test_aspects_command_refuses_bad_input(reviews_csv, tmp_path):
    result = CliRunner().invoke(app, ["aspects", str(reviews_csv), "-c", "nope", "-a", "lexicon"])
    assert result.exit_code == 2 and "nope" in result.stderr
    result = CliRunner().invoke(app, ["aspects", str(reviews_csv), "-c", "review", "-a", "lexicon", "--format", "xml"])
    assert result.exit_code == 2 and "table, json" in result.stderr
