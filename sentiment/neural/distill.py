"""Knowledge distillation from an ensemble of seeds: one network learns what several agree on.

A config's `[distill]` table names the teachers' seeds. Each teacher is the same config trained
with that seed (and no `[distill]`), into `teachers_dir/seed-<n>`; a teacher already there from
the same config is reused. The student (the config itself) then trains on targets that mix the
teachers' averaged probabilities (`weight`) with the gold label (the rest): soft labels, which the
cross-entropy and KL losses take as they are. The dev split keeps its gold labels, so early
stopping and the reported metrics are the usual ones. Single-label (multiclass) tasks only.

```toml
[distill]
teacher_seeds = [13, 7, 29]
teachers_dir = "runs/polarity-rnn-teachers"
weight = 0.5
```
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..corpora import Corpus
from ..errors import ResourceError
from .checkpoint import CONFIG_FILE, load_model
from .model import TextClassifier
from .tokens import TextTokens

DISTILL_KEYS = ("teacher_seeds", "teachers_dir", "weight")
# Parts of a config that decide a teacher's weights: the output path and free text do not.
TEACHER_IDENTITY_KEYS = ("model", "features", "data", "train")


@dataclass(frozen=True)
class DistillConfig:
    teacher_seeds: tuple[int, ...]
    teachers_dir: Path
    weight: float

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> "DistillConfig":
        unknown = sorted(set(table) - set(DISTILL_KEYS))
        if unknown:
            raise ValueError(f"unknown keys {unknown} in [distill]; valid: {', '.join(DISTILL_KEYS)}")
        seeds = table.get("teacher_seeds")
        if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds) or len(set(seeds)) != len(seeds):
            raise ValueError("[distill] teacher_seeds must be a non-empty list of distinct integer seeds")
        if "teachers_dir" not in table:
            raise ValueError("[distill] needs teachers_dir, the folder the teachers are trained into")
        weight = float(table.get("weight", 0.5))
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"[distill] weight must be in (0, 1], not {weight}")
        return cls(tuple(seeds), Path(table["teachers_dir"]), weight)


def teacher_config(
    config: Mapping[str, Any], seed: int, folder: Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The config of one teacher: the student's (with the run's [train] `overrides`), with its own
    seed and output, without [distill]."""
    teacher = copy.deepcopy({key: value for key, value in config.items() if key != "distill"})
    teacher["train"] = {**teacher.get("train", {}), **(overrides or {}), "seed": seed}
    teacher["output"] = folder.as_posix()
    teacher["name"] = f"{config.get('name', 'model')}-teacher-seed-{seed}"
    return teacher


def is_trained_from(folder: Path, config: Mapping[str, Any]) -> bool:
    """Whether `folder` holds a model trained from `config` (the parts that decide its weights;
    the recorded [train] table has every default filled in, so only the config's own keys count)."""
    if not (folder / CONFIG_FILE).is_file():
        return False
    try:
        recorded = load_model(folder).metadata.get("training", {}).get("config", {})
    except ResourceError:
        return False
    for key in TEACHER_IDENTITY_KEYS:
        ours, theirs = config.get(key, {}), recorded.get(key, {})
        if key == "train":
            theirs = {name: theirs.get(name) for name in ours}
        if ours != theirs:
            return False
    return True


def teachers(
    config: Mapping[str, Any],
    distill: DistillConfig,
    train_teacher: Callable[[dict[str, Any]], object],
    overrides: Mapping[str, Any] | None = None,
    report: Callable[[str], None] = print,
) -> list[TextClassifier]:
    """The teachers, trained with `train_teacher(teacher_config)` where not already in place."""
    found = []
    for seed in distill.teacher_seeds:
        folder = distill.teachers_dir / f"seed-{seed}"
        wanted = teacher_config(config, seed, folder, overrides)
        if is_trained_from(folder, wanted):
            report(f"teacher seed {seed}: reusing {folder}")
        else:
            report(f"teacher seed {seed}: training into {folder}")
            train_teacher(wanted)
        found.append(load_model(folder).batch_invariant())
    return found


def averaged_probabilities(models: Sequence[TextClassifier], texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """The models' mean probabilities (texts, labels), columns in `labels` order."""
    total = np.zeros((len(texts), len(labels)))
    for model in models:
        if model.task != "multiclass" or set(model.labels) != set(labels):
            raise ValueError(f"a teacher must be multiclass over {list(labels)}, not {model.task} over {list(model.labels)}")
        tokens = TextTokens.of(texts, model.featurizer.config.lowercase)
        probabilities = model.predict_batch(model.token_batch(tokens)).probabilities
        total += probabilities[:, [model.labels.index(label) for label in labels]]
    return total / len(models)


def distilled(corpus: Corpus, teacher_probabilities: np.ndarray, labels: Sequence[str], weight: float) -> Corpus:
    """`corpus` with each label replaced by `weight` x the teachers' distribution + the rest x the
    gold label (a name, or already a distribution)."""
    mixed = []
    for gold, row in zip(corpus.labels, teacher_probabilities.tolist()):
        gold_share = dict(gold) if isinstance(gold, Mapping) else {gold: 1.0}
        mixed.append(
            MappingProxyType({label: weight * p + (1.0 - weight) * gold_share.get(label, 0.0) for label, p in zip(labels, row)})
        )
    return Corpus(corpus.texts, tuple(mixed), f"{corpus.source} (distilled)")


def distill_corpus(
    config: Mapping[str, Any],
    train: Corpus,
    labels: Sequence[str],
    train_teacher: Callable[[dict[str, Any]], object],
    overrides: Mapping[str, Any] | None = None,
    report: Callable[[str], None] = print,
) -> tuple[Corpus, dict[str, Any]]:
    """The training corpus with distilled targets, and what to record about it."""
    distill = DistillConfig.from_table(config["distill"])
    if config.get("model", {}).get("task", "multiclass") != "multiclass":
        raise ValueError("[distill] needs a multiclass task (soft targets over single labels)")
    models = teachers(config, distill, train_teacher, overrides, report)
    soft = distilled(train, averaged_probabilities(models, train.texts, labels), labels, distill.weight)
    summary = {
        "teacher_seeds": list(distill.teacher_seeds),
        "teachers_dir": distill.teachers_dir.as_posix(),
        "weight": distill.weight,
        "teachers_dev": [model.metadata.get("metrics", {}).get("dev", {}) for model in models],
    }
    return soft, summary
