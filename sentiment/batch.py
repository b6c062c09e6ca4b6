"""Streaming batch scoring of CSV/TSV/JSONL files, resumable, with one output row per input record.

`score_file("reviews.csv", "scored.csv", text_column="review")` reads the input in chunks (memory
stays constant whatever the file size), scores each chunk with one `analyze_batch` call, keeps every
input column and appends the flattened result columns of `sentiment.tabular` plus an `error`
column. A record that cannot be scored (empty text, undecodable bytes, a ragged CSV row, a JSON
line that does not parse, an analyzer failure on that text) is written with its error message:
never dropped, never a crash.

The output is written to `<output>.partial` next to the output and renamed when complete; with
`resume=True` an interrupted run continues from the rows already in that partial file (its header
is checked, a half-written last row is cut off), so nothing is duplicated or lost.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

from .base import Analyzer, ModesArg, parse_modes, without_explanations, without_sentences
from .errors import InvalidInputError
from .registry import analyzer_spec, get_analyzer
from .tabular import empty_row, flatten, result_columns
from .types import Mode

T = TypeVar("T")

PathLike = str | os.PathLike[str]

# Rows scored per `analyze_batch` call: large enough to amortize a neural forward pass, small
# enough that memory stays flat and the partial file grows steadily (what `resume` starts from).
DEFAULT_CHUNK_SIZE = 256
ERROR_COLUMN = "error"
PARTIAL_SUFFIX = ".partial"
FORMATS: Mapping[str, str] = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DELIMITERS: Mapping[str, str] = {"csv": ",", "tsv": "\t"}
# A NUL byte in the first block is the usual sign of a binary file (text files never contain one).
BINARY_SNIFF_BYTES = 8192
# Long cell values quoted in an error message are cut to this many characters.
MESSAGE_VALUE_CHARS = 40
_UTF8_BOM = b"\xef\xbb\xbf"
# Undecodable bytes (surrogateescape) and lone surrogates from JSON "\ud800" escapes.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class BatchProgress:
    """Where a run stands, passed to the `progress` callback after each chunk."""

    rows: int
    errors: int
    bytes_read: int
    bytes_total: int


@dataclass(frozen=True)
class BatchSummary:
    """What a finished run did; `resumed_rows` were already in the partial file."""

    input: Path
    output: Path
    rows: int
    errors: int
    resumed_rows: int


@dataclass(frozen=True)
class InputRecord:
    """One input record: its values by column, the text to score (None if it cannot be scored)."""

    line: int
    values: Mapping[str, Any]
    text: str | None
    error: str | None = None


def detect_format(path: PathLike, given: str | None = None) -> str:
    """`given` if set, else the format named by the extension; the error lists the valid ones."""
    valid = sorted(set(FORMATS.values()))
    if given is not None:
        fmt = given.strip().lower()
        if fmt not in valid:
            raise InvalidInputError(f"unknown format {given!r}; valid formats: {', '.join(valid)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"cannot tell the format of {str(path)!r} from its extension; use one of "
            f"{', '.join(sorted(FORMATS))} or name the format ({', '.join(valid)})"
        )
    return FORMATS[suffix]


def check_text_file(path: PathLike) -> Path:
    """An existing regular file that does not look binary; raises OSError / InvalidInputError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory, not a file", str(path))
    with path.open("rb") as handle:
        if b"\0" in handle.read(BINARY_SNIFF_BYTES):
            raise InvalidInputError(f"{path} looks like a binary file, not text")
    return path


def _clean(value: str) -> str:
    """Replace undecodable bytes and lone surrogates by U+FFFD so the output is valid UTF-8."""
    return _SURROGATE_RE.sub("\ufffd", value)


def _short(value: Any) -> str:
    text = _clean(str(value))
    return repr(text if len(text) <= MESSAGE_VALUE_CHARS else text[:MESSAGE_VALUE_CHARS] + "...")


def _text_problem(text: Any, column: str) -> str | None:
    if text is None:
        return f"empty text in column {column!r}"
    if not isinstance(text, str):
        return f"column {column!r} holds {type(text).__name__}, expected text"
    if not text.strip():
        return f"empty text in column {column!r}"
    return None


class _Source:
    """An open input file: its columns, its records, how far it has been read."""

    columns: tuple[str, ...]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bytes_total = path.stat().st_size
        self._binary: BinaryIO = path.open("rb")

    @property
    def bytes_read(self) -> int:
        return min(self._binary.tell(), self.bytes_total)

    def records(self) -> Iterator[InputRecord]:
        raise NotImplementedError

    def close(self) -> None:
        self._binary.close()


class _CsvSource(_Source):
    def __init__(self, path: Path, text_column: str, delimiter: str, encoding: str) -> None:
        super().__init__(path)
        self.text_column, self.encoding = text_column, encoding
        reading_encoding = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        self._text = io.TextIOWrapper(self._binary, encoding=reading_encoding, errors="surrogateescape", newline="")
        self._reader = csv.reader(self._text, delimiter=delimiter)
        try:
            self.columns = self._read_header(path, text_column, encoding)
        except BaseException:
            self.close()
            raise

    def _read_header(self, path: Path, text_column: str, encoding: str) -> tuple[str, ...]:
        try:
            header = next(self._reader)
        except StopIteration:
            raise InvalidInputError(f"{path} is empty: no header row") from None
        except csv.Error as error:
            raise InvalidInputError(f"{path}: cannot read the header row: {error}") from None
        if any(_SURROGATE_RE.search(name) for name in header):
            raise InvalidInputError(f"{path}: the header row is not valid {encoding} text")
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise InvalidInputError(f"{path}: duplicate column names: {', '.join(map(repr, duplicates))}")
        if text_column not in header:
            raise InvalidInputError(
                f"no column {text_column!r} in {path}; columns: {', '.join(map(repr, header))}"
            )
        return tuple(header)

    def records(self) -> Iterator[InputRecord]:
        reader, width = self._reader, len(self.columns)
        previous_end = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                line, previous_end = previous_end + 1, reader.line_num
                yield InputRecord(line, {}, None, f"line {line}: unreadable CSV record: {error}")
                continue
            line, previous_end = previous_end + 1, reader.line_num
            if not row:  # a blank line is not a record
                continue
            values = dict(zip(self.columns, row))
            if len(row) != width:
                extra = f" (extra values: {', '.join(_short(v) for v in row[width:])})" if len(row) > width else ""
                yield InputRecord(
                    line, values, None, f"line {line}: row has {len(row)} fields but the header has {width}{extra}"
                )
                continue
            undecodable = [name for name, value in values.items() if _SURROGATE_RE.search(value)]
            if undecodable:
                yield InputRecord(
                    line, values, None,
                    f"line {line}: undecodable bytes (not valid {self.encoding}) in column(s) {', '.join(map(repr, undecodable))}",
                )
                continue
            text = values[self.text_column]
            problem = _text_problem(text, self.text_column)
            yield InputRecord(line, values, None if problem else text, f"line {line}: {problem}" if problem else None)

    def close(self) -> None:
        self._text.close()


class _JsonlSource(_Source):
    def __init__(self, path: Path, text_column: str, encoding: str) -> None:
        super().__init__(path)
        self.text_column = text_column
        self.encoding = encoding
        try:
            self.columns = self._scan_columns()
            if self.columns and text_column not in self.columns:
                raise InvalidInputError(
                    f"no field {text_column!r} in any record of {path}; fields: {', '.join(map(repr, self.columns))}"
                )
        except BaseException:
            self.close()
            raise

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        for number, raw in enumerate(self._binary, start=1):
            if number == 1 and raw.startswith(_UTF8_BOM):
                raw = raw[len(_UTF8_BOM):]
            if raw.strip():
                yield number, raw

    def _scan_columns(self) -> tuple[str, ...]:
        """Every field name in first-seen order (a first pass: the CSV header needs them all)."""
        seen: dict[str, None] = {}
        for _, raw in self._lines():
            try:
                value = json.loads(raw.decode(self.encoding, errors="replace"))
            except ValueError:
                continue
            if isinstance(value, dict):
                seen.update(dict.fromkeys(value))
        self._binary.seek(0)
        return tuple(seen)

    def records(self) -> Iterator[InputRecord]:
        for line, raw in self._lines():
            problems = []
            try:
                decoded = raw.decode(self.encoding)
            except UnicodeDecodeError as error:
                decoded = raw.decode(self.encoding, errors="replace")
                problems.append(f"undecodable bytes (not valid {self.encoding}) at byte {error.start}")
            try:
                value = json.loads(decoded)
            except ValueError as error:
                yield InputRecord(line, {}, None, f"line {line}: not valid JSON ({error})")
                continue
            if not isinstance(value, dict):
                yield InputRecord(line, {}, None, f"line {line}: expected a JSON object, got {type(value).__name__}")
                continue
            if self.text_column not in value:
                problems.append(f"no field {self.text_column!r}")
            else:
                text = value[self.text_column]
                problem = _text_problem(text, self.text_column)
                if problem is None and _SURROGATE_RE.search(text):
                    problem = f"invalid characters (lone surrogates) in field {self.text_column!r}"
                if problem:
                    problems.append(problem)
            error = f"line {line}: {'; '.join(problems)}" if problems else None
            yield InputRecord(line, value, None if error else value[self.text_column], error)


def open_source(path: PathLike, text_column: str, input_format: str | None = None, encoding: str = "utf-8") -> _Source:
    """Open and check an input file (exists, is text, has `text_column`) before any scoring."""
    path = check_text_file(path)
    fmt = detect_format(path, input_format)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidInputError(f"unknown encoding {encoding!r} (for example utf-8, latin-1, cp1252)") from None
    if fmt == "jsonl":
        return _JsonlSource(path, text_column, encoding)
    return _CsvSource(path, text_column, DELIMITERS[fmt], encoding)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, (dict, list, bool)):
        return _clean(json.dumps(value, ensure_ascii=False))
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


class _CsvSink:
    def __init__(self, handle: io.TextIOBase, columns: Sequence[str], delimiter: str, write_header: bool) -> None:
        self._handle, self._columns = handle, tuple(columns)
        self._writer = csv.writer(handle, delimiter=delimiter)
        if write_header:
            self._writer.writerow(self._columns)

    def write(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow([_csv_cell(row.get(column)) for column in self._columns])


class _JsonlSink:
    def __init__(self, handle: io.TextIOBase) -> None:
        self._handle = handle

    def write(self, row: Mapping[str, Any]) -> None:
        self._handle.write(json.dumps(_json_value(dict(row)), ensure_ascii=False) + "\n")


def _serialized_csv_row(row: Sequence[str], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerow(row)
    return buffer.getvalue()


def _not_resumable(partial: Path, why: str) -> InvalidInputError:
    return InvalidInputError(f"cannot resume from {partial}: {why}; delete it to start over")


def _scan_partial_csv(partial: Path, columns: Sequence[str], delimiter: str) -> tuple[int, int, int]:
    """(complete rows, rows with an error, byte offset after the last complete row) of a partial CSV.

    A row is complete when writing its parsed values again gives exactly its bytes: a row cut off
    mid-write never does (its line terminator or closing quote is missing).
    """
    error_index = list(columns).index(ERROR_COLUMN)
    with partial.open("rb") as handle:
        pending: list[str] = []
        consumed = [0]

        def lines() -> Iterator[str]:
            for raw in handle:
                consumed[0] += len(raw)
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise _not_resumable(partial, "it is not a file this command wrote (not UTF-8)") from None
                pending.append(text)
                yield text

        reader = csv.reader(lines(), delimiter=delimiter)
        rows = errors = offset = 0
        header_seen = False
        for row in reader:
            raw, complete_at = "".join(pending), consumed[0]
            pending.clear()
            if raw != _serialized_csv_row(row, delimiter):
                if handle.read(1):
                    raise _not_resumable(partial, f"line {reader.line_num} is not a row this command wrote")
                break  # the last row was cut off mid-write: it is rewritten
            if not header_seen:
                if tuple(row) != tuple(columns):
                    raise _not_resumable(
                        partial, f"its header differs from this run's columns ({', '.join(columns)})"
                    )
                header_seen = True
            else:
                if len(row) != len(columns):
                    raise _not_resumable(partial, f"line {reader.line_num} has {len(row)} fields, expected {len(columns)}")
                rows += 1
                errors += bool(row[error_index])
            offset = complete_at
    if not header_seen:
        return 0, 0, 0
    return rows, errors, offset


def _scan_partial_jsonl(partial: Path, required: Sequence[str]) -> tuple[int, int, int]:
    """(complete rows, rows with an error, byte offset after the last complete line) of a partial JSONL."""
    rows = errors = offset = 0
    with partial.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                value = json.loads(raw.decode("utf-8")) if raw.endswith(b"\n") else None
            except ValueError:
                value = None
            if value is None:
                if handle.read(1):
                    raise _not_resumable(partial, f"line {number} is not a row this command wrote")
                break  # the last line was cut off mid-write: it is rewritten
            missing = [key for key in required if not isinstance(value, dict) or key not in value]
            if missing:
                raise _not_resumable(partial, f"line {number} lacks this run's columns {', '.join(missing)}")
            rows += 1
            errors += bool(value[ERROR_COLUMN])
            offset += len(raw)
    return rows, errors, offset


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter), read lazily."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _describe_failure(error: Exception) -> str:
    return f"analyzer failed: {type(error).__name__}: {error}"


def score_records(
    analyzer: Analyzer, records: Sequence[InputRecord], modes: tuple[Mode, ...]
) -> list[dict[str, Any]]:
    """Result columns (plus `error`) for each record, in order; failures become error rows.

    The scorable texts go to the analyzer in one `analyze_batch` call; if that call fails, each
    text is scored alone so that only the texts that fail get an error.
    """
    rows = [{**empty_row(modes), ERROR_COLUMN: record.error} for record in records]
    scorable = [index for index, record in enumerate(records) if record.error is None]
    texts = [records[index].text for index in scorable]
    try:
        analyses = analyzer.analyze_batch(texts, modes) if texts else []
        if len(analyses) != len(texts):
            raise RuntimeError(f"analyze_batch returned {len(analyses)} results for {len(texts)} texts")
    except Exception:
        analyses = []
        for index, text in zip(scorable, texts):
            try:
                analyses.append(analyzer.analyze(text, modes))
            except Exception as error:  # one bad text must not stop the run
                analyses.append(None)
                rows[index][ERROR_COLUMN] = f"line {records[index].line}: {_describe_failure(error)}"
    for index, analysis in zip(scorable, analyses):
        if analysis is not None:
            rows[index].update(flatten(analysis, modes))
    return rows


def partial_path(output: PathLike) -> Path:
    """Where a run writes before renaming to `output` (and where `resume` looks)."""
    output = Path(output)
    return output.with_name(output.name + PARTIAL_SUFFIX)


def score_file(
    input_path: PathLike,
    output_path: PathLike,
    analyzer: Analyzer | str = "lexicon",
    *,
    text_column: str = "text",
    modes: ModesArg = None,
    analyzer_options: Mapping[str, Any] | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    encoding: str = "utf-8",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    resume: bool = False,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchSummary:
    """Score every record of `input_path` into `output_path` (see the module docstring).

    `analyzer` is an analyzer or a registered name (built with `analyzer_options` only after the
    input has been checked, so a wrong column fails fast). Formats come from the extensions
    (.csv, .tsv, .jsonl, .ndjson) unless named.
    """
    if chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be at least 1, got {chunk_size}")
    input_path, output_path = Path(input_path), Path(output_path)
    out_format = detect_format(output_path, output_format)
    if isinstance(analyzer, str):
        name, supported = analyzer, analyzer_spec(analyzer).modes
    else:
        name, supported = analyzer.name, analyzer.modes
    parsed_modes = parse_modes(modes, supported, name)
    if not output_path.parent.is_dir():
        raise FileNotFoundError(2, "output folder does not exist", str(output_path.parent))
    if output_path.exists() and input_path.exists() and output_path.resolve() == input_path.resolve():
        raise InvalidInputError(f"the output {output_path} is the input file; choose another output")

    source = open_source(input_path, text_column, input_format, encoding)
    try:
        added = (*result_columns(parsed_modes), ERROR_COLUMN)
        clashing = [column for column in added if column in source.columns]
        if clashing:
            raise InvalidInputError(
                f"{input_path} already has result column(s) {', '.join(map(repr, clashing))}; "
                "rename them or score the original file"
            )
        columns = (*source.columns, *added)
        partial = partial_path(output_path)
        resumed = resumed_errors = offset = 0
        if resume and partial.exists():
            if out_format == "jsonl":
                resumed, resumed_errors, offset = _scan_partial_jsonl(partial, added)
            else:
                resumed, resumed_errors, offset = _scan_partial_csv(partial, columns, DELIMITERS[out_format])
            with partial.open("r+b") as handle:
                handle.truncate(offset)
        built = get_analyzer(analyzer, **dict(analyzer_options or {})) if isinstance(analyzer, str) else analyzer
        built = without_sentences(without_explanations(built))  # the result columns carry neither
        return _run(
            source, partial, output_path, built, parsed_modes, columns, out_format,
            append=offset > 0, resumed=resumed, resumed_errors=resumed_errors,
            chunk_size=chunk_size, progress=progress,
        )
    finally:
        source.close()


def _run(
    source: _Source,
    partial: Path,
    output: Path,
    analyzer: Analyzer,
    modes: tuple[Mode, ...],
    columns: tuple[str, ...],
    out_format: str,
    *,
    append: bool,
    resumed: int,
    resumed_errors: int,
    chunk_size: int,
    progress: Callable[[BatchProgress], None] | None,
) -> BatchSummary:
    records = source.records()
    for skipped in range(resumed):
        if next(records, None) is None:
            raise _not_resumable(
                partial, f"it has {resumed} rows but {source.path} has only {skipped} records"
            )
    rows, errors = resumed, resumed_errors
    with partial.open("a" if append else "w", encoding="utf-8", newline="") as handle:
        if out_format == "jsonl":
            sink: _CsvSink | _JsonlSink = _JsonlSink(handle)
        else:
            sink = _CsvSink(handle, columns, DELIMITERS[out_format], write_header=not append)
        if progress:
            progress(BatchProgress(rows, errors, source.bytes_read, source.bytes_total))
        for chunk in chunked(records, chunk_size):
            for record, result in zip(chunk, score_records(analyzer, chunk, modes)):
                sink.write({**record.values, **result})
                rows += 1
                errors += bool(result[ERROR_COLUMN])
            handle.flush()
            if progress:
                progress(BatchProgress(rows, errors, source.bytes_read, source.bytes_total))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, output)
    return BatchSummary(input=source.path, output=output, rows=rows, errors=errors, resumed_rows=resumed)
