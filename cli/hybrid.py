"""`sentiment fit-hybrid`: fit the hybrid analyzer's stacker for one mode (thin over sentiment.hybrid)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer()


@app.command("fit-hybrid")
def fit_hybrid(
    config: Annotated[Path, typer.Option("--config", "-c", help="The neural model's training config (TOML).")],
    data_root: Annotated[Optional[Path], typer.Option("--data-root", help="Folder that relative data paths start from.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for stacker.json (default models/hybrid/<mode>).")] = None,
) -> None:
    """Fit the lexicon+neural stacker on the config's dev split (the MLP, the RNN or both, whichever
    cross-validates best); prints out-of-fold dev metrics."""
    from sentiment.hybrid import LEXICON_SOURCE, MLP_SOURCE, RNN_SOURCE, fit_from_config

    stacker = fit_from_config(config, data_root=data_root, out_dir=out)
    metrics = stacker.metrics or {}
    sources = ", ".join(f"{name} {metrics[name]:.4f}" for name in (LEXICON_SOURCE, MLP_SOURCE, RNN_SOURCE) if name in metrics)
    candidates = ", ".join(f"{name} {value:.4f}" for name, value in metrics.get("candidates", {}).items())
    typer.echo(
        f"{stacker.mode.value}: dev {metrics.get('metric')} hybrid {metrics.get('hybrid_cross_validated', 0):.4f} "
        f"(out-of-fold, sources {'+'.join(stacker.sources)}) vs {sources} on {metrics.get('examples')} examples; "
        f"candidate source sets: {candidates}"
    )
