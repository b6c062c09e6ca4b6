"""The benchmark command: every registered analyzer in every mode it serves, VADER and TextBlob
beside it, on the shared test splits; throughput as ratios to VADER; peak memory.

    python benchmarks/run.py [--quick] [--data-dir ../shared/data] [--out benchmarks/results.json]

Writes results.json (every figure, the machine, versions and git commit), a Markdown report next
to it, one PNG per task and a throughput PNG, and the README's benchmark section (full runs only).
`--quick` uses small slices for development (under two minutes) and writes results-quick.* instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Sequence

if __package__ in (None, ""):  # run as `python benchmarks/run.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report  # noqa: E402
from benchmarks.peers import PEERS, vader_score_function  # noqa: E402
from benchmarks.tasks import Task, data_file, datasets_of, read_jsonl, tasks_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
RESULTS_SCHEMA_VERSION = 1
# Texts per analyze_batch call: large enough for a neural model's batching, small enough for memory.
BATCH_SIZE = 256
# Analyzers timed in every mode they serve (the others in their polarity mode only).
THROUGHPUT_EVERY_MODE = ("lexicon",)
VERSIONED_PACKAGES = (
    "sentiment", "vaderSentiment", "textblob", "nltk", "numpy", "scipy", "scikit-learn",
    "torch", "safetensors", "matplotlib",
)


@dataclass(frozen=True)
class Size:
    """How much of the data one run uses."""

    rows_per_dataset: int | None  # None: the whole test split
    short_texts: int  # SST sentences timed for throughput
    long_texts: int  # clothing reviews timed for throughput
    rounds: int  # alternating timing rounds with VADER (the median is reported)


FULL = Size(rows_per_dataset=None, short_texts=2000, long_texts=500, rounds=5)
QUICK = Size(rows_per_dataset=150, short_texts=200, long_texts=50, rounds=3)
# Throughput texts: short = SST sentences, long = multi-sentence clothing reviews.
THROUGHPUT_SOURCES = {"short": "sst5", "long": "womens_clothing_reviews"}


# --- analyzers ------------------------------------------------------------------------------------


@dataclass
class Candidate:
    name: str
    kind: str  # "registered" or "peer"
    modes: tuple[str, ...]
    description: str
    analyzer: Any = None
    error: str | None = None
    build_s: float | None = None
    failed_modes: dict[str, str] = field(default_factory=dict)  # mode -> why analyzing failed

    @property
    def working_modes(self) -> tuple[str, ...]:
        return tuple(mode for mode in self.modes if mode not in self.failed_modes)


def build_candidates(names: Sequence[str] | None, with_peers: bool = True) -> list[Candidate]:
    """Registered analyzers (all, or those named) and the peers; a failed build is kept with its reason."""
    from sentiment import available_analyzers

    specs = available_analyzers()
    if names:
        unknown = [n for n in names if n not in specs]
        if unknown:
            raise SystemExit(f"unknown analyzer(s) {', '.join(unknown)}; registered: {', '.join(specs)}")
        specs = {n: specs[n] for n in names}
    candidates = [
        Candidate(name, "registered", tuple(sorted(m.value for m in spec.modes)), spec.description)
        for name, spec in specs.items()
    ]
    if with_peers:
        candidates += [
            Candidate("vader", "peer", ("fine_grained", "polarity"), "vaderSentiment 3.3.2 compound score"),
            Candidate("textblob", "peer", ("fine_grained", "polarity"), "TextBlob PatternAnalyzer polarity"),
        ]
    for candidate in candidates:
        started = time.perf_counter()
        try:
            if candidate.kind == "peer":
                candidate.analyzer = PEERS[candidate.name]()
            else:
                from sentiment import get_analyzer

                candidate.analyzer = get_analyzer(candidate.name)
        except Exception as error:  # any failure to build is reported, not fatal
            candidate.error = f"{type(error).__name__}: {error}"
        candidate.build_s = round(time.perf_counter() - started, 3)
        status = "ok" if candidate.error is None else f"skipped ({candidate.error})"
        print(f"[build] {candidate.name}: {status} in {candidate.build_s}s", file=sys.stderr)
    return candidates


# --- accuracy -------------------------------------------------------------------------------------


def analyze_all(analyzer: Any, texts: list[str], modes: list[str]) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(texts), BATCH_SIZE):
        results.extend(analyzer.analyze_batch(texts[start : start + BATCH_SIZE], modes))
    return results


def evaluate(candidates: list[Candidate], tasks: list[Task], data_dir: Path, size: Size) -> dict[str, Any]:
    """Every task for every analyzer that serves its mode; each data set is analyzed once per analyzer."""
    out: dict[str, Any] = {}
    for dataset, dataset_tasks in datasets_of(tasks):
        path = data_file(data_dir, dataset)
        entries = {
            task.name: {
                "dataset": dataset,
                "file": f"{dataset}/{path.name}",
                "mode": task.mode.value,
                "method": task.method,
                "headline": list(task.headline),
                "results": {},
                "skipped": {},
            }
            for task in dataset_tasks
        }
        out.update(entries)
        if not path.is_file():
            for entry in entries.values():
                entry["status"] = f"no data: {path} not found"
            print(f"[eval] {dataset}: no data at {path}", file=sys.stderr)
            continue
        rows = read_jsonl(path, size.rows_per_dataset)
        texts = [row["text"] for row in rows]
        golds = {task.name: [task.gold(row) for row in rows] for task in dataset_tasks}
        for task in dataset_tasks:
            entries[task.name]["rows"] = len(rows)
            entries[task.name]["scored_rows"] = sum(g is not None for g in golds[task.name])
        for candidate in candidates:
            served = [t for t in dataset_tasks if t.mode.value in candidate.modes]
            if not served:
                continue
            if candidate.analyzer is None:
                for task in served:
                    entries[task.name]["skipped"][candidate.name] = f"not built: {candidate.error}"
                continue
            try:
                served = _applicable(candidate, served, texts, entries)
            except Exception as error:
                served = _fail(candidate, served, error, entries)
            for mode in sorted({task.mode.value for task in served}):
                mode_tasks = [task for task in served if task.mode.value == mode]
                started = time.perf_counter()
                try:
                    analyses = analyze_all(candidate.analyzer, texts, [mode])
                except Exception as error:
                    _fail(candidate, mode_tasks, error, entries)
                    print(f"[eval] {dataset} {candidate.name}/{mode}: failed: {error}", file=sys.stderr)
                    continue
                seconds = time.perf_counter() - started
                for task in mode_tasks:
                    kept = [(a, g) for a, g in zip(analyses, golds[task.name]) if g is not None]
                    metrics = task.score([a for a, _ in kept], [g for _, g in kept])
                    metrics["analysis_s"] = round(seconds, 3)
                    entries[task.name]["results"][candidate.name] = metrics
                print(f"[eval] {dataset} {candidate.name}/{mode}: {len(texts)} texts in {seconds:.1f}s",
                      file=sys.stderr)
    return out


def _fail(candidate: Candidate, tasks: list[Task], error: Exception, entries: dict[str, dict]) -> list[Task]:
    """Record that the analyzer failed on these tasks (and their modes, left out of the timings)."""
    reason = f"failed: {type(error).__name__}: {error}"
    for task in tasks:
        entries[task.name]["skipped"][candidate.name] = reason
        candidate.failed_modes.setdefault(task.mode.value, reason)
    return []


def _applicable(candidate: Candidate, served: list[Task], texts: list[str], entries: dict[str, dict]) -> list[Task]:
    """The served tasks the analyzer can be scored on, judged from its analysis of the first text
    (a task's `applicable` check, e.g. whether its intent labels cover banking77's); the others are
    recorded as skipped with the reason, before the whole set is analyzed for nothing."""
    checked = [task for task in served if task.applicable is not None]
    if not checked or not texts:
        return served
    probe = analyze_all(candidate.analyzer, texts[:1], sorted({task.mode.value for task in checked}))[0]
    kept = []
    for task in served:
        reason = task.applicable(probe) if task.applicable is not None else None
        if reason:
            entries[task.name]["skipped"][candidate.name] = reason
        else:
            kept.append(task)
    return kept


# --- throughput -----------------------------------------------------------------------------------


def time_call(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def alternate_with_vader(
    run: Callable[[], Any], vader_run: Callable[[], Any], rounds: int
) -> tuple[list[float], list[float]]:
    """Seconds per round for the analyzer and VADER on the same texts, alternating which goes first
    so that a change in machine load between rounds affects both alike."""
    run(), vader_run()  # warm-up: lazy loading, caches
    analyzer_s, vader_s = [], []
    for index in range(rounds):
        if index % 2 == 0:
            vader_s.append(time_call(vader_run))
            analyzer_s.append(time_call(run))
        else:
            analyzer_s.append(time_call(run))
            vader_s.append(time_call(vader_run))
    return analyzer_s, vader_s


def throughput(candidates: list[Candidate], texts_by_kind: dict[str, list[str]], rounds: int) -> list[dict]:
    """docs/s per analyzer (and mode) on short and long texts, and its ratio to VADER per round (median)."""
    vader = vader_score_function()
    rows: list[dict] = []
    for kind, texts in texts_by_kind.items():

        def vader_run(texts: list[str] = texts) -> None:
            for text in texts:
                vader(text)

        for candidate in candidates:
            if candidate.analyzer is None:
                continue
            working = candidate.working_modes
            if not working:
                continue
            modes = list(working) if candidate.name in THROUGHPUT_EVERY_MODE else [
                "polarity" if "polarity" in working else working[0]
            ]
            for mode in modes:
                def run(analyzer: Any = candidate.analyzer, mode: str = mode, texts: list[str] = texts) -> None:
                    analyze_all(analyzer, texts, [mode])

                try:
                    analyzer_s, vader_s = alternate_with_vader(run, vader_run, rounds)
                except Exception as error:
                    rows.append({"analyzer": candidate.name, "mode": mode, "kind": kind,
                                 "error": f"{type(error).__name__}: {error}"})
                    continue
                ratios = [v / a for a, v in zip(analyzer_s, vader_s)]
                row = {
                    "analyzer": candidate.name,
                    "mode": mode,
                    "kind": kind,
                    "texts": len(texts),
                    "docs_per_s": round(len(texts) / statistics.median(analyzer_s), 1),
                    "vader_docs_per_s": round(len(texts) / statistics.median(vader_s), 1),
                    "ratio_to_vader": round(statistics.median(ratios), 4),
                    "round_ratios": [round(r, 4) for r in ratios],
                }
                rows.append(row)
                print(f"[speed] {kind} {candidate.name}/{mode}: {row['docs_per_s']} docs/s, "
                      f"{row['ratio_to_vader']}x VADER", file=sys.stderr)
    return rows


# --- memory ---------------------------------------------------------------------------------------


def memory(candidates: list[Candidate], texts: list[str]) -> dict[str, Any]:
    """Peak RSS of a fresh process per analyzer that imports, builds it and analyzes `texts` in all its modes."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        texts_file = Path(folder) / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        for candidate in candidates:
            if candidate.analyzer is None or not candidate.working_modes:
                continue
            command = [sys.executable, "-m", "benchmarks.memory_probe", "--analyzer", candidate.name,
                       "--texts", str(texts_file), "--modes", ",".join(candidate.working_modes)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                last_lines = done.stderr.strip().splitlines()[-1:]
                results[candidate.name] = {"error": last_lines[0] if last_lines else f"exit {done.returncode}"}
                continue
            probe = json.loads(done.stdout.strip().splitlines()[-1])
            probe["over_imports_mib"] = round(probe["peak_rss_mib"] - probe["rss_after_imports_mib"], 1)
            results[candidate.name] = probe
            print(f"[memory] {candidate.name}: peak {probe['peak_rss_mib']} MiB", file=sys.stderr)
    return results


# --- provenance -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu or platform.processor() or None,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(memory_kib / 1024 / 1024, 1) if memory_kib else None,
    }


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def git_state() -> dict[str, Any]:
    """The commit and whether the working tree differs from it (read-only: no index refresh)."""
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, env=environment)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def torch_threads() -> int | None:
    """torch's intra-op thread count, only if an analyzer imported torch (never imported just for this)."""
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


# --- the command ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small slices, for development (< 2 minutes)")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SENTIMENT_DATA_DIR", DEFAULT_DATA_DIR)))
    parser.add_argument("--out", type=Path, help="results JSON (default benchmarks/results.json, "
                        "or benchmarks/results-quick.json with --quick)")
    parser.add_argument("--plots-dir", type=Path, help="where PNGs go (default: plots/ or plots-quick/ next to --out)")
    parser.add_argument("--readme", type=Path, help="README whose benchmark section is rewritten "
                        "(default: README.md for a full run, none with --quick)")
    parser.add_argument("--analyzers", help="comma-separated registered analyzers (default: all)")
    parser.add_argument("--tasks", help="comma-separated task names (default: all)")
    parser.add_argument("--skip-memory", action="store_true", help="do not start the per-analyzer memory probes")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    started = time.perf_counter()
    size = QUICK if args.quick else FULL
    out = args.out or ROOT / "benchmarks" / ("results-quick.json" if args.quick else "results.json")
    plots_dir = args.plots_dir or out.parent / ("plots-quick" if args.quick else "plots")
    readme = args.readme if args.readme is not None else (None if args.quick else ROOT / "README.md")
    data_dir = args.data_dir.resolve()

    tasks = tasks_for(data_dir, args.tasks.split(",") if args.tasks else None, size.rows_per_dataset)
    candidates = build_candidates(args.analyzers.split(",") if args.analyzers else None)
    threads = torch_threads()
    task_results = evaluate(candidates, tasks, data_dir, size)

    texts_by_kind: dict[str, list[str]] = {}
    for kind, dataset in THROUGHPUT_SOURCES.items():
        path = data_file(data_dir, dataset)
        if path.is_file():
            limit = size.short_texts if kind == "short" else size.long_texts
            texts_by_kind[kind] = [row["text"] for row in read_jsonl(path, limit)]
    speed = throughput(candidates, texts_by_kind, size.rounds)
    memory_texts = [text for texts in texts_by_kind.values() for text in texts]
    peak_memory = {} if args.skip_memory else memory(candidates, memory_texts)

    results: dict[str, Any] = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "command": "python benchmarks/run.py" + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {**machine(), "torch_threads": threads},
        "versions": versions(),
        "git": git_state(),
        "data_dir": str(data_dir),
        "rows_per_dataset": size.rows_per_dataset,
        "analyzers": {
            c.name: {
                "kind": c.kind,
                "status": "ok" if c.error is None else "skipped",
                "reason": c.error,
                "modes": list(c.modes),
                "failed_modes": c.failed_modes,
                "description": c.description,
                "build_s": c.build_s,
            }
            for c in candidates
        },
        "tasks": task_results,
        "throughput": {
            "method": (
                f"Single process, analyze_batch in batches of {BATCH_SIZE}. Each analyzer (in its polarity "
                f"mode; the lexicon in every mode) and VADER (SentimentIntensityAnalyzer.polarity_scores "
                f"per text) take turns on the same texts for {size.rounds} rounds after a warm-up, "
                "alternating which goes first; docs/s is texts / median round time, and the ratio to VADER "
                "is the median of the per-round ratios (above 1: faster than VADER)."
            ),
            "texts": {
                kind: {
                    "source": f"{THROUGHPUT_SOURCES[kind]}/test.jsonl (first {len(texts)})",
                    "count": len(texts),
                    "mean_chars": round(sum(map(len, texts)) / len(texts), 1) if texts else None,
                }
                for kind, texts in texts_by_kind.items()
            },
            "rounds": size.rounds,
            "results": speed,
        },
        "memory": {
            "method": (
                "Peak resident set size (VmHWM in /proc/self/status) of a fresh Python process per "
                "analyzer that imports the library, builds the analyzer and analyzes the throughput texts "
                "in every mode it serves (minus any that failed in the accuracy runs); `over_imports_mib` "
                "subtracts the peak after the imports."
            ),
            "results": peak_memory,
        },
    }
    results["wall_time_s"] = round(time.perf_counter() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written = report.write_reports(results, out.with_suffix(".md"), plots_dir, readme)
    print(f"[done] {out} and {', '.join(str(p) for p in written)} in {results['wall_time_s']}s", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
