"""`sentiment aspects`: what a whole file of reviews says per aspect (table, JSON, bar chart)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import analyzer_options

app = typer.Typer()
FORMATS = ("table", "json")


@app.command()
def aspects(
    input_file: Annotated[Path, typer.Argument(help="CSV, TSV or JSONL file of reviews.", show_default=False)],
    text_column: Annotated[str, typer.Option("--text-column", "-c", help="The column (or JSON field) holding the text.")] = "text",
    analyzer: Annotated[str, typer.Option("--analyzer", "-a", help="A registered analyzer serving the aspect mode (see `sentiment analyzers`).")] = "hybrid",
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Also write a bar chart PNG here.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many terms to list.")] = 20,
    evidence: Annotated[int, typer.Option("--evidence", min=0, help="Evidence phrases per aspect.")] = 3,
    lexicon: Annotated[list[Path], typer.Option("--lexicon", help="Your own word<TAB>valence file, added to the lexicon (repeatable).")] = [],
    input_format: Annotated[Optional[str], typer.Option("--input-format", help="csv, tsv or jsonl (default: from the extension).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Encoding of the input file.")] = "utf-8",
) -> None:
    """Per aspect category and term: mentions, share positive / negative, typical evidence."""
    from sentiment.aspects.summary import plot_summary, summarize_file
    from sentiment.errors import InvalidInputError

    if output_format not in FORMATS:
        raise InvalidInputError(f"unknown format {output_format!r}; valid: {', '.join(FORMATS)}")
    summary = summarize_file(
        input_file, analyzer, text_column=text_column, input_format=input_format, encoding=encoding,
        analyzer_options=analyzer_options(analyzer, lexicon), top_terms=top, top_evidence=evidence,
    )
    if output_format == "json":
        import json

        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_table(summary)
    if plot is not None:
        typer.echo(f"chart: {plot_summary(summary, plot)}", err=True)


def _print_table(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{summary.mentions} aspect mentions in {summary.texts_with_aspects} of {summary.texts} texts ({summary.analyzer})")
    for column, justify in (("aspect", "left"), ("kind", "left"), ("mentions", "right"), ("positive", "right"), ("negative", "right"), ("neutral", "right"), ("evidence", "left")):
        table.add_column(column, justify=justify)
    for stats in (*summary.categories, *summary.terms):
        table.add_row(
            stats.aspect, stats.kind, str(stats.mentions), f"{stats.positive_share:.0%}", f"{stats.negative_share:.0%}",
            f"{stats.neutral_share:.0%}", "; ".join(f"{phrase} ({count})" for phrase, count in stats.evidence),
        )
    Console().print(table)
