"""`sentiment train / lr-find / evaluate` through Typer's CliRunner, and the range test itself."""

from __future__ import annotations

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from neural_toy import toy_polarity, write_tiny_project
from sentiment.cli.main import app
from sentiment.neural.lr_find import lr_range_test
from sentiment.neural.model import TextClassifier
from sentiment.neural.nets import MLPConfig
from sentiment.neural.train import Encoded, TrainConfig
from sentiment.neural.vocab import FeatureConfig, Featurizer, Vocab

runner = CliRunner()

@pytest.fixture()
def project(tmp_path):
    write_tiny_project(tmp_path)
    return tmp_path


def test_train_then_evaluate_the_model(project):
    model = project / "model"
    result = runner.invoke(app, ["train", "--config", str(project / "tiny.toml"), "--out", str(model), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output
    config = json.loads((model / "config.json").read_text())
    assert config["training"]["config"]["train"]["seed"] == 5 and config["metrics"]["dev"]["size"] == 8
    assert {"train_config.toml", "history.json", "curves.png", "model.safetensors", "vocab.json"} <= {p.name for p in model.iterdir()}
    assert len(json.loads((model / "history.json").read_text())) >= 1

    png = project / "confusion.png"
    result = runner.invoke(app, ["evaluate", str(model), str(project / "train.csv"), "--text-column", "review",
                                 "--label-column", "stars", "--label-map", '{"1": "negative", "5": "positive"}',
                                 "--confusion-png", str(png), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["size"] == 32 and report["accuracy"] > 0.9
    assert png.stat().st_size > 0


def test_evaluate_an_analyzer_by_name(project, fake_analyzer):
    result = runner.invoke(app, ["evaluate", "fake", str(project / "train.csv"), "--text-column", "review",
                                 "--label-column", "stars", "--label-map", "stars_to_polarity", "--mode", "polarity"])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output


def test_bad_config_is_one_line_and_exit_code_2(project):
    (project / "bad.toml").write_text((project / "tiny.toml").read_text().replace('"adam"', '"rmsprop"'))
    result = runner.invoke(app, ["train", "--config", str(project / "bad.toml")])
    assert result.exit_code == 2 and "valid: sgd, momentum, nesterov, adam, adamw" in result.output
    result = runner.invoke(app, ["train", "--config", str(project / "missing.toml")])
    assert result.exit_code == 2 and "not found" in result.output


def test_lr_find_command_writes_a_plot(project):
    png = project / "lr.png"
    result = runner.invoke(app, ["lr-find", "--config", str(project / "tiny.toml"), "--out", str(png), "--steps", "40"])
    assert result.exit_code == 0, result.output
    assert "suggested max learning rate" in result.output and png.stat().st_size > 0


def test_range_test_suggests_a_sensible_rate_and_restores_the_weights():
    """On a separable toy problem plain SGD learns between about 1e-2 and 10 and diverges above:
    the suggestion must land in the learning range, well below the divergence point."""
    texts, labels = toy_polarity(40)
    features = FeatureConfig(word_ngrams=1)
    featurizer = Featurizer(features, Vocab.build(texts, features))
    torch.manual_seed(0)
    classifier = TextClassifier.create(
        "multiclass", ("negative", "positive"), featurizer, MLPConfig(num_ids=featurizer.num_ids, num_outputs=2, embedding_dim=8)
    )
    before = {k: v.clone() for k, v in classifier.net.state_dict().items()}
    config = TrainConfig(optimizer="sgd", batch_size=8, lr=1.0)
    result = lr_range_test(classifier, Encoded.of(classifier, texts, labels), config, start=1e-4, end=1e4, steps=120)
    assert 1e-2 <= result.suggested <= 10
    assert result.diverged
    assert min(result.smoothed) < result.smoothed[0]
    assert all(torch.equal(v, classifier.net.state_dict()[k]) for k, v in before.items())
    assert all(math.isfinite(v) for v in result.losses)
