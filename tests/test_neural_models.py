"""Model directories (overfit -> save -> load -> identical predictions, clear errors on damage)
and the `neural` analyzer on tiny models built here."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fresh_imports import packages_imported
from neural_toy import make_classifier, toy_polarity
from sentiment import Mode, ResourceError, UnsupportedModeError
from sentiment.neural.checkpoint import CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE, built_for_loading, load_model, load_weights, save_model
from sentiment.neural.train import Encoded, TrainConfig, fit
from sentiment.types import EMOTION_LABELS, FINE_GRAINED_LABELS, INTENT_LABELS, POLARITY_LABELS

OVERFIT = TrainConfig(optimizer="adam", lr=0.05, batch_size=8, epochs=25, patience=None)
ARCHITECTURES = [
    ("mlp", {}),
    ("rnn", {"cell": "gru", "pooling": "max"}),
    ("rnn", {"cell": "lstm", "pooling": "attention", "bidirectional": False}),
]


@pytest.mark.parametrize(("arch", "net"), ARCHITECTURES, ids=["mlp", "rnn-gru-max", "rnn-lstm-attention"])
def test_overfit_save_load_identical_predictions(tmp_path, arch, net):
    texts, labels = toy_polarity(24)
    classifier = make_classifier(texts, ("negative", "positive"), arch=arch, **net)
    fit(classifier, Encoded.of(classifier, texts, labels), OVERFIT)
    before = classifier.predict(texts)
    assert [classifier.labels[i] for i in before.probabilities.argmax(1)] == labels  # overfit
    save_model(classifier, tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} == {CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE}
    loaded = load_model(tmp_path / "model")
    assert loaded.net_config == classifier.net_config and loaded.labels == classifier.labels
    np.testing.assert_array_equal(loaded.predict(texts).probabilities, before.probabilities)
    config = json.loads((tmp_path / "model" / CONFIG_FILE).read_text())
    assert config["arch"] == f"{arch}.v1" and config["format_version"] == 1


@pytest.fixture()
def saved(tmp_path):
    texts, _ = toy_polarity(8)
    return save_model(make_classifier(texts, ("negative", "positive")), tmp_path / "model")


def test_corrupted_weights_give_a_clear_error(saved):
    weights = saved / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ResourceError, match="model.safetensors are corrupted"):
        load_model(saved)


def test_weights_of_another_network_give_a_clear_error(saved, tmp_path):
    texts, _ = toy_polarity(8)
    other = save_model(make_classifier(texts, ("negative", "positive"), hidden=[{"size": 3}]), tmp_path / "other")
    (saved / WEIGHTS_FILE).write_bytes((other / WEIGHTS_FILE).read_bytes())
    with pytest.raises(ResourceError, match="do not match the network"):
        load_model(saved)


@pytest.mark.parametrize("missing", [CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE])
def test_missing_file_gives_a_clear_error(saved, missing):
    (saved / missing).unlink()
    with pytest.raises(ResourceError, match="missing"):
        load_model(saved)


def test_wrong_format_version_and_broken_json_are_refused(saved):
    config = json.loads((saved / CONFIG_FILE).read_text())
    (saved / CONFIG_FILE).write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(ResourceError, match="format version 99"):
        load_model(saved)
    (saved / CONFIG_FILE).write_text("{not json")
    with pytest.raises(ResourceError, match="corrupted"):
        load_model(saved)
    (saved / CONFIG_FILE).write_text(json.dumps({**config, "arch": "cnn.v9", "net": {**config["net"], "arch": "cnn.v9"}}))
    with pytest.raises(ResourceError, match="valid: mlp.v1, rnn.v1"):
        load_model(saved)


# --- the analyzer ------------------------------------------------------------------------------

MODE_TASKS = {
    Mode.POLARITY: (POLARITY_LABELS, "multiclass"),
    Mode.FINE_GRAINED: (FINE_GRAINED_LABELS, "multiclass"),
    Mode.EMOTION: (EMOTION_LABELS, "multilabel"),
    Mode.INTENT: (INTENT_LABELS, "multiclass"),
}


@pytest.fixture(scope="module")
def model_root(tmp_path_factory):
    """models/neural/<mode>/ for every mode, each a tiny MLP trained for a few steps."""
    root = tmp_path_factory.mktemp("models")
    texts, polarity = toy_polarity(16)
    for mode, (labels, task) in MODE_TASKS.items():
        classifier = make_classifier(texts, labels, task=task)
        gold = [labels[-1] if p == "positive" else labels[0] for p in polarity]
        if task == "multilabel":
            gold = [(g,) for g in gold]
        fit(classifier, Encoded.of(classifier, texts, gold), TrainConfig(lr=0.05, batch_size=8, epochs=3, patience=None))
        save_model(classifier, root / "neural" / mode.value)
    return root


@pytest.fixture(scope="module")
def analyzer(model_root):
    from sentiment.neural.analyzer import NeuralAnalyzer

    return NeuralAnalyzer(models_dir=model_root)


def test_analyzer_serves_every_mode_with_a_model(analyzer):
    assert analyzer.name == "neural"
    assert analyzer.modes == frozenset(MODE_TASKS)


def test_analyzer_results_batch_equals_single_and_explanations_point_into_the_text(analyzer):
    texts = ["The film was great. The hotel was awful!", "dull", "", "Très bon café 😍"]
    modes = ["polarity", "fine_grained", "emotion", "intent"]
    batch = analyzer.analyze_batch(texts, modes=modes)
    assert batch == [analyzer.analyze(t, modes=modes) for t in texts]
    first = batch[0]
    assert first.polarity.label in POLARITY_LABELS and -1 <= first.polarity.score <= 1
    assert abs(sum(first.polarity.probabilities.values()) - 1) < 1e-6
    assert 1 <= first.fine_grained.score <= 5 and first.fine_grained.stars in range(1, 6)
    assert first.emotion.labels and set(first.emotion.scores) == set(EMOTION_LABELS)
    assert first.intent.label in INTENT_LABELS
    assert len(first.sentences) == 2
    for result in batch:
        for token in result.explanation:
            assert result.text[token.start : token.end] == token.token
    assert batch[2].explanation == ()


def test_without_sentences_skips_only_the_sentence_pass(analyzer):
    texts = ["The film was great. The hotel was awful!", "dull", "One. Two. Three?"]
    modes = ["polarity", "fine_grained"]
    lean = analyzer.without_sentences()
    assert lean.sentences is False and analyzer.sentences is True and lean.models is analyzer.models
    for full, fast in zip(analyzer.analyze_batch(texts, modes), lean.analyze_batch(texts, modes)):
        assert full.sentences and fast.sentences is None
        assert {**full.to_dict(), "sentences": None} == fast.to_dict()


def test_explanation_weights_follow_the_polarity_words(analyzer):
    result = analyzer.analyze("the film was great", modes=["polarity"])
    weights = {t.token: t.weight for t in result.explanation}
    assert result.polarity.label == "positive" and weights["great"] > 0
    assert max(weights, key=weights.get) == "great"


def test_analyzer_with_explicit_model_dirs_serves_only_those(model_root):
    from sentiment.neural.analyzer import NeuralAnalyzer

    only = NeuralAnalyzer(model_dirs={"intent": model_root / "neural" / "intent"}, explain=False)
    assert only.modes == frozenset({Mode.INTENT})
    assert only.analyze("great", modes=["intent"]).explanation is None
    with pytest.raises(UnsupportedModeError, match="valid modes: intent"):
        only.analyze("great", modes=["polarity"])


def test_analyzer_refuses_a_model_with_the_wrong_labels_and_a_missing_folder(model_root, tmp_path):
    from sentiment.neural.analyzer import NeuralAnalyzer

    with pytest.raises(ResourceError, match="mode polarity needs"):
        NeuralAnalyzer(model_dirs={"polarity": model_root / "neural" / "intent"})
    with pytest.raises(ResourceError, match="no neural models found"):
        NeuralAnalyzer(models_dir=tmp_path)


def test_importing_sentiment_does_not_import_torch():
    code = "import sentiment, sentiment.corpora; sentiment.available_analyzers()"
    assert packages_imported(code, ("torch",)) == []


def test_the_shipped_analyzers_load_and_predict_without_the_training_and_scoring_libraries():
    # scikit-learn (with the SciPy and pandas it imports) took about 1.3 s of a neural CLI run's start
    code = (
        "from sentiment import get_analyzer\n"
        "for name, options in (('neural', {}), ('neural', {'arch': 'rnn'}), ('hybrid', {})):\n"
        "    analyzer = get_analyzer(name, **options)\n"
        "    analyzer.analyze_batch(['The battery dies fast. I want a refund!'], [m.value for m in analyzer.modes])\n"
    )
    assert packages_imported(code, ("sklearn", "scipy", "pandas", "matplotlib", "datasets", "transformers")) == []


def test_bag_occlusion_equals_rerunning_the_bag_without_the_token():
    import torch

    from sentiment.neural.attribution import attributions

    texts, labels = toy_polarity(16)
    classifier = make_classifier(texts, ("negative", "positive"))
    fit(classifier, Encoded.of(classifier, texts, labels), TrainConfig(lr=0.05, batch_size=8, epochs=3, patience=None))
    tokens = ["the", "film", "was", "great"]
    positive = lambda outputs, rows: outputs[:, 1]  # noqa: E731
    weights = attributions(classifier, [tokens], positive)[0]
    ids, owners = classifier.featurizer.bag_features(tokens)
    full = float(classifier.forward_ids([ids])[0, 1])
    for position, weight in enumerate(weights):
        kept = [i for i, (first, last) in zip(ids, owners) if not first <= position <= last]
        assert weight == pytest.approx(full - float(classifier.forward_ids([kept])[0, 1]), abs=1e-5)
    rnn = make_classifier(texts, ("negative", "positive"), arch="rnn")
    rnn.net.train()
    rnn_weights = attributions(rnn, [tokens, tokens[:2]], positive)
    assert [len(w) for w in rnn_weights] == [4, 2] and np.isfinite(rnn_weights[0]).all()
    assert rnn.net.training and all(p.grad is None for p in rnn.net.parameters())  # left as it was


def test_model_dirs_for_a_mode_without_a_neural_model_lists_the_servable_modes(model_root):
    from sentiment.neural.analyzer import NeuralAnalyzer

    with pytest.raises(UnsupportedModeError, match="valid modes: emotion, fine_grained, intent, polarity"):
        NeuralAnalyzer(model_dirs={"aspect": model_root / "neural" / "intent"})


def test_arch_rnn_loads_the_rnn_family_and_explains_with_gradients(model_root):
    from sentiment.neural.analyzer import NeuralAnalyzer

    texts, polarity = toy_polarity(16)
    rnn = make_classifier(texts, POLARITY_LABELS, arch="rnn")
    fit(rnn, Encoded.of(rnn, texts, polarity), TrainConfig(lr=0.05, batch_size=8, epochs=2, patience=None))
    save_model(rnn, model_root / "neural" / "rnn" / "polarity")
    analyzer = NeuralAnalyzer(models_dir=model_root, arch="rnn")
    assert analyzer.modes == frozenset({Mode.POLARITY})
    texts = ["the hotel was awful. the film was great", "fun"]
    batch = analyzer.analyze_batch(texts)
    assert batch == [analyzer.analyze(t) for t in texts]
    assert {t.token for t in batch[0].explanation} <= {"the", "hotel", "was", "awful", ".", "film", "great"}
    with pytest.raises(ValueError, match="valid: mlp, rnn"):
        NeuralAnalyzer(models_dir=model_root, arch="cnn")


def test_a_network_built_for_loading_skips_its_random_initialisation_only():
    class WithDerivedBuffer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)
            self.gru = torch.nn.GRU(2, 2)
            self.register_buffer("scale", torch.ones(2), persistent=False)  # made as usual, in no weights file

    state = torch.random.get_rng_state()
    net = built_for_loading(WithDerivedBuffer)
    assert torch.equal(torch.random.get_rng_state(), state)  # nothing was drawn
    assert torch.equal(net.scale, torch.ones(2))
    weights = {name: torch.full_like(t, 0.5) for name, t in WithDerivedBuffer().state_dict().items()}
    with pytest.raises(RuntimeError, match="Missing key"):
        load_weights(net, {k: v for k, v in weights.items() if k != "linear.bias"})
    load_weights(net, weights)
    assert net.linear(torch.ones(1, 2)).item() == 1.5
    assert all(torch.equal(t, torch.full_like(t, 0.5)) for t in net.gru.parameters())
