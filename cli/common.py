"""What every command shares: the error edge (one line on stderr, exit code 2) and option plumbing.

Light imports only: this module is imported by `sentiment --help`.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Sequence

import click
import typer
from typer.core import TyperGroup

from sentiment.errors import InvalidInputError, SentimentError

# Options shared by the commands that analyze (analyze, batch, aspects).
ModesOption = Annotated[
    list[str],
    typer.Option("--mode", "-m", help="polarity, fine_grained, aspect, emotion, intent or all (repeatable)."),
]
AnalyzerOption = Annotated[
    str, typer.Option("--analyzer", "-a", help="A registered analyzer (see `sentiment analyzers`).")
]
LexiconFilesOption = Annotated[
    list[Path],
    typer.Option("--lexicon", help="Your own word<TAB>valence file (-4..+4), added to the lexicon (repeatable)."),
]

# Usage errors (click) already exit with 2; failures the user can fix exit with the same code.
EXIT_USER_ERROR = 2
# What shells report for a run stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
ALL_MODES = "all"


def describe_error(error: BaseException) -> str:
    """One line for the user: the library's message, or the file and reason of an OSError."""
    if isinstance(error, OSError) and not isinstance(error, SentimentError):
        if error.filename is not None:
            reason = error.strerror or type(error).__name__
            return f"{error.filename}: {reason}"
        return str(error) or type(error).__name__
    return " ".join(str(error).split()) or type(error).__name__


def fail(message: str) -> typer.Exit:
    """Print `error: message` on stderr; `raise fail(...)` ends the command with exit code 2."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USER_ERROR)


class ErrorEdgeGroup(TyperGroup):
    """The one place errors are caught: library errors and OSErrors become one line and exit 2.

    Commands (including those added from other modules) just let `SentimentError`/`OSError`
    propagate. A closed pipe (`sentiment analyze ... | head`) ends quietly.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(1) from None
        except (SentimentError, OSError) as error:
            raise fail(describe_error(error)) from None


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file descriptor (e.g. under a test runner)
        pass


def expand_modes(modes: Sequence[str], analyzer: str) -> list[str] | None:
    """`--mode` values as given, `all` meaning every mode the analyzer supports; empty means default."""
    if ALL_MODES not in [m.strip().lower() for m in modes]:
        return list(modes) or None
    from sentiment.registry import analyzer_spec
    from sentiment.types import Mode

    supported = analyzer_spec(analyzer).modes
    return [mode.value for mode in Mode if mode in supported]


def analyzer_options(analyzer: str, lexicon_files: Sequence[Path]) -> dict[str, Any]:
    """Options for `get_analyzer(analyzer, ...)` from the command line (`--lexicon` files).

    The files are checked first (missing, a folder, binary), and an analyzer that does not take
    `lexicon_files` is refused by name rather than with a TypeError.
    """
    if not lexicon_files:
        return {}
    from sentiment.batch import check_text_file

    for path in lexicon_files:
        check_text_file(path)
    if not _accepts_option(analyzer, "lexicon_files"):
        raise InvalidInputError(f"--lexicon does not apply to the {analyzer!r} analyzer (it takes no lexicon files)")
    return {"lexicon_files": [Path(p) for p in lexicon_files]}


def _accepts_option(analyzer: str, option: str) -> bool:
    import importlib

    from sentiment.registry import analyzer_spec

    factory = analyzer_spec(analyzer).factory
    if isinstance(factory, str):
        module_name, _, attribute = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # no introspectable signature: let the analyzer decide
        return True
    return option in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
