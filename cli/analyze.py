"""`sentiment analyze` (texts, files, stdin) and `sentiment analyzers`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterator, Optional, Sequence

import typer

from sentiment.batch import chunked

from .common import AnalyzerOption, LexiconFilesOption, ModesOption, analyzer_options, expand_modes, fail

if TYPE_CHECKING:
    from sentiment.types import Analysis, Mode

app = typer.Typer()

STDIN = "-"
# Texts per analyze_batch call (results stream out chunk by chunk for jsonl and csv).
CHUNK_SIZE = 256
# The table shows this many characters of each text and this many explanation words.
TABLE_TEXT_CHARS = 70
TABLE_TOP_WORDS = 3


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class Per(str, Enum):
    line = "line"
    file = "file"


@dataclass(frozen=True)
class Item:
    """One text to analyze and where it came from (shown in the table and the csv)."""

    source: str
    line: int | None
    text: str


def _read_text(source: str) -> str:
    """A file's (or stdin's) text; binary or non-UTF-8 input is refused with a clear message."""
    from sentiment.batch import BINARY_SNIFF_BYTES, check_text_file
    from sentiment.errors import InvalidInputError

    if source == STDIN:
        data = sys.stdin.buffer.read()
        name = "<stdin>"
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            raise InvalidInputError("stdin looks like binary data, not text")
    else:
        path = check_text_file(source)
        data, name = path.read_bytes(), str(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{name} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})") from None


def _items(files: Sequence[str], texts: Sequence[str], per: Per) -> Iterator[Item]:
    for index, text in enumerate(texts, start=1):
        yield Item("--text", index, text)
    for source in files:
        content = _read_text(source)
        name = "<stdin>" if source == STDIN else source
        if per is Per.file:
            if content.strip():
                yield Item(name, None, content)
            continue
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                yield Item(name, number, line)


@app.command()
def analyze(
    files: Annotated[
        Optional[list[str]], typer.Argument(help="Text files to analyze; '-' reads stdin.", show_default=False)
    ] = None,
    text: Annotated[list[str], typer.Option("--text", "-t", help="A text to analyze (repeatable).")] = [],
    mode: ModesOption = ["polarity"],
    analyzer: AnalyzerOption = "lexicon",
    lexicon: LexiconFilesOption = [],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="table for people, jsonl for pipes.")] = OutputFormat.table,
    per: Annotated[Per, typer.Option("--per", help="One result per non-empty line, or per whole file.")] = Per.line,
) -> None:
    """Analyze texts, files or stdin: one result per line (default) or per file."""
    from sentiment import get_analyzer, parse_modes
    from sentiment.batch import check_text_file
    from sentiment.registry import analyzer_spec

    files = list(files or [])
    if not files and not text:
        raise fail("nothing to analyze: give FILE arguments, '-' for stdin, or --text")
    modes = parse_modes(expand_modes(mode, analyzer), analyzer_spec(analyzer).modes, analyzer)
    for source in files:  # fail on a bad file before building the analyzer
        if source != STDIN:
            check_text_file(source)
    built = get_analyzer(analyzer, **analyzer_options(analyzer, lexicon))

    emit = _EMITTERS[output_format](modes)
    for chunk in chunked(_items(files, text, per), CHUNK_SIZE):
        emit.add(chunk, built.analyze_batch([item.text for item in chunk], modes))
    emit.close()


class _JsonlEmitter:
    """Exactly `Analysis.to_json()` per line, as results come."""

    def __init__(self, modes: tuple[Mode, ...]) -> None:
        pass

    def add(self, items: list[Item], analyses: list[Analysis]) -> None:
        typer.echo("\n".join(analysis.to_json() for analysis in analyses))

    def close(self) -> None:
        pass


class _JsonEmitter:
    """One JSON array of `Analysis.to_dict()`."""

    def __init__(self, modes: tuple[Mode, ...]) -> None:
        self.results: list[dict] = []

    def add(self, items: list[Item], analyses: list[Analysis]) -> None:
        self.results.extend(analysis.to_dict() for analysis in analyses)

    def close(self) -> None:
        typer.echo(json.dumps(self.results, indent=2, ensure_ascii=False))


class _CsvEmitter:
    """source, line, text and the flattened result columns of `sentiment.tabular`."""

    def __init__(self, modes: tuple[Mode, ...]) -> None:
        import csv

        from sentiment.tabular import result_columns

        self.modes = modes
        self.columns = ("source", "line", "text", *result_columns(modes))
        self.writer = csv.writer(sys.stdout)
        self.writer.writerow(self.columns)

    def add(self, items: list[Item], analyses: list[Analysis]) -> None:
        from sentiment.tabular import flatten

        for item, analysis in zip(items, analyses):
            row = {"source": item.source, "line": item.line, "text": item.text, **flatten(analysis, self.modes)}
            self.writer.writerow(["" if row[c] is None else row[c] for c in self.columns])

    def close(self) -> None:
        sys.stdout.flush()


class _TableEmitter:
    """A rich table for people: the columns of the modes asked for."""

    def __init__(self, modes: tuple[Mode, ...]) -> None:
        self.modes = modes
        self.rows: list[tuple[Item, Analysis]] = []

    def add(self, items: list[Item], analyses: list[Analysis]) -> None:
        self.rows.extend(zip(items, analyses))

    def close(self) -> None:
        from rich.console import Console

        from .render import results_table

        Console(soft_wrap=False).print(results_table(self.rows, self.modes, TABLE_TEXT_CHARS, TABLE_TOP_WORDS))


_EMITTERS = {
    OutputFormat.jsonl: _JsonlEmitter,
    OutputFormat.json: _JsonEmitter,
    OutputFormat.csv: _CsvEmitter,
    OutputFormat.table: _TableEmitter,
}


@app.command()
def analyzers() -> None:
    """List the registered analyzers, their modes and what they are."""
    from rich.console import Console
    from rich.table import Table

    from sentiment import available_analyzers
    from sentiment.types import Mode

    table = Table("analyzer", "modes", "description")
    for name, spec in available_analyzers().items():
        table.add_row(name, ", ".join(m.value for m in Mode if m in spec.modes), spec.description)
    Console().print(table)
