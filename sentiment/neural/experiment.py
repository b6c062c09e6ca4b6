"""One TOML file holds every hyper-parameter of a training run; `train_from_config` reads it,
loads the data, builds the vocabulary and network, trains with early stopping on dev, tunes
multi-label thresholds on dev, and saves the model directory (which keeps the TOML).

```toml
name = "polarity"            # free text
mode = "polarity"            # the analyzer mode this model serves (optional)
output = "models/neural/polarity"

[model]                      # task, labels and the network (nets.MLPConfig / RNNConfig fields)
arch = "mlp.v1"
task = "multiclass"          # multiclass | binary | multilabel | regression
labels = ["negative", "neutral", "positive"]
embedding_dim = 32
hidden = [{ size = 64, activation = "relu" }]

[features]                   # vocab.FeatureConfig fields
word_ngrams = 2

[data]
root = "../shared/data"      # relative source paths start here (relative to the working directory)
dev_fraction = 0.1           # held out of train when there is no [[data.dev]]
[[data.train]]
path = "sst_trees/train.txt"
label_map = "sst_to_polarity"

[train]                      # train.TrainConfig fields
epochs = 10

[distill]                    # optional: learn from seeds of this config (distill.py)
teacher_seeds = [13, 7, 29]
teachers_dir = "runs/polarity-teachers"
weight = 0.5
```
"""

from __future__ import annotations

import os
import random
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..corpora import Corpus, load_sources
from ..errors import ResourceError
from .checkpoint import save_model
from .evaluate import Report, score_probabilities, tune_thresholds
from .model import TASK_OUTPUTS, TextClassifier, num_outputs
from .nets import ARCHITECTURES, config_from_dict
from .train import Encoded, TrainConfig, TrainResult, fit, save_history, seed_everything
from .vocab import FeatureConfig, Featurizer, Vocab

if TYPE_CHECKING:
    from .lr_find import RangeTest

TOP_LEVEL_KEYS = ("name", "mode", "output", "description", "model", "features", "data", "train", "distill")
MODEL_ONLY_KEYS = ("task", "labels", "tune_thresholds")
TRAINING_CONFIG_FILE = "train_config.toml"
DEFAULT_DEV_FRACTION = 0.1


@dataclass(frozen=True)
class Outcome:
    model_dir: Path
    classifier: TextClassifier
    result: TrainResult
    dev_report: Report | None
    train_size: int
    dev_size: int


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResourceError(f"training config not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ResourceError(f"training config {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(config) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ValueError(f"unknown top-level keys {unknown} in {path.name}; valid: {', '.join(TOP_LEVEL_KEYS)}")
    for table in ("model", "data"):
        if table not in config:
            raise ValueError(f"{path.name} needs a [{table}] table")
    return config


def _dataclass_kwargs(cls: type, values: Mapping[str, Any], where: str) -> dict[str, Any]:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown keys {unknown} in [{where}]; valid: {', '.join(sorted(known))}")
    return dict(values)


def split_dev(corpus: Corpus, fraction: float, seed: int) -> tuple[Corpus, Corpus]:
    """A seeded random hold-out of `fraction` of `corpus` as dev."""
    order = list(range(len(corpus)))
    random.Random(seed).shuffle(order)
    cut = int(round(len(order) * fraction))
    dev_rows, train_rows = sorted(order[:cut]), sorted(order[cut:])

    def pick(rows: list[int], suffix: str) -> Corpus:
        return Corpus(tuple(corpus.texts[i] for i in rows), tuple(corpus.labels[i] for i in rows), f"{corpus.source} {suffix}")

    return pick(train_rows, f"(train part, seed {seed})"), pick(dev_rows, f"(held-out {fraction:.0%}, seed {seed})")


def load_data(config: Mapping[str, Any], data_root: str | os.PathLike[str] | None, seed: int) -> tuple[Corpus, Corpus]:
    data = config["data"]
    root = data_root if data_root is not None else data.get("root")
    if not data.get("train"):
        raise ValueError("[data] needs at least one [[data.train]] source")
    train = load_sources(data["train"], root)
    if data.get("dev"):
        return train, load_sources(data["dev"], root)
    return split_dev(train, float(data.get("dev_fraction", DEFAULT_DEV_FRACTION)), seed)


def build_classifier(config: Mapping[str, Any], train: Corpus, seed: int) -> TextClassifier:
    """Vocabulary from the training texts, then a fresh seeded network."""
    model = dict(config["model"])
    task = model.pop("task", "multiclass")
    labels = model.pop("labels", None) or train.label_names()
    model.pop("tune_thresholds", None)
    arch = model.get("arch", "mlp.v1")
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHITECTURES)}")
    features = FeatureConfig(**_dataclass_kwargs(FeatureConfig, config.get("features", {}), "features"))
    featurizer = Featurizer(features, Vocab.build(train.texts, features))
    if task not in TASK_OUTPUTS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASK_OUTPUTS)}")
    net_config = config_from_dict(
        {**model, "arch": arch, "num_ids": featurizer.num_ids, "num_outputs": num_outputs(task, labels), "output": TASK_OUTPUTS[task]}
    )
    return TextClassifier.create(task, labels, featurizer, net_config, seed=seed)


def evaluate_corpus(classifier: TextClassifier, corpus: Corpus, restrict: bool = False) -> Report:
    prediction = classifier.predict(corpus.texts)
    return score_probabilities(
        classifier.labels, corpus.labels, prediction.probabilities, classifier.task == "multilabel", classifier.thresholds, restrict
    )


def train_from_config(
    config_path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    progress: bool = True,
    overrides: Mapping[str, Any] | None = None,
) -> Outcome:
    """Run the training described by a TOML file and save the model directory.
    `overrides` replace `[train]` keys (e.g. {"epochs": 1} for a quick check). With a `[distill]`
    table, its teachers are trained first where not already in place (distill.py)."""
    config_path = Path(config_path)
    return _train(read_config(config_path), config_path, output, data_root, progress, overrides)


def _train(
    config: Mapping[str, Any],
    config_path: Path,
    output: str | os.PathLike[str] | None,
    data_root: str | os.PathLike[str] | None,
    progress: bool,
    overrides: Mapping[str, Any] | None,
    teacher_seed: int | None = None,
) -> Outcome:
    train_config = TrainConfig(**_dataclass_kwargs(TrainConfig, {**config.get("train", {}), **(overrides or {})}, "train"))
    seed_everything(train_config.seed)
    train, dev = load_data(config, data_root, train_config.seed)
    distillation = None
    if "distill" in config:
        from .distill import distill_corpus

        labels = config["model"].get("labels") or train.label_names()
        train, distillation = distill_corpus(
            config,
            train,
            labels,
            lambda teacher: _train(teacher, config_path, None, data_root, progress, None, teacher["train"]["seed"]),
            overrides,
        )
        seed_everything(train_config.seed)  # again: the student is the same whether its teachers were trained or reused
    classifier = build_classifier(config, train, train_config.seed)
    train_data = Encoded.of(classifier, train.texts, train.labels)
    dev_data = Encoded.of(classifier, dev.texts, dev.labels) if len(dev) else None
    result = fit(classifier, train_data, train_config, dev_data, progress=progress)
    dev_report = None
    if len(dev):
        if classifier.task == "multilabel" and config["model"].get("tune_thresholds", False):
            prediction = classifier.predict(dev.texts)
            classifier.thresholds = tune_thresholds(dev_data.targets.numpy(), prediction.probabilities)
        dev_report = evaluate_corpus(classifier, dev)
    target = Path(output or config.get("output") or Path("models") / "neural" / config_path.stem)
    command = f"sentiment train --config {config_path.as_posix()}"
    role = f"the teacher with seed {teacher_seed} that `{command}` trains first ([distill])" if teacher_seed is not None else None
    classifier.metadata = {
        "name": config.get("name", config_path.stem),
        "mode": config.get("mode"),
        "description": config.get("description", ""),
        "training": {
            "command": command + (f" (teacher seed {teacher_seed})" if teacher_seed is not None else ""),
            "config": {**config, "train": train_config.to_dict()},
            "data": {"train": train.source, "train_size": len(train), "dev": dev.source, "dev_size": len(dev)},
            "best_epoch": result.best_epoch,
            "epochs_run": len(result.history),
            "stopped_early": result.stopped_early,
            **({"distillation": distillation} if distillation else {}),
        },
        "metrics": {"dev": _summary(dev_report)} if dev_report else {},
    }
    save_model(classifier, target)
    config_text = config_path.read_text(encoding="utf-8")
    (target / TRAINING_CONFIG_FILE).write_text((f"# This model is {role}.\n" if role else "") + config_text, encoding="utf-8")
    save_history(result.history, target)
    if dev_report is not None:
        (target / "dev_report.txt").write_text(dev_report.to_text() + "\n", encoding="utf-8")
    return Outcome(target, classifier, result, dev_report, len(train), len(dev))


def _summary(report: Report) -> dict[str, Any]:
    data = report.to_dict()
    return {k: data[k] for k in ("size", "accuracy", "macro_f1", "micro_f1", "ece") if data.get(k) is not None} | {
        "per_class_f1": {label: round(v["f1"], 4) for label, v in data["per_class"].items()}
    }


def lr_find_from_config(
    config_path: str | os.PathLike[str],
    data_root: str | os.PathLike[str] | None = None,
    start: float = 1e-6,
    end: float = 10.0,
    steps: int = 100,
) -> "RangeTest":
    """The learning-rate range test on the training data and network of a TOML config."""
    from .lr_find import lr_range_test

    config = read_config(config_path)
    train_config = TrainConfig(**_dataclass_kwargs(TrainConfig, config.get("train", {}), "train"))
    train, _ = load_data(config, data_root, train_config.seed)
    classifier = build_classifier(config, train, train_config.seed)
    return lr_range_test(classifier, Encoded.of(classifier, train.texts, train.labels), train_config, start, end, steps)
