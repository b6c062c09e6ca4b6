"""The training toolkit: every loss, optimizer, activation, initialisation and batch size trains
(loss goes down); zeros init shows the symmetry problem; seeds make runs repeatable."""

from __future__ import annotations

import pytest
import torch

from neural_toy import make_classifier, toy_polarity
from sentiment.neural.losses import LOSSES, make_loss
from sentiment.neural.nets import ACTIVATIONS, INITS
from sentiment.neural.optim import OPTIMIZERS
from sentiment.neural.train import Encoded, TrainConfig, fit

BINARY_LABELS = ("negative", "positive")
# Rates that make a tiny net learn within a few epochs (SGD needs larger steps than Adam).
RATES = {"sgd": 0.5, "momentum": 0.1, "nesterov": 0.1, "adam": 0.05, "adamw": 0.05}


@pytest.fixture(scope="module")
def toy():
    return toy_polarity(40)


def _run(toy, task="multiclass", arch="mlp", epochs=8, **train_options):
    texts, labels = toy
    classifier = make_classifier(texts, BINARY_LABELS, arch=arch, task=task, **train_options.pop("net", {}))
    data = Encoded.of(classifier, texts, labels)
    options = {"optimizer": "adam", "lr": 0.05, "batch_size": 8, "epochs": epochs, "patience": None, **train_options}
    result = fit(classifier, data, TrainConfig(**options), dev=data)
    return classifier, result


def _decreased(result) -> bool:
    return result.history[-1]["train_loss"] < result.history[0]["train_loss"]


# loss -> the task it is exercised with
LOSS_TASKS = {
    "cross_entropy": "multiclass",
    "logistic": "binary",
    "bce": "multilabel",
    "hinge": "multiclass",
    "mse": "regression",
    "mae": "multiclass",
    "kl": "multiclass",
}


def test_every_loss_is_exercised():
    assert set(LOSS_TASKS) == set(LOSSES)


@pytest.mark.parametrize("loss", LOSSES)
def test_each_loss_decreases(toy, loss):
    _, result = _run(toy, task=LOSS_TASKS[loss], loss=loss)
    assert _decreased(result), result.history


def test_hinge_on_sigmoid_outputs_decreases(toy):
    _, result = _run(toy, task="binary", loss="hinge")
    assert _decreased(result)


def test_loss_that_does_not_fit_the_output_is_refused():
    with pytest.raises(ValueError, match="needs one of: softmax"):
        make_loss("kl", "sigmoid")
    with pytest.raises(ValueError, match="valid: cross_entropy"):
        make_loss("focal", "softmax")


def test_kl_with_soft_targets_matches_cross_entropy_minus_entropy():
    logits = torch.tensor([[0.3, -1.0, 2.0]])
    soft = torch.tensor([[0.2, 0.3, 0.5]])
    entropy = -(soft * soft.log()).sum()
    assert torch.allclose(make_loss("kl", "softmax")(logits, soft), make_loss("cross_entropy", "softmax")(logits, soft) - entropy)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_decreases_the_loss(toy, optimizer):
    _, result = _run(toy, optimizer=optimizer, lr=RATES[optimizer])
    assert _decreased(result)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_trains(toy, activation):
    _, result = _run(toy, net={"hidden": [{"size": 8, "activation": activation, "negative_slope": 0.2}]})
    assert _decreased(result)


@pytest.mark.parametrize("init", [i for i in INITS if i != "zeros"])
def test_each_random_init_trains(toy, init):
    _, result = _run(toy, net={"init": init})
    assert _decreased(result) and result.best_dev["dev_accuracy"] == 1.0


def test_zeros_init_keeps_hidden_units_identical(toy):
    """Symmetry failure: with every weight matrix zero, all hidden units get the same gradient
    and stay copies of each other however long we train."""
    classifier, result = _run(toy, net={"init": "zeros", "hidden": [{"size": 6, "activation": "sigmoid"}]})
    first_layer = classifier.net.feed_forward[0].weight.detach()
    assert torch.allclose(first_layer, first_layer[0].expand_as(first_layer))
    output_layer = classifier.net.feed_forward[-1].weight.detach()
    assert output_layer.abs().sum() > 0  # the output layer did learn, just identically per unit
    assert torch.allclose(output_layer, output_layer[:, :1].expand_as(output_layer))


@pytest.mark.parametrize("batch_size", [1, 5, "full"])
def test_stochastic_minibatch_and_full_batch(toy, batch_size):
    epochs = 30 if batch_size == "full" else 4
    _, result = _run(toy, batch_size=batch_size, epochs=epochs)
    assert _decreased(result)


def test_rnn_cells_and_poolings_train(toy):
    for net in ({"cell": "gru", "pooling": "max"}, {"cell": "lstm", "pooling": "attention", "bidirectional": False},
                {"cell": "gru", "pooling": "mean"}, {"cell": "lstm", "pooling": "last"}):
        _, result = _run(toy, arch="rnn", epochs=6, net=net)
        assert _decreased(result), net


def test_same_seed_same_weights_different_seed_different_weights(toy):
    a, _ = _run(toy, epochs=2, seed=3)
    b, _ = _run(toy, epochs=2, seed=3)
    c, _ = _run(toy, epochs=2, seed=4)
    for name, tensor in a.net.state_dict().items():
        assert torch.equal(tensor, b.net.state_dict()[name])
    assert any(not torch.equal(t, c.net.state_dict()[n]) for n, t in a.net.state_dict().items())


def test_penalties_shrink_weights(toy):
    plain, _ = _run(toy, epochs=5)
    penalized, _ = _run(toy, epochs=5, l2=0.05, l1=0.01)
    norm = lambda c: sum(float(w.detach().norm()) for w in c.net.feed_forward.parameters() if w.dim() > 1)  # noqa: E731
    assert norm(penalized) < norm(plain)


def test_gradient_norms_are_logged_per_layer_and_clipping_runs(toy):
    _, result = _run(toy, epochs=2, clip_grad_norm=0.01, net={"dropout": 0.3})
    norms = result.history[0]["grad_norms"]
    assert {"embedding.weight", "feed_forward.0.weight", "feed_forward.3.weight"} <= set(norms)  # 1: tanh, 2: dropout
    assert all(value >= 0 for value in norms.values())


def test_schedules_move_the_rate(toy):
    _, step = _run(toy, epochs=3, schedule="step", step_epochs=1, gamma=0.5, lr=0.04)
    assert [round(h["lr"], 6) for h in step.history] == [0.02, 0.01, 0.005]
    _, cycle = _run(toy, epochs=4, schedule="one_cycle", lr=0.04)
    rates = [h["lr"] for h in cycle.history]
    assert max(rates) <= 0.04 + 1e-9 and rates[-1] < rates[1]


def test_early_stopping_keeps_the_best_epoch(toy):
    texts, labels = toy
    classifier = make_classifier(texts, BINARY_LABELS)
    train = Encoded.of(classifier, texts, labels)
    flipped = Encoded.of(classifier, texts, ["positive" if l == "negative" else "negative" for l in labels])
    result = fit(classifier, train, TrainConfig(optimizer="adam", lr=0.05, batch_size=8, epochs=30, patience=2, monitor="loss"), dev=flipped)
    assert result.stopped_early and len(result.history) == result.best_epoch + 2


def test_bad_config_values_name_the_valid_choices():
    with pytest.raises(ValueError, match="valid: sgd, momentum, nesterov, adam, adamw"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="'full'"):
        TrainConfig(batch_size=0)
