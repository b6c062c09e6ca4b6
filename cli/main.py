"""The `sentiment` command line: a thin Typer layer over the library (no sentiment logic here).

Adding commands from another module takes one line in this file:

    # cli/train.py
    import typer
    app = typer.Typer()          # no name: its commands join the top level (`sentiment train`)

    @app.command()
    def train(...) -> None:
        from sentiment.neural.train import ...   # heavy imports (torch) inside the command only
        ...

    # here, below:
    app.add_typer(train.app)                     # after `from . import train`

A group of subcommands (`sentiment lexicon emotion`) is a Typer with `help=` added with
`app.add_typer(group, name="lexicon")`.

Errors: commands let `SentimentError` and `OSError` propagate (or `raise fail("...")` from
`.common`); `ErrorEdgeGroup` prints one line `error: ...` on stderr and exits with code 2, never a
traceback. Modules imported here must stay light at import time: `sentiment --help` and the
lexicon path never import torch.
"""

from __future__ import annotations

import typer

from . import analyze, aspects, batch, hybrid, lexicon, serve, train
from .common import ErrorEdgeGroup

app = typer.Typer(
    cls=ErrorEdgeGroup,
    name="sentiment",
    help="Sentiment analysis: polarity, fine-grained stars, aspects, emotions and intent.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(analyze.app)
app.add_typer(batch.app)
app.add_typer(lexicon.app, name="lexicon")
app.add_typer(serve.app)
app.add_typer(aspects.app)
app.add_typer(train.app)
app.add_typer(hybrid.app)


def main() -> None:
    """Console-script entry point (`sentiment = "sentiment.cli.main:main"`)."""
    app()


if __name__ == "__main__":
    main()
