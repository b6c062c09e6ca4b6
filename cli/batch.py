"""`sentiment batch`: score a CSV/TSV/JSONL file into another, streaming and resumable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from sentiment.batch import DEFAULT_CHUNK_SIZE

from .common import EXIT_INTERRUPTED, AnalyzerOption, LexiconFilesOption, ModesOption, analyzer_options, expand_modes

app = typer.Typer()


@app.command()
def batch(
    input_file: Annotated[Path, typer.Argument(help="CSV, TSV or JSONL file (format from the extension or --input-format).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .csv, .tsv or .jsonl (or --output-format).", show_default=False)],
    text_column: Annotated[str, typer.Option("--text-column", "-c", help="The column (or JSON field) holding the text.")] = "text",
    mode: ModesOption = ["polarity"],
    analyzer: AnalyzerOption = "lexicon",
    lexicon: LexiconFilesOption = [],
    input_format: Annotated[Optional[str], typer.Option("--input-format", help="csv, tsv or jsonl (default: from the extension).")] = None,
    output_format: Annotated[Optional[str], typer.Option("--output-format", help="csv, tsv or jsonl (default: from the extension).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Encoding of the input file.")] = "utf-8",
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Rows per analyzer call.")] = DEFAULT_CHUNK_SIZE,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from OUT.partial.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
) -> None:
    """Score every row of a file; keeps the input columns, appends result columns and an `error` column."""
    from sentiment.batch import partial_path, score_file

    modes = expand_modes(mode, analyzer)
    options = analyzer_options(analyzer, lexicon)
    if not resume and not quiet and partial_path(out).exists():
        typer.echo(f"note: starting over; {partial_path(out)} from an earlier run is replaced (--resume continues it)", err=True)
    show_progress = not quiet and sys.stderr.isatty()
    with _ProgressBar(show_progress, input_file.name) as progress:
        try:
            summary = score_file(
                input_file, out, analyzer, text_column=text_column, modes=modes, analyzer_options=options,
                input_format=input_format, output_format=output_format, encoding=encoding,
                chunk_size=chunk_size, resume=resume, progress=progress,
            )
        except KeyboardInterrupt:
            typer.echo(
                f"interrupted: the rows scored so far are in {partial_path(out)}; "
                "run the same command with --resume to continue",
                err=True,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        resumed = f", {summary.resumed_rows} of them from the earlier run" if summary.resumed_rows else ""
        typer.echo(f"{summary.rows} rows ({summary.errors} with an error{resumed}) -> {summary.output}", err=True)


class _ProgressBar:
    """A rich progress bar on stderr over the input's bytes, or nothing (not a TTY, --quiet)."""

    def __init__(self, enabled: bool, description: str) -> None:
        self.enabled, self.description = enabled, description
        self._progress = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]} rows, {task.fields[errors]} errors"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=None, rows=0, errors=0)
        return self._update

    def _update(self, state) -> None:
        self._progress.update(
            self._task, completed=state.bytes_read, total=state.bytes_total or None,
            rows=state.rows, errors=state.errors,
        )

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.stop()
