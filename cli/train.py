"""`sentiment train`, `sentiment lr-find` and `sentiment evaluate`: thin over sentiment.neural.

Torch is imported inside the commands only, so `sentiment --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import fail

app = typer.Typer()

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Training config (TOML).")]
DataRootOption = Annotated[
    Optional[Path], typer.Option("--data-root", help="Folder that relative data paths start from (overrides [data] root).")
]


@app.command()
def train(
    config: ConfigOption,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Model directory to write (overrides `output`).")] = None,
    data_root: DataRootOption = None,
    epochs: Annotated[Optional[int], typer.Option(help="Override [train] epochs (e.g. 1 for a quick check).")] = None,
    threads: Annotated[int, typer.Option(help="Torch threads for training.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a model from a TOML config; the model directory keeps the config, history and curves."""
    import torch

    from sentiment.neural.experiment import train_from_config

    torch.set_num_threads(threads)
    try:
        outcome = train_from_config(
            config, output=out, data_root=data_root, progress=not quiet, overrides={"epochs": epochs} if epochs else None
        )
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(f"model: {outcome.model_dir}")
    typer.echo(f"train examples: {outcome.train_size}, dev examples: {outcome.dev_size}, best epoch: {outcome.result.best_epoch}")
    if outcome.dev_report is not None:
        typer.echo(outcome.dev_report.to_text())


@app.command("lr-find")
def lr_find(
    config: ConfigOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG of loss vs learning rate.")] = Path("lr_find.png"),
    data_root: DataRootOption = None,
    start: Annotated[float, typer.Option(help="Lowest rate of the sweep.")] = 1e-6,
    end: Annotated[float, typer.Option(help="Highest rate of the sweep.")] = 10.0,
    steps: Annotated[int, typer.Option(help="Batches in the sweep.")] = 100,
) -> None:
    """Learning-rate range test: sweep the rate, plot the loss and suggest a maximum rate."""
    from sentiment.neural.experiment import lr_find_from_config
    from sentiment.neural.lr_find import plot_range_test

    try:
        result = lr_find_from_config(config, data_root, start, end, steps)
    except ValueError as error:
        raise fail(str(error)) from None
    plot_range_test(result, out)
    typer.echo(f"suggested max learning rate: {result.suggested:.3g}")
    typer.echo(f"plot: {out}")


def _label_map(value: Optional[str]) -> object:
    if value is None or not value.strip().startswith("{"):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise fail(f"--label-map is neither a preset name nor a JSON object: {error}") from None


@app.command()
def evaluate(
    model_or_analyzer: Annotated[str, typer.Argument(help="A model directory or a registered analyzer name (lexicon, neural, ...).")],
    data: Annotated[Path, typer.Argument(help="Labeled CSV / TSV / JSONL / TXT file, or SST trees.")],
    mode: Annotated[Optional[str], typer.Option(help="Mode to evaluate an analyzer in (default: the model's own labels).")] = None,
    text_column: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_column: Annotated[str, typer.Option(help="Column holding the label(s).")] = "label",
    label_map: Annotated[Optional[str], typer.Option(help="Preset (e.g. stars_to_fine_grained) or a JSON object raw -> label.")] = None,
    label_separator: Annotated[Optional[str], typer.Option(help="Separator of several labels in one cell.")] = None,
    data_format: Annotated[Optional[str], typer.Option("--format", help="csv, tsv, jsonl, txt or sst_trees (default: from the suffix).")] = None,
    restrict_labels: Annotated[bool, typer.Option(help="Score only the labels present in the data (a 3-class model on binary data).")] = False,
    confusion_png: Annotated[Optional[Path], typer.Option("--confusion-png", help="Write the confusion matrix as a PNG.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Accuracy, macro-F1, per-class report, confusion matrix and calibration error (ECE)."""
    from sentiment.corpora import load_labeled
    from sentiment.neural.evaluate import plot_confusion

    try:
        corpus = load_labeled(
            data, text_column, label_column, data_format, _label_map(label_map), label_separator
        )
        report = _evaluate(model_or_analyzer, corpus, mode, restrict_labels)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.to_text())
    if confusion_png is not None:
        if report.confusion is None:
            raise fail("a multi-label evaluation has no confusion matrix")
        plot_confusion(report, confusion_png, title=f"{model_or_analyzer} on {data.name}")
        typer.echo(f"confusion matrix: {confusion_png}", err=as_json)


def _evaluate(target: str, corpus: object, mode: Optional[str], restrict: bool) -> object:
    from sentiment.neural.evaluate import analyzer_probabilities, score_probabilities

    if Path(target).is_dir():
        from sentiment.neural.experiment import evaluate_corpus
        from sentiment.neural.checkpoint import load_model

        return evaluate_corpus(load_model(target), corpus, restrict)  # type: ignore[arg-type]
    from sentiment import get_analyzer
    from sentiment.base import parse_modes
    from sentiment.neural.evaluate import MODE_LABELS

    analyzer = get_analyzer(target)
    parsed = parse_modes(mode or "polarity", [m for m in analyzer.modes if m in MODE_LABELS], analyzer.name)[0]
    labels = MODE_LABELS[parsed]
    probabilities, chosen = analyzer_probabilities(analyzer, corpus.texts, parsed.value, labels)  # type: ignore[attr-defined]
    return score_probabilities(labels, corpus.labels, probabilities, chosen is not None, None, restrict, chosen)  # type: ignore[attr-defined]
