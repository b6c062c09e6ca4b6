"""Streaming batch scoring (sentiment.batch): columns kept, error rows, chunking, resume, formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import FAKE_FAILURE_WORD, FakeAnalyzer
from sentiment import InvalidInputError, UnknownAnalyzerError, UnsupportedModeError
from sentiment.batch import ERROR_COLUMN, BatchProgress, partial_path, score_file
from sentiment.tabular import result_columns


class Interrupted(BaseException):
    """Stands for Ctrl-C or a killed process: nothing in the scorer may swallow it."""


class InterruptingAnalyzer(FakeAnalyzer):
    """Scores `chunks_before_stop` chunks, then stops the run."""

    def __init__(self, chunks_before_stop: int) -> None:
        super().__init__()
        self.chunks_before_stop = chunks_before_stop

    def _analyze_batch(self, texts, modes):
        if len(self.batch_sizes) == self.chunks_before_stop:
            raise Interrupted()
        return super()._analyze_batch(texts, modes)


def write_csv(path: Path, rows: list[list[str]], header=("id", "review", "shop")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sample_rows(count: int) -> list[list[str]]:
    words = ["good", "bad", "good good", "fine", "bad bad bad", "is it good?"]
    return [[str(i), f"item {i} {words[i % len(words)]}", f"shop{i % 3}"] for i in range(count)]


def test_keeps_every_input_column_and_appends_result_columns(tmp_path):
    source = write_csv(tmp_path / "in.csv", sample_rows(7))
    summary = score_file(source, tmp_path / "out.csv", FakeAnalyzer(), text_column="review", modes=["intent", "polarity"])
    rows = read_csv(tmp_path / "out.csv")
    assert list(rows[0]) == ["id", "review", "shop", *result_columns(["polarity", "intent"]), ERROR_COLUMN]
    assert [r["id"] for r in rows] == [str(i) for i in range(7)]
    assert (rows[0]["polarity_label"], rows[0]["polarity_score"], rows[0]["intent_label"]) == ("positive", "0.5", "none")
    assert (rows[1]["polarity_label"], rows[1]["polarity_score"]) == ("negative", "-0.5")
    assert rows[5]["intent_label"] == "question"
    assert all(r[ERROR_COLUMN] == "" for r in rows)
    assert (summary.rows, summary.errors, summary.resumed_rows) == (7, 0, 0)
    assert not partial_path(tmp_path / "out.csv").exists()


def test_broken_rows_become_error_rows_in_place(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"id,review,shop\n"
        b"1,good food,a\n"
        b"2,,b\n"
        b"3,   ,c\n"
        b"4,bad,d,surplus\n"
        b"5,too short\n"
        b"6,caf\xe9 was good,e\n"
        b"7,it will " + FAKE_FAILURE_WORD.encode() + b",f\n"
        b"\n"
        b'8,"two\nlines, good",g\n'
    )
    summary = score_file(source, tmp_path / "out.csv", FakeAnalyzer(), text_column="review")
    rows = read_csv(tmp_path / "out.csv")
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    errors = {r["id"]: r[ERROR_COLUMN] for r in rows}
    assert errors["1"] == errors["8"] == ""
    assert errors["2"] == "line 3: empty text in column 'review'"
    assert errors["3"] == "line 4: empty text in column 'review'"
    assert errors["4"] == "line 5: row has 4 fields but the header has 3 (extra values: 'surplus')"
    assert errors["5"] == "line 6: row has 2 fields but the header has 3"
    assert errors["6"].startswith("line 7: undecodable bytes") and "'review'" in errors["6"]
    assert errors["7"].startswith("line 8: analyzer failed: ValueError")
    assert rows[5]["review"] == "caf\ufffd was good"  # the output stays valid UTF-8
    assert rows[7]["polarity_label"] == "positive"  # scored despite the failure in its chunk
    assert all(r["polarity_label"] == "" for r in rows if r[ERROR_COLUMN])
    assert (summary.rows, summary.errors) == (8, 6)


def test_chunks_go_to_analyze_batch_and_the_input_is_streamed(tmp_path):
    source = write_csv(tmp_path / "in.csv", sample_rows(3100))
    analyzer = FakeAnalyzer()
    seen: list[BatchProgress] = []
    score_file(source, tmp_path / "out.csv", analyzer, text_column="review", chunk_size=300, progress=seen.append)
    assert analyzer.batch_sizes == [300] * 10 + [100]
    assert [p.rows for p in seen] == [0, *range(300, 3001, 300), 3100]
    assert seen[-1].bytes_read == seen[-1].bytes_total == source.stat().st_size
    # The reader is ahead of the scorer by at most a read buffer, never the whole file.
    assert seen[1].bytes_read < seen[1].bytes_total / 2


def uninterrupted(tmp_path: Path, source: Path, name: str, **options) -> bytes:
    expected = tmp_path / f"expected-{name}"
    score_file(source, expected, FakeAnalyzer(), text_column="review", **options)
    return expected.read_bytes()


@pytest.mark.parametrize("out_name", ["out.csv", "out.jsonl"])
def test_an_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, out_name):
    rows = sample_rows(1000)
    rows[123][1] = ""  # an error row before the interruption
    rows[900][1] = ""  # and one after
    source = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / out_name
    with pytest.raises(Interrupted):
        score_file(source, out, InterruptingAnalyzer(chunks_before_stop=3), text_column="review", chunk_size=100)
    assert not out.exists() and partial_path(out).exists()

    rest = FakeAnalyzer()
    summary = score_file(source, out, rest, text_column="review", chunk_size=100, resume=True)
    assert out.read_bytes() == uninterrupted(tmp_path, source, out_name, chunk_size=100)
    assert summary.resumed_rows == 300 and summary.rows == 1000 and summary.errors == 2
    assert sum(rest.batch_sizes) == 699  # only the rows not yet written, minus the empty one


@pytest.mark.parametrize("out_name, cut_bytes", [("out.csv", 7), ("out.csv", 1), ("out.jsonl", 5)])
def test_a_row_cut_off_mid_write_is_rewritten_on_resume(tmp_path, out_name, cut_bytes):
    rows = sample_rows(500)
    rows[40][1] = 'quoted "good", with a comma\nand a newline'
    source = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / out_name
    with pytest.raises(Interrupted):
        score_file(source, out, InterruptingAnalyzer(chunks_before_stop=2), text_column="review", chunk_size=50)
    partial = partial_path(out)
    partial.write_bytes(partial.read_bytes()[:-cut_bytes])  # killed in the middle of writing a row

    summary = score_file(source, out, FakeAnalyzer(), text_column="review", chunk_size=50, resume=True)
    assert out.read_bytes() == uninterrupted(tmp_path, source, out_name, chunk_size=50)
    assert summary.resumed_rows == 99


def test_resume_without_a_partial_file_starts_from_the_beginning(tmp_path):
    source = write_csv(tmp_path / "in.csv", sample_rows(20))
    summary = score_file(source, tmp_path / "out.csv", FakeAnalyzer(), text_column="review", resume=True)
    assert summary.resumed_rows == 0
    assert (tmp_path / "out.csv").read_bytes() == uninterrupted(tmp_path, source, "out.csv")


def test_resume_refuses_a_partial_file_written_with_other_columns(tmp_path):
    source = write_csv(tmp_path / "in.csv", sample_rows(300))
    out = tmp_path / "out.csv"
    with pytest.raises(Interrupted):
        score_file(source, out, InterruptingAnalyzer(chunks_before_stop=1), text_column="review", chunk_size=100)
    with pytest.raises(InvalidInputError, match="header differs"):
        score_file(source, out, FakeAnalyzer(), text_column="review", modes=["polarity", "intent"], resume=True)


def test_resume_refuses_a_partial_file_longer_than_the_input(tmp_path):
    big = write_csv(tmp_path / "big.csv", sample_rows(300))
    small = write_csv(tmp_path / "small.csv", sample_rows(50))
    out = tmp_path / "out.csv"
    with pytest.raises(Interrupted):
        score_file(big, out, InterruptingAnalyzer(chunks_before_stop=2), text_column="review", chunk_size=100)
    with pytest.raises(InvalidInputError, match="has only 50 records"):
        score_file(small, out, FakeAnalyzer(), text_column="review", resume=True)


def test_jsonl_in_and_out_with_broken_lines(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"id": 1, "review": "good", "meta": {"stars": 5}}\n'
        b"\n"
        b'{"id": 2, "review": "bad bad"\n'
        b"[1, 2]\n"
        b'{"id": 3}\n'
        b'{"id": 4, "review": 17}\n'
        b'{"id": 5, "review": "caf\xe9 good"}\n'
        b'{"id": 6, "review": "\\ud800 lone surrogate"}\n'
        b'{"id": 7, "review": "is it good?", "extra": true}\n'
    )
    summary = score_file(source, tmp_path / "out.jsonl", FakeAnalyzer(), text_column="review", modes=["polarity", "intent"])
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8 and summary.errors == 6
    assert lines[0]["meta"] == {"stars": 5} and lines[0]["polarity_label"] == "positive" and lines[0][ERROR_COLUMN] is None
    assert lines[1][ERROR_COLUMN].startswith("line 3: not valid JSON")
    assert lines[2][ERROR_COLUMN] == "line 4: expected a JSON object, got list"
    assert lines[3] == {**dict.fromkeys(lines[3]), "id": 3, ERROR_COLUMN: "line 5: no field 'review'"}
    assert lines[4][ERROR_COLUMN] == "line 6: column 'review' holds int, expected text"
    assert lines[5][ERROR_COLUMN].startswith("line 7: undecodable bytes") and lines[5]["review"] == "caf\ufffd good"
    assert "lone surrogates" in lines[6][ERROR_COLUMN]
    assert lines[7]["intent_label"] == "question" and lines[7]["extra"] is True


def test_jsonl_to_csv_has_every_field_of_every_record_as_a_column(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"review": "good", "a": 1}\n{"b": [1, 2], "review": "bad"}\n', encoding="utf-8")
    score_file(source, tmp_path / "out.csv", FakeAnalyzer(), text_column="review")
    rows = read_csv(tmp_path / "out.csv")
    assert list(rows[0])[:3] == ["review", "a", "b"]
    assert (rows[0]["a"], rows[0]["b"], rows[1]["a"], rows[1]["b"]) == ("1", "", "", "[1, 2]")


def test_tsv_and_explicit_formats_and_encoding(tmp_path):
    source = tmp_path / "reviews.data"
    source.write_bytes("review\tid\nsehr good caf\xe9\t1\n".encode("latin-1"))
    score_file(
        source, tmp_path / "out.txt", FakeAnalyzer(), text_column="review",
        input_format="tsv", output_format="jsonl", encoding="latin-1",
    )
    record = json.loads((tmp_path / "out.txt").read_text(encoding="utf-8"))
    assert record["review"] == "sehr good café" and record[ERROR_COLUMN] is None


def test_a_bom_from_a_spreadsheet_does_not_hide_the_first_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"\xef\xbb\xbfreview,id\ngood,1\n")
    score_file(source, tmp_path / "out.csv", FakeAnalyzer(), text_column="review")
    assert read_csv(tmp_path / "out.csv")[0]["polarity_label"] == "positive"


@pytest.mark.parametrize(
    "make_input, options, error, message",
    [
        (lambda d: write_csv(d / "in.csv", sample_rows(2)), {"text_column": "body"}, InvalidInputError,
         "no column 'body' in .*; columns: 'id', 'review', 'shop'"),
        (lambda d: d / "missing.csv", {}, FileNotFoundError, "no such file"),
        (lambda d: d, {}, IsADirectoryError, "is a directory"),
        (lambda d: write_bytes(d / "in.csv", b"PK\x03\x04\x00\x00binary"), {}, InvalidInputError,
         "looks like a binary file"),
        (lambda d: write_bytes(d / "in.csv", b""), {}, InvalidInputError, "empty: no header row"),
        (lambda d: write_csv(d / "in.xlsx", []), {}, InvalidInputError, "cannot tell the format"),
        (lambda d: write_csv(d / "in.csv", []), {"input_format": "xml"}, InvalidInputError,
         "unknown format 'xml'; valid formats: csv, jsonl, tsv"),
        (lambda d: write_csv(d / "in.csv", [], header=("review", "error")), {}, InvalidInputError,
         "already has result column"),
        (lambda d: write_csv(d / "in.csv", [], header=("review", "x", "x")), {}, InvalidInputError,
         "duplicate column names: 'x'"),
        (lambda d: write_csv(d / "in.csv", []), {"encoding": "klingon"}, InvalidInputError, "unknown encoding"),
        (lambda d: write_csv(d / "in.csv", []), {"modes": ["sarcasm"]}, UnsupportedModeError,
         "valid modes: intent, polarity"),
    ],
)
def test_bad_inputs_fail_before_any_output_with_a_clear_message(tmp_path, make_input, options, error, message):
    source = make_input(tmp_path)
    options = {"text_column": "review", **options}
    with pytest.raises(error, match=message):
        score_file(source, tmp_path / "out.csv", FakeAnalyzer(), **options)
    assert not (tmp_path / "out.csv").exists() and not partial_path(tmp_path / "out.csv").exists()


def test_the_output_must_not_be_the_input_and_its_folder_must_exist(tmp_path):
    source = write_csv(tmp_path / "in.csv", sample_rows(2))
    with pytest.raises(InvalidInputError, match="is the input file"):
        score_file(source, source, FakeAnalyzer(), text_column="review")
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        score_file(source, tmp_path / "nowhere" / "out.csv", FakeAnalyzer(), text_column="review")


def test_an_analyzer_name_is_built_only_after_the_input_is_checked(tmp_path, fake_analyzer):
    source = write_csv(tmp_path / "in.csv", sample_rows(3))
    with pytest.raises(UnknownAnalyzerError, match="valid analyzers: .*fake"):
        score_file(source, tmp_path / "out.csv", "nonexistent", text_column="review")
    summary = score_file(source, tmp_path / "out.csv", "fake", text_column="review")
    assert summary.rows == 3


def test_the_lexicon_analyzer_scores_every_mode(tmp_path):
    source = write_csv(
        tmp_path / "in.csv",
        [["1", "The camera struggles in low light but the battery is great.", "x"],
         ["2", "I want to return this, it broke after a day. Terrible!", "y"]],
    )
    score_file(source, tmp_path / "out.csv", "lexicon", text_column="review", modes=list(result_modes()))
    rows = read_csv(tmp_path / "out.csv")
    assert all(r[ERROR_COLUMN] == "" for r in rows)
    assert rows[1]["polarity_label"] == "negative" and 1 <= int(rows[1]["stars"]) <= 5
    assert rows[1]["intent_label"] in {"cancel_return_refund", "complaint"}
    assert {a["term"] for a in json.loads(rows[0]["aspects"])} >= {"camera", "battery"}
    assert rows[0]["emotion_top"] != ""


def result_modes():
    return ("polarity", "fine_grained", "aspect", "emotion", "intent")
