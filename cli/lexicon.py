"""`sentiment lexicon ...`: rebuild the induced lexicon files from labeled data."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="Build the induced lexicons (emotion words, fine-grained bin edges) from labeled data.")

_DATA_HELP = "Labeled training split (JSONL)."


def _command_line(*words: str, **options: Path | None) -> str:
    """The command that reproduces a file, recorded in it as its provenance."""
    flags = [part for name, value in options.items() if value is not None for part in (f"--{name}", str(value))]
    return shlex.join(["sentiment", *words, *flags])


def _check(path: Path | None) -> None:
    if path is not None:
        from sentiment.batch import check_text_file

        check_text_file(path)


@app.command("emotion")
def emotion(
    data: Annotated[Path, typer.Option("--data", help="GoEmotions train JSONL.", show_default=False)],
    dev: Annotated[Optional[Path], typer.Option("--dev", help="GoEmotions dev JSONL to tune the thresholds on.")] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Output TSV (default: the shipped lexicons/emotion_lexicon.tsv).")
    ] = None,
) -> None:
    """Induce the emotion lexicon (and its thresholds file next to it) from GoEmotions."""
    from sentiment.lexicon.emotion import LEXICON_FILE, THRESHOLDS_FILE, induce_emotion_lexicon
    from sentiment.resources import lexicons_dir

    _check(data)
    _check(dev)
    out = out or lexicons_dir() / LEXICON_FILE
    command = _command_line("lexicon", "emotion", data=data, dev=dev, out=out)
    summary = induce_emotion_lexicon(data, out, dev_path=dev, command=command)
    typer.echo(f"{summary['rows']} lexicon rows; thresholds macro-F1 {summary['macro_f1']:.3f}")
    typer.echo(f"wrote {out} and {out.parent / THRESHOLDS_FILE}")


@app.command("fine-grained")
def fine_grained(
    data: Annotated[Path, typer.Option("--data", help="SST-5 train JSONL.", show_default=False)],
    out: Annotated[Optional[Path], typer.Option("--out", help="Output JSON (default: the shipped bins file).")] = None,
) -> None:
    """Fit the polarity-score bin edges that map to very_negative..very_positive (1-5 stars)."""
    from sentiment.lexicon import fine_grained as module
    from sentiment.resources import lexicons_dir

    _check(data)
    out = out or lexicons_dir() / module.BINS_FILE
    result = module.fit_bins(data, out)
    edges = ", ".join(f"{edge:+.4f}" for edge in result["edges"])
    typer.echo(f"bin edges: {edges} (train accuracy {result['train_accuracy']} on {result['train_examples']} examples)")
    typer.echo(f"wrote {out}")
