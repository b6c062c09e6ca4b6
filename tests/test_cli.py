"""The `sentiment` command line through Typer's CliRunner: every command and every bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FakeAnalyzer
from fresh_imports import packages_imported
from sentiment import get_analyzer
from sentiment.batch import ERROR_COLUMN, partial_path
from sentiment.cli.main import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def lexicon():
    return get_analyzer("lexicon")


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input, env=env)


def assert_user_error(result, *fragments: str) -> None:
    """Exit code 2 and exactly one line on stderr, naming what went wrong; no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "Traceback" not in result.output


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- start-up -------------------------------------------------------------------------------


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("analyze", "batch", "analyzers", "lexicon"):
        assert command in result.stdout


def test_help_and_the_lexicon_path_never_import_torch():
    script = (
        "from typer.testing import CliRunner\n"
        "from sentiment.cli.main import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "result = CliRunner().invoke(app, ['analyze', '--text', 'good', '-m', 'all', '-f', 'jsonl'])\n"
        "assert result.exit_code == 0, result.output\n"
    )
    assert packages_imported(script, ("torch", "transformers", "fastapi"), timeout=120) == []


def test_analyzers_lists_names_modes_and_descriptions(fake_analyzer):
    result = run("analyzers")
    assert result.exit_code == 0
    assert "lexicon" in result.stdout and "fake" in result.stdout
    assert "fine_grained" in result.stdout and "test double" in result.stdout


# --- analyze --------------------------------------------------------------------------------


def test_jsonl_is_exactly_the_library_result_per_line(lexicon):
    texts = ["The battery is great but the screen scratches easily.", "Not bad at all!"]
    result = run("analyze", "--text", texts[0], "--text", texts[1], "-m", "polarity", "-m", "intent", "-f", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [lexicon.analyze(t, ["polarity", "intent"]).to_json() for t in texts]


def test_a_file_gives_one_result_per_non_empty_line_or_one_per_file(tmp_path, lexicon):
    path = tmp_path / "reviews.txt"
    path.write_text("Loved it.\n\n   \nHated the smell.\r\nIt works.\n", encoding="utf-8")
    per_line = run("analyze", path, "-f", "jsonl")
    assert [json.loads(line)["text"] for line in per_line.stdout.splitlines()] == [
        "Loved it.", "Hated the smell.", "It works."
    ]
    per_file = run("analyze", path, "--per", "file", "-f", "jsonl")
    assert per_file.stdout.splitlines() == [lexicon.analyze(path.read_bytes().decode("utf-8")).to_json()]


def test_stdin_is_read_with_a_dash():
    result = run("analyze", "-", "-f", "jsonl", input="Wonderful staff.\nAwful food.\n")
    assert result.exit_code == 0, result.output
    labels = [json.loads(line)["polarity"]["label"] for line in result.stdout.splitlines()]
    assert labels == ["positive", "negative"]


def test_json_format_is_one_array_of_results(lexicon):
    result = run("analyze", "--text", "great", "--text", "terrible", "-f", "json", "-m", "emotion")
    assert json.loads(result.stdout) == [lexicon.analyze(t, "emotion").to_dict() for t in ("great", "terrible")]


def test_csv_format_has_source_line_text_and_result_columns():
    result = run("analyze", EXAMPLES / "reviews.txt", "-f", "csv", "-m", "polarity", "-m", "fine_grained")
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert len(rows) == 10
    assert list(rows[0])[:6] == ["source", "line", "text", "polarity_label", "polarity_score", "polarity_p_negative"]
    assert rows[0]["line"] == "1" and rows[0]["source"].endswith("reviews.txt")
    assert all(1 <= int(r["stars"]) <= 5 for r in rows)


def test_the_table_shows_every_mode_asked_for():
    result = run("analyze", "--text", "The camera is awful, I want a refund!", "-m", "all", "-f", "table", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for header in ("label", "score", "stars", "emotions", "intent", "aspects", "top words"):
        assert header in result.stdout
    assert "negative" in result.stdout and "camera" in result.stdout


def test_mode_all_fills_every_field():
    result = run("analyze", "--text", "The staff were rude.", "-m", "all", "-f", "jsonl")
    analysis = json.loads(result.stdout)
    assert all(analysis[field] is not None for field in ("polarity", "fine_grained", "aspects", "emotion", "intent"))


def test_a_user_lexicon_file_adds_words(tmp_path):
    words = tmp_path / "my_words.tsv"
    words.write_text("# domain slang\nzorbly\t3.0\n", encoding="utf-8")
    before = json.loads(run("analyze", "--text", "zorbly", "-f", "jsonl").stdout)
    after = json.loads(run("analyze", "--text", "zorbly", "--lexicon", words, "-f", "jsonl").stdout)
    assert before["polarity"]["label"] == "neutral" and after["polarity"]["label"] == "positive"


def test_the_fake_analyzer_is_reachable_by_name(fake_analyzer):
    result = run("analyze", "--text", "good good", "-a", "fake", "-f", "jsonl")
    assert json.loads(result.stdout)["analyzer"] == "fake"


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["analyze", "missing.txt"], ["missing.txt", "no such file"]),
        (["analyze", "{tmp}"], ["is a directory"]),
        (["analyze", "{tmp}/binary.txt"], ["binary.txt looks like a binary file"]),
        (["analyze", "{tmp}/latin1.txt"], ["latin1.txt is not UTF-8 text (byte 0xe9"]),
        (["analyze", "--text", "x", "-m", "sarcasm"], ["unsupported mode 'sarcasm'", "valid modes: aspect, emotion"]),
        (["analyze", "--text", "x", "-a", "oracle"], ["unknown analyzer 'oracle'", "valid analyzers:", "lexicon"]),
        (["analyze"], ["nothing to analyze"]),
        (["analyze", "--text", "x", "--lexicon", "{tmp}/nope.tsv"], ["nope.tsv", "no such file"]),
        (["analyze", "--text", "x", "--lexicon", "{tmp}/bad_words.tsv"], ["bad_words.tsv, line 2", "not a number"]),
        (["analyze", "--text", "x", "--lexicon", "{tmp}/binary.txt"], ["looks like a binary file"]),
        (["analyze", "--text", "x", "-a", "fake", "--lexicon", "{tmp}/words.tsv"], ["--lexicon does not apply", "'fake'"]),
        (["batch", "{tmp}/in.csv", "--out", "{tmp}/out.csv", "--text-column", "body"],
         ["no column 'body'", "columns: 'id', 'review'"]),
        (["batch", "{tmp}/missing.csv", "--out", "{tmp}/out.csv"], ["missing.csv", "no such file"]),
        (["batch", "{tmp}", "--out", "{tmp}/out.csv"], ["is a directory"]),
        (["batch", "{tmp}/binary.csv", "--out", "{tmp}/out.csv"], ["looks like a binary file"]),
        (["batch", "{tmp}/in.csv", "--out", "{tmp}/out.xml", "-c", "review"], ["cannot tell the format"]),
        (["batch", "{tmp}/in.csv", "--out", "{tmp}/out.csv", "-c", "review", "-m", "sarcasm"], ["unsupported mode"]),
        (["batch", "{tmp}/in.csv", "--out", "{tmp}/out.csv", "-c", "review", "-a", "oracle"], ["unknown analyzer"]),
        (["batch", "{tmp}/in.csv", "--out", "{tmp}/no/out.csv", "-c", "review"], ["output folder does not exist"]),
        (["lexicon", "emotion", "--data", "{tmp}/missing.jsonl", "--out", "{tmp}/e.tsv"], ["missing.jsonl", "no such file"]),
        (["lexicon", "fine-grained", "--data", "{tmp}", "--out", "{tmp}/bins.json"], ["is a directory"]),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(tmp_path, fake_analyzer, args, fragments):
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "binary.csv").write_bytes(b"review\n\x00\x01\x02")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "bad_words.tsv").write_text("fine\t1.0\nzorbly\tvery\n", encoding="utf-8")
    (tmp_path / "words.tsv").write_text("zorbly\t3.0\n", encoding="utf-8")
    (tmp_path / "in.csv").write_text("id,review\n1,good\n", encoding="utf-8")
    result = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert_user_error(result, *fragments)
    assert not (tmp_path / "out.csv").exists()


# --- batch ----------------------------------------------------------------------------------


def test_batch_scores_the_example_csv_keeping_its_columns(tmp_path):
    out = tmp_path / "scored.csv"
    result = run("batch", EXAMPLES / "reviews.csv", "--text-column", "review", "--out", out, "-m", "all")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the summary goes to stderr, stdout stays clean for pipes
    assert f"10 rows (0 with an error) -> {out}" in result.stderr
    rows = read_csv(out)
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 11)]
    assert rows[5]["product"] == "Café Lumière" and rows[4]["rating"] == ""
    assert rows[0]["polarity_label"] == "positive" and rows[7]["polarity_label"] == "negative"
    assert all(r["stars"] and r["intent_label"] and r["emotion_top"] and r[ERROR_COLUMN] == "" for r in rows)


def test_quiet_prints_nothing(tmp_path):
    result = run("batch", EXAMPLES / "reviews.csv", "-c", "review", "--out", tmp_path / "s.csv", "--quiet")
    assert result.exit_code == 0 and result.output == ""


def test_ten_thousand_rows_in_ten_thousand_rows_out_with_broken_rows_reported(tmp_path):
    phrases = ["great value", "not bad at all", "terrible service", "the screen cracked", "works fine",
               "would NOT recommend", "love it :)", "meh"]
    source = tmp_path / "big.csv"
    with source.open("wb") as handle:
        handle.write(b"id,review,store\n")
        for i in range(10_000):
            if i == 17:
                handle.write(b"17,,s1\n")  # empty text
            elif i == 4242:
                handle.write(b"4242,only two\n")  # ragged
            elif i == 9000:
                handle.write(b"9000,na\xefve \xff bytes,s2\n")  # undecodable
            else:
                handle.write(f"{i},{phrases[i % len(phrases)]} #{i},s{i % 5}\n".encode())
    out = tmp_path / "scored.csv"
    result = run("batch", source, "--text-column", "review", "--out", out, "--chunk-size", "1000")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert [r["id"] for r in rows] == [str(i) for i in range(10_000)]
    failed = {r["id"]: r[ERROR_COLUMN] for r in rows if r[ERROR_COLUMN]}
    assert sorted(failed) == ["17", "4242", "9000"]
    assert "empty text" in failed["17"] and "2 fields" in failed["4242"] and "undecodable" in failed["9000"]
    assert all(r["polarity_label"] in {"negative", "neutral", "positive"} for r in rows if not r[ERROR_COLUMN])
    assert "10000 rows (3 with an error)" in result.stderr


class CtrlCAnalyzer(FakeAnalyzer):
    """Stops the run like Ctrl-C after two chunks."""

    def _analyze_batch(self, texts, modes):
        if len(self.batch_sizes) == 2:
            raise KeyboardInterrupt
        return super()._analyze_batch(texts, modes)


def test_an_interrupted_batch_resumes_to_the_uninterrupted_output(tmp_path, fake_analyzer):
    from sentiment import register

    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps({"n": i, "review": f"good {i}" if i % 3 else f"bad {i}"}) + "\n" for i in range(500)),
        encoding="utf-8",
    )
    args = [source, "-c", "review", "-a", "fake", "--chunk-size", "100", "-m", "polarity", "-m", "intent"]
    run("batch", *args, "--out", tmp_path / "expected.csv")

    register("fake", CtrlCAnalyzer, modes=FakeAnalyzer.modes)
    out = tmp_path / "out.csv"
    interrupted = run("batch", *args, "--out", out)
    assert interrupted.exit_code == 130
    assert "--resume" in interrupted.stderr and str(partial_path(out)) in interrupted.stderr
    assert not out.exists()

    register("fake", FakeAnalyzer, modes=FakeAnalyzer.modes)
    resumed = run("batch", *args, "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "200 of them from the earlier run" in resumed.stderr
    assert out.read_bytes() == (tmp_path / "expected.csv").read_bytes()


def test_batch_jsonl_in_and_out(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"review": "Fantastic!", "id": 1}\nnot json\n{"review": "Dreadful.", "id": 2}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run("batch", source, "-c", "review", "--out", out).exit_code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r.get("id"), r["polarity_label"]) for r in lines] == [(1, "positive"), (None, None), (2, "negative")]
    assert lines[1][ERROR_COLUMN].startswith("line 2: not valid JSON")


# --- lexicon --------------------------------------------------------------------------------


def test_lexicon_emotion_induces_a_lexicon_and_thresholds(tmp_path):
    rows = [("I am so happy and delighted today", ["joy"]), ("This makes me furious and angry", ["anger"]),
            ("I feel sad and lonely", ["sadness"]), ("What a scary, terrifying night", ["fear"]),
            ("Wow I did not expect that", ["surprise"]), ("The meeting is at noon", ["neutral"])]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "labels": l}) + "\n" for t, l in rows * 20), encoding="utf-8")
    out = tmp_path / "emotion_lexicon.tsv"
    result = run("lexicon", "emotion", "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "emotion_thresholds.json").is_file()
    assert "happy" in out.read_text(encoding="utf-8")


def test_lexicon_fine_grained_fits_bin_edges(tmp_path):
    rows = [("an awful, horrible mess", 1), ("dull and weak", 2), ("it is a film", 3), ("pretty good fun", 4),
            ("a brilliant, wonderful masterpiece", 5)]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows * 10), encoding="utf-8")
    out = tmp_path / "bins.json"
    result = run("lexicon", "fine-grained", "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    edges = json.loads(out.read_text(encoding="utf-8"))["edges"]
    assert len(edges) == 4 and edges == sorted(edges)
    assert "bin edges" in result.stdout
