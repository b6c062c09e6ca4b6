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
from benchmarks.peers import METHOD as PEERS_METHOD  # noqa: E402
from benchmarks.peers import PEER_DESCRIPTIONS, PEER_MODES, PEERS, fit_edges, vader_score_function  # noqa: E402
from benchmarks.tasks import (  # noqa: E402
    Task, data_file, datasets_of, majority_baseline, read_jsonl, tasks_for,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
RESULTS_SCHEMA_VERSION = 1
# Texts per analyze_batch call: large enough for a neural model's batching, small enough for memory.
BATCH_SIZE = 256
# Analyzers timed in every mode they serve (the others in their polarity mode only).
THROUGHPUT_EVERY_MODE = ("lexicon",)
# A timing measurement (the analyzer and VADER together) runs at most this long after its first
# round, but always at least MIN_ROUNDS rounds: a slow analyzer gets fewer rounds, not a longer run.
THROUGHPUT_BUDGET_S = 60.0
MIN_ROUNDS = 3
WARMUP_TEXTS = 32  # texts analyzed once before timing (lazy loading, caches)
# Texts of each kind the memory probes analyze: enough for a full batch of work per mode.
MEMORY_TEXTS = {"short": 256, "long": 64}


# Options for the accuracy runs only, which skip work that does not change any prediction (the
# leave-one-out token explanations of the neural analyzer, one forward pass per token); results.json
# records them per analyzer. Throughput and memory are measured on the default analyzers.
EVALUATION_OPTIONS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "neural": ("no explanations", lambda: {"explain": False}),
    "hybrid": ("no explanations", lambda: {"explain": False}),
}
# Further builds timed for throughput only, by analyzer: the neural analyzer's RNN family (its
# accuracy is that of the models it loads, reported by their own evaluation), and the builds that
# batch scoring uses (no explanations, no per-sentence pass; the same predictions).
THROUGHPUT_EXTRA_VARIANTS: dict[str, tuple[tuple[str, Callable[[], dict[str, Any]]], ...]] = {
    "neural": (
        ("no explanations, no sentences", lambda: {"explain": False, "sentences": False}),
        ("arch=rnn", lambda: {"arch": "rnn"}),
        ("arch=rnn, no explanations", lambda: {"arch": "rnn", "explain": False}),
        ("arch=rnn, no explanations, no sentences", lambda: {"arch": "rnn", "explain": False, "sentences": False}),
    ),
    "hybrid": (("no explanations, no sentences", lambda: {"explain": False, "sentences": False}),),
}
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
    fit_rows: int | None  # SST-5 train rows the peers' fine-grained edges are fitted on


FULL = Size(rows_per_dataset=None, short_texts=1500, long_texts=300, rounds=7, fit_rows=None)
QUICK = Size(rows_per_dataset=150, short_texts=200, long_texts=50, rounds=3, fit_rows=1000)
# The peers' fine-grained edges are fitted on this set's train split, like the lexicon's.
FINE_GRAINED_FIT_DATASET = "sst5"
# Throughput texts: short = SST sentences, long = multi-sentence clothing reviews.
THROUGHPUT_SOURCES = {"short": "sst5", "long": "womens_clothing_reviews"}


# --- analyzers ------------------------------------------------------------------------------------


@dataclass
class Candidate:
    name: str
    kind: str  # "registered" or "peer"
    modes: tuple[str, ...]
    description: str
    analyzer: Any = None  # as users get it: get_analyzer(name)
    evaluation_analyzer: Any = None  # the same predictions, built with EVALUATION_OPTIONS when listed
    error: str | None = None
    build_s: float | None = None
    failed_modes: dict[str, str] = field(default_factory=dict)  # mode -> why analyzing failed
    notes: dict[str, Any] = field(default_factory=dict)  # e.g. a peer's fine-grained edges

    @property
    def working_modes(self) -> tuple[str, ...]:
        return tuple(mode for mode in self.modes if mode not in self.failed_modes)


def build_candidates(names: Sequence[str] | None) -> list[Candidate]:
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
    peer_modes = tuple(sorted(mode.value for mode in PEER_MODES))
    candidates += [
        Candidate(name, "peer", peer_modes, PEER_DESCRIPTIONS[name]) for name in PEERS
    ]
    for candidate in candidates:
        started = time.perf_counter()
        try:
            if candidate.kind == "peer":
                candidate.analyzer = PEERS[candidate.name]()
                candidate.notes["fine_grained_edges"] = list(candidate.analyzer.edges)
            else:
                from sentiment import get_analyzer

                candidate.analyzer = get_analyzer(candidate.name)
                served = tuple(sorted(m.value for m in candidate.analyzer.modes))
                if served != candidate.modes:  # e.g. a hybrid without a stacker for some mode
                    candidate.notes["modes_not_available"] = sorted(set(candidate.modes) - set(served))
                    candidate.modes = served
        except Exception as error:  # any failure to build is reported, not fatal
            candidate.error = f"{type(error).__name__}: {error}"
        candidate.build_s = round(time.perf_counter() - started, 3)
        candidate.evaluation_analyzer = candidate.analyzer
        if candidate.analyzer is not None and candidate.name in EVALUATION_OPTIONS:
            description, options = EVALUATION_OPTIONS[candidate.name]
            try:
                from sentiment import get_analyzer

                candidate.evaluation_analyzer = get_analyzer(candidate.name, **options())
                candidate.notes["accuracy_runs_built_with"] = description
            except Exception as error:
                candidate.notes["accuracy_runs_built_with"] = f"defaults ({description} failed: {error})"
        status = "ok" if candidate.error is None else f"skipped ({candidate.error})"
        print(f"[build] {candidate.name}: {status} in {candidate.build_s}s", file=sys.stderr)
    return candidates


def fit_peer_edges(candidates: list[Candidate], data_dir: Path, limit: int | None) -> None:
    """Give each peer fine-grained edges fitted on SST-5 train, as the lexicon's were (see peers.py)."""
    path = data_file(data_dir, FINE_GRAINED_FIT_DATASET, "train")
    if not path.is_file():
        for candidate in candidates:
            if candidate.kind == "peer":
                candidate.notes["fine_grained_edges_fitted_on"] = f"nothing ({path} not found): fixed edges"
        return
    rows = read_jsonl(path, limit)
    texts, stars = [row["text"] for row in rows], [int(row["label"]) for row in rows]
    for candidate in candidates:
        if candidate.kind != "peer" or candidate.analyzer is None:
            continue
        edges, train_accuracy = fit_edges(candidate.analyzer, texts, stars)
        candidate.analyzer = candidate.evaluation_analyzer = candidate.analyzer.with_edges(edges)
        candidate.notes.update(
            fine_grained_edges=list(edges),
            fine_grained_edges_fitted_on=f"{FINE_GRAINED_FIT_DATASET}/{path.name} ({len(rows)} rows)",
            fine_grained_train_accuracy=round(train_accuracy, 4),
        )
        print(f"[fit] {candidate.name} fine-grained edges {edges} (train accuracy {train_accuracy:.3f})",
              file=sys.stderr)


AGREEMENT_SAMPLE = 16  # texts on which a variant built for the accuracy runs is checked against the default


def _decisions(analysis: Any) -> tuple:
    """What the metrics read from an analysis (labels, stars, scores), for comparing two builds."""
    return (
        analysis.polarity and (analysis.polarity.label, round(analysis.polarity.score, 6)),
        analysis.fine_grained and (analysis.fine_grained.stars, round(analysis.fine_grained.score, 6)),
        analysis.emotion and tuple(analysis.emotion.labels),
        analysis.intent and analysis.intent.label,
    )


def check_evaluation_variants(candidates: list[Candidate], texts: list[str]) -> None:
    """Record whether each accuracy-run variant decides exactly as the default build on a sample."""
    sample = texts[:AGREEMENT_SAMPLE]
    for candidate in candidates:
        if candidate.evaluation_analyzer is candidate.analyzer or not sample:
            continue
        try:
            agrees = all(
                _decisions(a) == _decisions(b)
                for mode in candidate.modes
                for a, b in zip(candidate.analyzer.analyze_batch(sample, [mode]),
                                candidate.evaluation_analyzer.analyze_batch(sample, [mode]))
            )
        except Exception as error:
            agrees = f"not checked: {type(error).__name__}: {error}"
        candidate.notes["accuracy_variant_agrees_with_default"] = agrees
        print(f"[check] {candidate.name} accuracy variant agrees with the default: {agrees}", file=sys.stderr)


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
        path = data_file(data_dir, dataset, dataset_tasks[0].split)
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
            entries[task.name]["majority_baseline"] = majority_baseline([g for g in golds[task.name] if g is not None])
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
                    analyses = analyze_all(candidate.evaluation_analyzer, texts, [mode])
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
    probe = analyze_all(candidate.evaluation_analyzer, texts[:1], sorted({task.mode.value for task in checked}))[0]
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
    run: Callable[[list[str]], Any], vader_run: Callable[[list[str]], Any], texts: list[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Seconds per round for the analyzer and VADER on the same texts, alternating which goes first
    so that a change in machine load between rounds affects both alike. Up to `rounds` rounds, fewer
    (but at least MIN_ROUNDS) when they would take longer than THROUGHPUT_BUDGET_S."""
    run(texts[:WARMUP_TEXTS]), vader_run(texts[:WARMUP_TEXTS])
    analyzer_s: list[float] = []
    vader_s: list[float] = []
    for index in range(rounds):
        if index % 2 == 0:
            vader_s.append(time_call(lambda: vader_run(texts)))
            analyzer_s.append(time_call(lambda: run(texts)))
        else:
            analyzer_s.append(time_call(lambda: run(texts)))
            vader_s.append(time_call(lambda: vader_run(texts)))
        per_round = analyzer_s[0] + vader_s[0]
        if index + 1 >= MIN_ROUNDS and per_round * (index + 1) >= THROUGHPUT_BUDGET_S:
            break
    return analyzer_s, vader_s


def throughput(candidates: list[Candidate], texts_by_kind: dict[str, list[str]], rounds: int) -> list[dict]:
    """docs/s per analyzer (and mode) on short and long texts, and its ratio to VADER per round (median).

    Each analyzer is timed as users get it; one built with different options for the accuracy runs
    is timed as well, as the variant named in results.json, and so are its THROUGHPUT_EXTRA_VARIANTS."""
    vader = vader_score_function()
    rows: list[dict] = []
    extras = {candidate.name: extra_variants(candidate) for candidate in candidates if candidate.analyzer is not None}
    for kind, texts in texts_by_kind.items():

        def vader_run(batch: list[str]) -> None:
            for text in batch:
                vader(text)

        for candidate in candidates:
            working = candidate.working_modes
            if candidate.analyzer is None or not working:
                continue
            modes = list(working) if candidate.name in THROUGHPUT_EVERY_MODE else [
                "polarity" if "polarity" in working else working[0]
            ]
            variants = [("default", candidate.analyzer)]
            if candidate.evaluation_analyzer is not candidate.analyzer:
                variants.append((candidate.notes["accuracy_runs_built_with"], candidate.evaluation_analyzer))
            variants += [(name, analyzer) for name, analyzer in extras[candidate.name] if set(modes) <= analyzer_modes(analyzer)]
            for mode in modes:
                for variant, analyzer in variants:
                    rows.append(_time_one(candidate.name, variant, analyzer, mode, kind, texts, vader_run, rounds))
    return rows


def extra_variants(candidate: Candidate) -> list[tuple[str, Any]]:
    """The candidate's THROUGHPUT_EXTRA_VARIANTS that build."""
    from sentiment import get_analyzer

    built = []
    for variant, options in THROUGHPUT_EXTRA_VARIANTS.get(candidate.name, ()):
        try:
            built.append((variant, get_analyzer(candidate.name, **options())))
        except Exception as error:  # e.g. no RNN models shipped: reported, not fatal
            print(f"[speed] {candidate.name} ({variant}) not built: {error}", file=sys.stderr)
    return built


def analyzer_modes(analyzer: Any) -> set[str]:
    return {mode.value for mode in analyzer.modes}


def _time_one(name: str, variant: str, analyzer: Any, mode: str, kind: str, texts: list[str],
              vader_run: Callable[[list[str]], Any], rounds: int) -> dict[str, Any]:
    row: dict[str, Any] = {"analyzer": name, "variant": variant, "mode": mode, "kind": kind, "texts": len(texts)}
    try:
        analyzer_s, vader_s = alternate_with_vader(lambda batch: analyze_all(analyzer, batch, [mode]),
                                                   vader_run, texts, rounds)
    except Exception as error:
        return {**row, "error": f"{type(error).__name__}: {error}"}
    ratios = [v / a for a, v in zip(analyzer_s, vader_s)]
    row.update(
        rounds=len(ratios),
        docs_per_s=round(len(texts) / statistics.median(analyzer_s), 1),
        vader_docs_per_s=round(len(texts) / statistics.median(vader_s), 1),
        ratio_to_vader=round(statistics.median(ratios), 4),
        round_ratios=[round(r, 4) for r in ratios],
    )
    print(f"[speed] {kind} {name}/{mode} ({variant}): {row['docs_per_s']} docs/s, {row['ratio_to_vader']}x VADER",
          file=sys.stderr)
    return row


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
    fit_peer_edges(candidates, data_dir, size.fit_rows)
    sst_path = data_file(data_dir, THROUGHPUT_SOURCES["short"])
    if sst_path.is_file():
        check_evaluation_variants(candidates, [row["text"] for row in read_jsonl(sst_path, AGREEMENT_SAMPLE)])
    task_results = evaluate(candidates, tasks, data_dir, size)

    texts_by_kind: dict[str, list[str]] = {}
    for kind, dataset in THROUGHPUT_SOURCES.items():
        path = data_file(data_dir, dataset)
        if path.is_file():
            limit = size.short_texts if kind == "short" else size.long_texts
            texts_by_kind[kind] = [row["text"] for row in read_jsonl(path, limit)]
    speed = throughput(candidates, texts_by_kind, size.rounds)
    threads = torch_threads()  # after the analyzers ran: some import torch only when first used
    memory_texts = [text for kind, texts in texts_by_kind.items() for text in texts[: MEMORY_TEXTS[kind]]]
    peak_memory = {} if args.skip_memory else memory(candidates, memory_texts)

    rows_used = f"{size.rows_per_dataset} rows spread evenly" if size.rows_per_dataset else "every row"
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
                **c.notes,
            }
            for c in candidates
        },
        "accuracy_method": (
            f"Each analyzer analyzes {rows_used} of each test split, one mode at a time, in batches of "
            f"{BATCH_SIZE}, and each task scores the mode it is about. Analyzers listed in EVALUATION_OPTIONS "
            "(benchmarks/run.py) are built for these runs without work that changes no prediction: the "
            "neural analyzer's leave-one-out token explanations (explain=False), also inside the hybrid."
        ),
        "peers_method": PEERS_METHOD,
        "tasks": task_results,
        "throughput": {
            "method": (
                f"Single process, analyze_batch in batches of {BATCH_SIZE}. Each analyzer as get_analyzer "
                "builds it (in its polarity mode; the lexicon in every mode; an analyzer built with other "
                "options for the accuracy runs also as that variant) and VADER "
                "(SentimentIntensityAnalyzer.polarity_scores per text) take turns on the same texts after "
                f"a warm-up on {WARMUP_TEXTS} texts, alternating which goes first, for {size.rounds} rounds "
                f"or fewer (at least {MIN_ROUNDS}) where they would take over {THROUGHPUT_BUDGET_S:.0f} s; "
                "docs/s is texts / median round time, and the ratio to VADER is the median of the per-round "
                "ratios (above 1: faster than VADER)."
            ),
            "texts": {
                kind: {
                    "source": f"{THROUGHPUT_SOURCES[kind]}/test.jsonl ({len(texts)} rows spread evenly)",
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
                "analyzer that imports the library, builds the default analyzer and analyzes "
                f"{MEMORY_TEXTS['short']} short and {MEMORY_TEXTS['long']} long throughput texts "
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
