"""The optional `transformer` analyzer on tiny random checkpoints the tests write (nothing is
downloaded): label -> mode planning, exactness of batching, truncation, agreement with a plain
transformers forward pass, and a clear error for every way a checkpoint directory can be wrong."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from sentiment import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    INTENT_LABELS,
    POLARITY_LABELS,
    Mode,
    ResourceError,
    UnsupportedModeError,
    get_analyzer,
)
from sentiment.cli.main import app
from sentiment.transformer import CHECKPOINT_ENV, TransformerAnalyzer
from sentiment.transformer_labels import LabelMappingError, LabelPlan, plan_labels
from tiny_transformer import MAX_LENGTH, tiny_checkpoint

STARS = ("1 star", "2 stars", "3 stars", "4 stars", "5 stars")
GENERIC = ("LABEL_0", "LABEL_1", "LABEL_2")
TEXTS = [
    "the film was good",
    "I hate it. It was awful!",
    "",
    "not very good, not very bad",
    "Très bon café 😍",
    "a " * 120,
]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Tiny checkpoints by name: polarity labels, five stars, and LABEL_0..2."""
    root = tmp_path_factory.mktemp("tiny-transformers")
    return {
        "polarity": tiny_checkpoint(root / "polarity", POLARITY_LABELS),
        "stars": tiny_checkpoint(root / "stars", STARS, seed=1),
        "generic": tiny_checkpoint(root / "generic", GENERIC, seed=2),
    }


@pytest.fixture(scope="module")
def polarity(checkpoints) -> TransformerAnalyzer:
    return get_analyzer("transformer", path=checkpoints["polarity"], batch_size=2)


@pytest.fixture(scope="module")
def stars(checkpoints) -> TransformerAnalyzer:
    return get_analyzer("transformer", path=checkpoints["stars"])


def _broken_copy(checkpoints, tmp_path, name="polarity"):
    folder = tmp_path / "checkpoint"
    shutil.copytree(checkpoints[name], folder)
    return folder


# --- which mode the labels serve ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "mode", "modes", "targets"),
    [
        (("negative", "neutral", "positive"), Mode.POLARITY, {Mode.POLARITY}, POLARITY_LABELS),
        (("NEGATIVE", "POSITIVE"), Mode.POLARITY, {Mode.POLARITY}, ("negative", "positive")),
        (("neg", "neu", "pos"), Mode.POLARITY, {Mode.POLARITY}, POLARITY_LABELS),
        (STARS, Mode.FINE_GRAINED, {Mode.FINE_GRAINED, Mode.POLARITY}, FINE_GRAINED_LABELS),
        (("Very Negative", "negative", "Neutral", "positive", "very-positive"), Mode.FINE_GRAINED,
         {Mode.FINE_GRAINED, Mode.POLARITY}, FINE_GRAINED_LABELS),
        (tuple(reversed(EMOTION_LABELS)), Mode.EMOTION, {Mode.EMOTION}, tuple(reversed(EMOTION_LABELS))),
        (INTENT_LABELS, Mode.INTENT, {Mode.INTENT}, INTENT_LABELS),
    ],
)
def test_labels_that_name_a_mode_select_it(labels, mode, modes, targets):
    plan = plan_labels(labels)
    assert (plan.mode, plan.modes, plan.targets) == (mode, frozenset(modes), targets)


def test_generic_labels_need_a_mode_and_are_then_read_in_its_order():
    with pytest.raises(LabelMappingError, match=r"pass mode=.*polarity: negative, neutral, positive; fine_grained: very_negative"):
        plan_labels(GENERIC)
    assert plan_labels(GENERIC, mode="polarity").targets == POLARITY_LABELS
    assert plan_labels(("LABEL_1", "LABEL_0"), mode=Mode.POLARITY).targets == ("positive", "negative")
    with pytest.raises(LabelMappingError, match="valid fine_grained labels: very_negative, negative, neutral"):
        plan_labels(GENERIC, mode="fine_grained")  # three outputs cannot be five stars


def test_an_unknown_or_unservable_mode_lists_the_valid_modes():
    for mode in ("sarcasm", "aspect"):
        with pytest.raises(UnsupportedModeError, match="valid modes: emotion, fine_grained, intent, polarity"):
            plan_labels(POLARITY_LABELS, mode=mode)


def test_label_map_renames_merges_and_names_what_is_wrong():
    emotion6 = ("sadness", "joy", "love", "anger", "fear", "surprise")
    plan = plan_labels(emotion6, mode="emotion", label_map={**{e: e for e in emotion6}, "love": "joy"})
    assert plan.targets == ("sadness", "joy", "joy", "anger", "fear", "surprise")
    probabilities = np.array([[0.1, 0.2, 0.3, 0.1, 0.2, 0.1]])
    merged = dict(zip(EMOTION_LABELS, plan.scores(probabilities, multi_label=False)[0]))
    assert merged["joy"] == pytest.approx(0.5) and merged["disgust"] == 0.0 and merged["neutral"] == 0.0
    assert dict(zip(EMOTION_LABELS, plan.scores(probabilities, multi_label=True)[0]))["joy"] == pytest.approx(0.3)
    with pytest.raises(LabelMappingError, match=r"no entry for the checkpoint labels \['love'\]"):
        plan_labels(emotion6, mode="emotion", label_map={e: e for e in emotion6 if e != "love"})
    with pytest.raises(LabelMappingError, match=r"\['happy'\] are not emotion labels; valid emotion labels: anger, disgust"):
        plan_labels(("happy", "anger"), mode="emotion", label_map={"happy": "happy", "anger": "anger"})


def test_label_plan_scores_sum_single_label_outputs_per_mode_label():
    plan = LabelPlan(Mode.POLARITY, ("negative", "positive", "positive"))
    scores = plan.scores(np.array([[0.2, 0.5, 0.3]]), multi_label=False)
    assert scores.tolist() == [[0.2, 0.0, 0.8]]


# --- predictions ----------------------------------------------------------------------------------


def test_probabilities_match_a_plain_transformers_forward_pass(checkpoints, polarity):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoints["polarity"], local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoints["polarity"], local_files_only=True).eval()
    texts = TEXTS[:2]
    with torch.inference_mode():
        logits = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    expected = torch.softmax(logits, -1).numpy()
    assert np.allclose(polarity.probabilities(texts), expected, atol=1e-5)
    results = polarity.analyze_batch(texts)
    for row, result in zip(expected, results):
        assert result.polarity.label == POLARITY_LABELS[int(row.argmax())]
        assert result.polarity.score == pytest.approx(float(row[2] - row[0]), abs=1e-5)


def test_predictions_are_deterministic_and_differ_between_texts(checkpoints, polarity):
    again = get_analyzer("transformer", path=checkpoints["polarity"])
    first, second = polarity.analyze_batch(TEXTS), again.analyze_batch(TEXTS)
    assert first == second
    assert len({r.polarity.score for r in first}) == len(TEXTS)  # random weights, yet text-dependent


def test_analyze_batch_equals_analyze_per_text_whatever_the_batching(polarity, stars):
    for analyzer, modes in ((polarity, ["polarity"]), (stars, ["fine_grained", "polarity"])):
        batch = analyzer.analyze_batch(TEXTS, modes=modes)
        assert batch == [analyzer.analyze(text, modes=modes) for text in TEXTS]
        assert analyzer.analyze_batch(TEXTS[::-1], modes=modes) == batch[::-1]


def test_long_texts_are_truncated_to_the_model_limit(polarity):
    assert polarity.max_length == MAX_LENGTH
    long, longer = polarity.analyze_batch(["good " * MAX_LENGTH, "good " * (4 * MAX_LENGTH)])
    assert long.polarity == longer.polarity  # both cut to the same first tokens


def test_a_five_star_checkpoint_serves_fine_grained_and_polarity_folded_from_it(stars):
    assert stars.modes == {Mode.FINE_GRAINED, Mode.POLARITY}
    for result in stars.analyze_batch(TEXTS, modes=["fine_grained", "polarity"]):
        fine, polarity = result.fine_grained.probabilities, result.polarity.probabilities
        assert polarity["negative"] == pytest.approx(fine["very_negative"] + fine["negative"], abs=1e-6)
        assert polarity["neutral"] == pytest.approx(fine["neutral"], abs=1e-6)
        assert result.fine_grained.score == pytest.approx(sum(i * fine[l] for i, l in enumerate(FINE_GRAINED_LABELS, 1)), abs=1e-5)
    with pytest.raises(UnsupportedModeError, match="valid modes: fine_grained, polarity"):
        stars.analyze("good", modes=["emotion"])


def test_multi_sentence_texts_get_per_sentence_polarity(polarity):
    text = "The film was good. I hate it!"
    (result,) = polarity.analyze_batch([text])
    assert [s.text for s in result.sentences] == ["The film was good.", "I hate it!"]
    assert result.sentences[1].polarity == polarity.analyze("I hate it!").polarity


def test_generic_labels_load_with_an_explicit_mode(checkpoints):
    with pytest.raises(ResourceError, match="LABEL_0, LABEL_1, LABEL_2.*pass mode="):
        get_analyzer("transformer", path=checkpoints["generic"])
    analyzer = get_analyzer("transformer", path=checkpoints["generic"], mode="polarity")
    assert analyzer.metadata["label_targets"] == dict(zip(GENERIC, POLARITY_LABELS))
    assert json.loads(json.dumps(analyzer.metadata))["read_as"] == "polarity"


def test_threads_option_sets_torch_threads(checkpoints):
    get_analyzer("transformer", path=checkpoints["polarity"], threads=1)
    assert torch.get_num_threads() == 1


# --- a checkpoint directory that is missing or wrong ----------------------------------------------


def test_no_path_says_how_to_pass_one(monkeypatch):
    monkeypatch.delenv(CHECKPOINT_ENV, raising=False)
    with pytest.raises(ResourceError, match=rf"none ships.*path='DIR'.*{CHECKPOINT_ENV}"):
        get_analyzer("transformer")


def test_the_environment_variable_names_the_checkpoint(monkeypatch, checkpoints, polarity):
    monkeypatch.setenv(CHECKPOINT_ENV, str(checkpoints["polarity"]))
    assert get_analyzer("transformer").analyze(TEXTS[0]) == polarity.analyze(TEXTS[0])


def test_a_hub_name_is_not_looked_up(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ResourceError, match="checkpoint directory not found: distilbert-base-uncased"):
        get_analyzer("transformer", path="distilbert-base-uncased")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "config.json").unlink(), "has no config.json: not a Hugging Face checkpoint"),
        (lambda f: (f / "config.json").write_text("{not json"), r"cannot read .*config\.json"),
        (lambda f: (f / "model.safetensors").unlink(), r"has no model\.safetensors"),
        (lambda f: (f / "model.safetensors").rename(f / "pytorch_model.bin"), "pickle-based and is never loaded"),
        (lambda f: (f / "model.safetensors").write_bytes(b"\x00corrupt" * 8), r"cannot load the weights of .*model\.safetensors"),
        (lambda f: [(f / n).unlink() for n in ("tokenizer.json", "tokenizer_config.json")], "no tokenizer vocabulary in"),
    ],
    ids=["no-config", "bad-config", "no-weights", "pickled-weights", "corrupt-weights", "no-tokenizer"],
)
def test_a_broken_checkpoint_is_a_resource_error_naming_the_problem(checkpoints, tmp_path, damage, message):
    folder = _broken_copy(checkpoints, tmp_path)
    damage(folder)
    with pytest.raises(ResourceError, match=message):
        get_analyzer("transformer", path=folder)


def test_a_checkpoint_without_a_classifier_head_is_refused(checkpoints, tmp_path):
    from transformers import BertModel

    folder = _broken_copy(checkpoints, tmp_path)
    model = BertModel.from_pretrained(folder, local_files_only=True)  # the encoder alone
    (folder / "model.safetensors").unlink()
    model.save_pretrained(folder)
    with pytest.raises(ResourceError, match="not a fine-tuned sequence-classification checkpoint.*classifier"):
        get_analyzer("transformer", path=folder)


# --- command line ---------------------------------------------------------------------------------


def test_the_cli_analyzes_with_the_checkpoint_named_by_the_environment(checkpoints, polarity):
    runner = CliRunner()
    env = {CHECKPOINT_ENV: str(checkpoints["polarity"])}
    done = runner.invoke(app, ["analyze", "--analyzer", "transformer", "--text", TEXTS[0], "-f", "jsonl"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["polarity"] == json.loads(polarity.analyze(TEXTS[0]).to_json())["polarity"]
    missing = runner.invoke(app, ["analyze", "--analyzer", "transformer", "--text", "x"], env={CHECKPOINT_ENV: ""})
    assert missing.exit_code == 2 and CHECKPOINT_ENV in missing.output
