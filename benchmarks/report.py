"""Markdown tables and plots generated from results.json; never hand-edited numbers.

    python benchmarks/report.py [--results benchmarks/results.json] [--readme README.md]

writes results.md next to the results (every metric, the method of each task), one PNG per task and
throughput.png into plots/, and rewrites the README section between the markers below (the README
is left alone when it lacks them).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Iterable

START_MARKER = "<!-- benchmark:start -->"
END_MARKER = "<!-- benchmark:end -->"
DECIMALS = 3
MISSING = "–"
PLOT_DPI = 110


# Columns read from the simplest analyzer to the combined one; other registered analyzers follow.
PREFERRED_ORDER = ("lexicon", "neural", "hybrid")


def _analyzer_order(results: dict[str, Any]) -> list[str]:
    """Registered analyzers first (lexicon, neural, hybrid, then any other), then the peers."""
    analyzers = results["analyzers"]
    registered = sorted(
        (name for name, info in analyzers.items() if info["kind"] == "registered"),
        key=lambda name: (PREFERRED_ORDER.index(name) if name in PREFERRED_ORDER else len(PREFERRED_ORDER), name),
    )
    peers = [name for name, info in analyzers.items() if info["kind"] != "registered"]
    return registered + peers


def _number(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:.{DECIMALS}f}"
    return str(value)


def _table(header: list[str], rows: Iterable[list[str]], align_right_from: int = 1) -> str:
    separators = ["---" if i < align_right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(separators) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _served(results: dict[str, Any], analyzer: str, task: dict[str, Any]) -> bool:
    return task["mode"] in results["analyzers"][analyzer]["modes"]


def headline_table(results: dict[str, Any]) -> str:
    """One row per task and headline metric, one column per analyzer; the best value in bold."""
    analyzers = _analyzer_order(results)
    rows = []
    for name, task in results["tasks"].items():
        if not task["results"]:
            continue  # nothing scored: the reason is under "Not scored"
        for metric in task["headline"]:
            values = {a: task["results"].get(a, {}).get(metric) for a in analyzers}
            present = [v for v in values.values() if isinstance(v, (int, float))]
            best = max(present) if len(present) > 1 else None
            cells = []
            for analyzer in analyzers:
                value = values[analyzer]
                if not _served(results, analyzer, task):
                    cells.append("")
                elif value is None:
                    cells.append(MISSING)
                else:
                    text = _number(value)
                    cells.append(f"**{text}**" if best is not None and value == best else text)
            baseline = (task.get("majority_baseline") or {}).get(metric)
            rows.append([name, task["mode"], metric, str(task.get("scored_rows", MISSING)), *cells,
                         _number(baseline) if baseline is not None else ""])
    return _table(["task", "mode", "metric", "n", *analyzers, "majority class"], rows, align_right_from=3)


def _variant_label(row: dict[str, Any]) -> str:
    """The analyzer's name, with the variant when it is not the default build."""
    variant = row.get("variant", "default")
    return row["analyzer"] if variant == "default" else f"{row['analyzer']} ({variant})"


def throughput_table(results: dict[str, Any]) -> str:
    """docs/s and the ratio to VADER on short and long texts, and peak memory, per analyzer and mode."""
    by_key: dict[tuple[str, str, str], dict[str, dict]] = {}
    for row in results["throughput"]["results"]:
        by_key.setdefault((row["analyzer"], _variant_label(row), row["mode"]), {})[row["kind"]] = row
    memory = results.get("memory", {}).get("results", {})
    order = _analyzer_order(results)
    rows = []
    for (analyzer, label, mode), kinds in sorted(by_key.items(), key=lambda item: order.index(item[0][0])):
        cells = [label, mode]
        for kind in ("short", "long"):
            row = kinds.get(kind, {})
            if "docs_per_s" in row:
                cells += [f"{row['docs_per_s']:,.0f}", f"{row['ratio_to_vader']:.2f}×"]
            else:
                cells += [MISSING, MISSING]
        peak = memory.get(analyzer, {}).get("peak_rss_mib") if label == analyzer else None
        cells.append(f"{peak:,.0f}" if isinstance(peak, (int, float)) else MISSING)
        rows.append(cells)
    texts = results["throughput"].get("texts", {})
    short = texts.get("short", {}).get("mean_chars")
    long = texts.get("long", {}).get("mean_chars")
    header = [
        "analyzer", "mode",
        f"short docs/s (mean {short or 0:.0f} chars)", "× VADER",
        f"long docs/s (mean {long or 0:.0f} chars)", "× VADER",
        "peak RSS MiB",
    ]
    return _table(header, rows, align_right_from=2)


def provenance_line(results: dict[str, Any]) -> str:
    machine, git = results["machine"], results["git"]
    commit = (git.get("commit") or "unknown")[:10] + (" (uncommitted changes)" if git.get("dirty") else "")
    threads = machine.get("torch_threads")
    torch_note = f", torch threads {threads}" if threads is not None else ""
    return (
        f"`{results['command']}` on {results['date']}, commit {commit}; {machine.get('cpu')}, "
        f"{machine.get('usable_cores')} cores, Python {machine.get('python')}{torch_note}; "
        f"the measurements took {results['wall_time_s']:.0f} s."
    )


def not_scored(results: dict[str, Any]) -> list[str]:
    """Why some cells are empty: analyzers that were not built, and per-task skips."""
    notes = [
        f"{name} was not built: {info['reason']}"
        for name, info in results["analyzers"].items()
        if info["status"] != "ok"
    ]
    notes += [
        f"{name} was built without its {', '.join(info['modes_not_available'])} mode(s) (no model for them)"
        for name, info in results["analyzers"].items()
        if info.get("modes_not_available")
    ]
    notes += [
        f"WARNING: {name}'s accuracy-run build ({info['accuracy_runs_built_with']}) decided differently "
        "from its default build on a sample; its accuracy figures may not hold for the default"
        for name, info in results["analyzers"].items()
        if info.get("accuracy_variant_agrees_with_default") is False
    ]
    notes += [
        f"{name} failed in {mode} mode: {reason}"
        for name, info in results["analyzers"].items()
        for mode, reason in (info.get("failed_modes") or {}).items()
    ]
    for task_name, task in results["tasks"].items():
        if task.get("status"):
            notes.append(f"{task_name}: {task['status']}")
        by_reason: dict[str, list[str]] = {}
        for analyzer, reason in task["skipped"].items():
            if not reason.startswith(("not built", "failed")):  # listed once per analyzer above
                by_reason.setdefault(reason, []).append(analyzer)
        notes += [f"{task_name} ({', '.join(names)}): {reason}" for reason, names in by_reason.items()]
    return notes


def render_summary(results: dict[str, Any], details_link: str | None = None, plots_link: str | None = None) -> str:
    """The README section: headline metrics, throughput, provenance."""
    parts = [
        provenance_line(results),
        "",
        headline_table(results),
        "",
        "n: texts scored (for aspect tasks, sentences). The best analyzer is in bold; the majority class "
        "column always answers the most frequent gold label.",
        "",
        "Throughput (single process, median of alternating rounds against VADER on the same texts; "
        "× VADER above 1 is faster):",
        "",
        throughput_table(results),
    ]
    notes = not_scored(results)
    if notes:
        parts += ["", "Not scored:", "", *(f"- {note}" for note in notes)]
    links = []
    if details_link:
        links.append(f"every metric and how each task is scored: [{details_link}]({details_link})")
    if plots_link:
        links.append(f"plots: [{plots_link}/]({plots_link}/)")
    if links:
        parts += ["", "Details — " + "; ".join(links) + "."]
    return "\n".join(parts)


def _flatten(metrics: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            flat.update({f"{key}[{label}]": item for label, item in value.items()})
        elif not isinstance(value, list):
            flat[key] = value
    return flat


def render_details(results: dict[str, Any]) -> str:
    """Everything in results.json as tables, with each task's method and the peers' binning."""
    analyzers = _analyzer_order(results)
    parts = [
        "# Benchmark results",
        "",
        "Generated by `benchmarks/report.py` from results.json; do not edit by hand.",
        "",
        provenance_line(results),
        "",
        "## Headline metrics",
        "",
        headline_table(results),
        "",
        "## Throughput and memory",
        "",
        results["throughput"]["method"],
        "",
        results.get("memory", {}).get("method", ""),
        "",
        throughput_table(results),
        "",
        "## Analyzers",
        "",
    ]
    for name, info in results["analyzers"].items():
        state = "built" if info["status"] == "ok" else f"not built ({info['reason']})"
        if info.get("fine_grained_edges"):
            edges = ", ".join(f"{edge:g}" for edge in info["fine_grained_edges"])
            state += f"; fine-grained edges [{edges}] fitted on {info.get('fine_grained_edges_fitted_on', '?')}"
        if info.get("accuracy_runs_built_with"):
            agrees = info.get("accuracy_variant_agrees_with_default")
            check = {True: "same decisions as the default build on a sample",
                     False: "WARNING: decisions differ from the default build on a sample"}.get(agrees, agrees)
            state += f"; accuracy runs built with {info['accuracy_runs_built_with']} ({check})"
        if info.get("modes_not_available"):
            state += f"; built without {', '.join(info['modes_not_available'])} (no model for them)"
        for mode, reason in (info.get("failed_modes") or {}).items():
            state += f"; {mode} {reason}"
        parts.append(f"- **{name}** ({info['kind']}; modes {', '.join(info['modes'])}): {info['description']} — {state}")
    for key in ("accuracy_method", "peers_method"):
        if results.get(key):
            parts += ["", results[key]]
    parts += ["", "## Tasks", ""]
    for task_name, task in results["tasks"].items():
        parts += [f"### {task_name}", "", f"`{task['file']}`, mode `{task['mode']}`, "
                  f"{task.get('scored_rows', MISSING)} of {task.get('rows', MISSING)} rows scored. {task['method']}", ""]
        if task.get("status"):
            parts += [task["status"], ""]
        scored = [a for a in analyzers if a in task["results"]]
        if scored:
            flat = {a: _flatten(task["results"][a]) for a in scored}
            baseline = task.get("majority_baseline") or {}
            metric_names = list(dict.fromkeys(key for a in scored for key in flat[a]))
            rows = [
                [metric, *(_number(flat[a].get(metric)) for a in scored), _number(baseline.get(metric, ""))]
                for metric in metric_names
            ]
            header = ["metric", *scored, f"majority class ({baseline['label']})" if baseline else "majority class"]
            parts += [_table(header, rows), ""]
        for analyzer, reason in task["skipped"].items():
            parts.append(f"- {analyzer}: {reason}")
        if task["skipped"]:
            parts.append("")
    parts += ["## Environment", "", "```json", json.dumps({k: results[k] for k in ("machine", "versions", "git")},
                                                           indent=1), "```", ""]
    return "\n".join(parts)


def replace_section(document: str, section: str) -> str | None:
    """`document` with the text between the markers replaced by `section`; None if it lacks the markers."""
    start = document.find(START_MARKER)
    end = document.find(END_MARKER, start + len(START_MARKER)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return document[: start + len(START_MARKER)] + "\n" + section.strip() + "\n" + document[end:]


def update_readme(readme: Path, section: str) -> bool:
    """Rewrite the README's benchmark section; False (README untouched) when it or its markers are missing."""
    if not readme.is_file():
        return False
    updated = replace_section(readme.read_text(encoding="utf-8"), section)
    if updated is None:
        return False
    readme.write_text(updated, encoding="utf-8")
    return True


# --- plots ----------------------------------------------------------------------------------------


def plot_tasks(results: dict[str, Any], plots_dir: Path) -> list[Path]:
    """One PNG per task: grouped bars of its headline metrics, one group per analyzer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for task_name, task in results["tasks"].items():
        analyzers = [a for a in _analyzer_order(results) if a in task["results"]]
        if not analyzers:
            continue
        metrics = task["headline"]
        width = 0.8 / len(metrics)
        figure, axes = plt.subplots(figsize=(2.4 + 1.3 * len(analyzers), 3.6))
        lowest = 0.0
        for index, metric in enumerate(metrics):
            values = [task["results"][a].get(metric) for a in analyzers]
            heights = [v if isinstance(v, (int, float)) else 0.0 for v in values]
            lowest = min(lowest, *heights)
            positions = [i + (index - (len(metrics) - 1) / 2) * width for i in range(len(analyzers))]
            bars = axes.bar(positions, heights, width, label=metric)
            axes.bar_label(bars, labels=[_number(v) for v in values], fontsize=7, padding=1)
        baseline = (task.get("majority_baseline") or {}).get("accuracy")
        if baseline is not None and "accuracy" in metrics:
            axes.axhline(baseline, color="gray", linestyle="--", linewidth=1, label="majority class accuracy")
        axes.set_xticks(range(len(analyzers)), analyzers)
        axes.set_ylim(min(lowest - 0.05, 0.0) if lowest < 0 else 0.0, 1.08)
        axes.set_title(f"{task_name} ({task['mode']}, n={task.get('scored_rows', '?')})", fontsize=10)
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(metrics) + 1, frameon=False)
        axes.grid(axis="y", alpha=0.3)
        figure.tight_layout()
        path = plots_dir / f"{task_name}.png"
        figure.savefig(path, dpi=PLOT_DPI)
        plt.close(figure)
        written.append(path)
    return written


def plot_throughput(results: dict[str, Any], plots_dir: Path) -> Path | None:
    """docs/s per analyzer and mode on short and long texts, log scale, with VADER's median as a line."""
    order = _analyzer_order(results)
    rows = sorted(
        (row for row in results["throughput"]["results"] if "docs_per_s" in row),
        key=lambda row: order.index(row["analyzer"]),
    )
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    labels = list(dict.fromkeys(f"{_variant_label(r)} / {r['mode']}" for r in rows))
    kinds = [k for k in ("short", "long") if any(r["kind"] == k for r in rows)]
    figure, axes = plt.subplots(1, len(kinds), figsize=(5.0 * len(kinds), 0.45 * len(labels) + 1.5), squeeze=False)
    for axis, kind in zip(axes[0], kinds):
        by_label = {f"{_variant_label(r)} / {r['mode']}": r for r in rows if r["kind"] == kind}
        values = [by_label[label]["docs_per_s"] if label in by_label else 0 for label in labels]
        bars = axis.barh(range(len(labels)), values, color="tab:blue")
        axis.bar_label(bars, labels=[f"{v:,.0f}" if v else "" for v in values], fontsize=7, padding=2)
        vader = [r["vader_docs_per_s"] for r in by_label.values()]
        if vader:
            axis.axvline(sorted(vader)[len(vader) // 2], color="tab:red", linestyle="--", label="VADER (median)")
        axis.set_xscale("log")
        positive = [v for v in values + vader if v > 0]
        # Whole decades around the data, so bar lengths read against labelled powers of ten.
        axis.set_xlim(10 ** math.floor(math.log10(min(positive))), 10 ** math.ceil(math.log10(max(positive)) + 0.3))
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_yticks(range(len(labels)), labels, fontsize=8)
        axis.invert_yaxis()
        chars = results["throughput"]["texts"].get(kind, {}).get("mean_chars")
        axis.set_title(f"{kind} texts ({chars or 0:.0f} chars): docs/s, log scale", fontsize=10)
        axis.legend(fontsize=7)
        axis.grid(axis="x", which="both", alpha=0.3)
    figure.tight_layout()
    path = plots_dir / "throughput.png"
    figure.savefig(path, dpi=PLOT_DPI)
    plt.close(figure)
    return path


def write_reports(results: dict[str, Any], markdown: Path, plots_dir: Path, readme: Path | None) -> list[Path]:
    """results.md, the plots, and the README section when `readme` has the markers; the paths written."""
    plots_dir.mkdir(parents=True, exist_ok=True)
    markdown.write_text(render_details(results), encoding="utf-8")
    written = [markdown, *plot_tasks(results, plots_dir)]
    throughput_png = plot_throughput(results, plots_dir)
    if throughput_png:
        written.append(throughput_png)
    if readme is not None:
        base = readme.resolve().parent
        section = render_summary(
            results,
            details_link=os.path.relpath(markdown.resolve(), base),
            plots_link=os.path.relpath(plots_dir.resolve(), base),
        )
        if update_readme(readme, section):
            written.append(readme)
        else:
            print(f"[report] {readme} has no {START_MARKER} ... {END_MARKER} section; left unchanged",
                  file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=root / "benchmarks" / "results.json")
    parser.add_argument("--readme", type=Path, default=root / "README.md")
    parser.add_argument("--plots-dir", type=Path, help="default: plots/ next to the results")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    plots_dir = args.plots_dir or args.results.parent / ("plots-quick" if results.get("quick") else "plots")
    for path in write_reports(results, args.results.with_suffix(".md"), plots_dir, args.readme):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
