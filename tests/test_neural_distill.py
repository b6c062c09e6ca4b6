"""Distillation from seeds (`[distill]`, distill.py): teachers trained once and reused, the student
trained on the mixed targets, config errors that name the valid keys."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neural_toy import write_tiny_project
from sentiment.corpora import Corpus
from sentiment.neural import distill
from sentiment.neural.checkpoint import load_model
from sentiment.neural.experiment import read_config, train_from_config

DISTILL = """
[distill]
teacher_seeds = [1, 2]
teachers_dir = "{root}/teachers"
weight = 0.6
"""


@pytest.fixture()
def project(tmp_path):
    write_tiny_project(tmp_path, "student.toml", DISTILL.format(root=tmp_path.as_posix()))
    write_tiny_project(tmp_path, "plain.toml")
    return tmp_path


def test_teachers_are_trained_once_then_reused_and_the_student_records_them(project):
    outcome = train_from_config(project / "student.toml", output=project / "student", progress=False)
    teachers = [project / "teachers" / f"seed-{seed}" for seed in (1, 2)]
    for folder, seed in zip(teachers, (1, 2)):
        recorded = json.loads((folder / "config.json").read_text())["training"]
        assert recorded["config"]["train"]["seed"] == seed and "distill" not in recorded["config"]
        assert (folder / "train_config.toml").read_text().startswith(f"# This model is the teacher with seed {seed}")
    record = json.loads((project / "student" / "config.json").read_text())["training"]
    assert record["distillation"]["teacher_seeds"] == [1, 2] and record["distillation"]["weight"] == 0.6
    assert record["data"]["train"].endswith("(distilled)")

    # a second run reuses both teachers (their weights are untouched) and trains the same student
    before = [(folder / "model.safetensors").stat().st_mtime_ns for folder in teachers]
    again = train_from_config(project / "student.toml", output=project / "student-again", progress=False)
    assert [(folder / "model.safetensors").stat().st_mtime_ns for folder in teachers] == before
    texts = ["the film was great", "an awful boring mess"]
    np.testing.assert_array_equal(outcome.classifier.predict(texts).probabilities, again.classifier.predict(texts).probabilities)


def test_a_teacher_from_another_config_is_retrained(project):
    distill_table = {"teacher_seeds": [1], "teachers_dir": str(project / "teachers"), "weight": 0.5}
    train_from_config(project / "plain.toml", output=project / "teachers" / "seed-1", progress=False)

    config = {**read_config(project / "plain.toml"), "distill": distill_table}
    wanted = distill.teacher_config(config, 1, project / "teachers" / "seed-1")
    assert not distill.is_trained_from(project / "teachers" / "seed-1", wanted)  # trained with seed 5, not 1
    wanted_seed_5 = distill.teacher_config(config, 5, project / "teachers" / "seed-1")
    assert distill.is_trained_from(project / "teachers" / "seed-1", wanted_seed_5)


def test_distilled_targets_mix_the_teachers_with_the_gold_label():
    corpus = Corpus(("a", "b"), ("positive", {"negative": 0.5, "positive": 0.5}), "toy")
    teachers = np.array([[0.2, 0.8], [1.0, 0.0]])
    soft = distill.distilled(corpus, teachers, ["negative", "positive"], 0.25)
    assert dict(soft.labels[0]) == pytest.approx({"negative": 0.05, "positive": 0.95})
    assert dict(soft.labels[1]) == pytest.approx({"negative": 0.625, "positive": 0.375})
    assert soft.texts == corpus.texts


def test_the_student_of_averaged_teachers_uses_their_mean(project):
    one = train_from_config(project / "plain.toml", output=project / "a", progress=False, overrides={"seed": 1}).classifier
    two = train_from_config(project / "plain.toml", output=project / "b", progress=False, overrides={"seed": 2}).classifier
    models = [load_model(project / "a").batch_invariant(), load_model(project / "b").batch_invariant()]
    texts = ["the film was great", "an awful boring mess", "plain words"]
    mean = distill.averaged_probabilities(models, texts, ["positive", "negative"])  # columns by name
    expected = (one.predict(texts).probabilities + two.predict(texts).probabilities)[:, ::-1] / 2
    np.testing.assert_allclose(mean, expected, atol=1e-6)


@pytest.mark.parametrize(
    "table, message",
    [
        ({"teacher_seeds": [1], "teachers_dir": "t", "wieght": 0.5}, "unknown keys \\['wieght'\\] in \\[distill\\]; valid: teacher_seeds, teachers_dir, weight"),
        ({"teacher_seeds": [], "teachers_dir": "t"}, "non-empty list of distinct integer seeds"),
        ({"teacher_seeds": [1, 1], "teachers_dir": "t"}, "distinct"),
        ({"teacher_seeds": [1]}, "needs teachers_dir"),
        ({"teacher_seeds": [1], "teachers_dir": "t", "weight": 0}, "weight must be in \\(0, 1\\]"),
    ],
)
def test_bad_distill_tables_say_what_is_valid(table, message):
    with pytest.raises(ValueError, match=message):
        distill.DistillConfig.from_table(table)


def test_distillation_needs_a_multiclass_task(project):
    config = {"model": {"task": "multilabel"}, "distill": {"teacher_seeds": [1], "teachers_dir": "t"}}
    with pytest.raises(ValueError, match="needs a multiclass task"):
        distill.distill_corpus(config, Corpus(("a",), ("x",), "toy"), ["x"], lambda teacher: None)
