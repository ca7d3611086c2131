"""The ``tarjama`` command line's application: its commands' shared options and helpers, and its one error handler.

User mistakes print one line (``error: ...``) and exit 2; everything that can
be checked is checked before any run starts or anything is written. A command
raises :class:`~tarjama.errors.TarjamaError`; :class:`OneLineErrors` prints it
and exits with its status. Exit statuses: 0 done, 1 refused, 2 bad input, 3
busy, 4 failed (a publication), 5 still in progress.

Prefect is imported only inside the commands that run or talk to flows (the
``operations`` imports in their bodies), so ``tarjama status`` answers at once.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from tarjama.errors import InputError, TarjamaError
from tarjama.fsio import atomic_write_bytes
from tarjama.workspace import Workspace


class OneLineErrors(TyperGroup):
    """Every command's TarjamaError becomes one line on stderr and its exit status: no traceback, one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TarjamaError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(cls=OneLineErrors, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,  # help texts name tarjama.toml sections: "[notify] webhook" is text, not markup
                  help="tarjama: Arabic news items to reviewed French and English versions.")

WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Folder holding content/ and translations/ (default: $TARJAMA_WORKSPACE "
                                           "or the repo root)."),
]
LangOption = Annotated[str, typer.Option("--lang", "-l", help="The language decided on, e.g. fr.")]
ReviewerOption = Annotated[str, typer.Option("--reviewer", "-r", help="Your name, recorded with the decision.")]
NoteOption = Annotated[str, typer.Option("--note", "-n", help="A note recorded with the decision.")]
WaitOption = Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for the outcome (5: still in progress).")]
OverrideOption = Annotated[list[str] | None, typer.Option(
    "--override", "-o", help="Let a critical QA finding pass: SEGMENT:CHECK=REASON (see `tarjama check`); repeat.")]
REVIEW_LOOP_HINT = ("to review and publish, start the review loop (`make demo`, or `tarjama serve` beside a Prefect "
                    "server) and run `tarjama translate {path}` again: drafts are kept, nothing is translated twice")


def read_input(file: Path) -> bytes:
    """A file the user named, or one line saying why it cannot be read."""
    try:
        return file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read it ({exc.strerror})") from None


def write_output(path: Path, data: bytes) -> None:
    """Write a file the user named, atomically, or one line saying why it cannot be written."""
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write it ({exc.strerror})") from None


def since_date(value: str | None) -> dt.date | None:
    """``--since YYYY-MM-DD`` as a date (None when not given)."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise InputError(f"--since: {value!r} is not a date; write it as YYYY-MM-DD") from None


def connect(ws: Workspace, required: bool) -> str | None:
    """Prefect's environment, and the URL of a Prefect API that answers (None when there is none to use)."""
    from operations.prefect_env import ServerState, prepare_prefect_env, probe_server

    prepare_prefect_env(ws)
    probe = probe_server()
    if probe.state is ServerState.UP:
        os.environ["PREFECT_API_URL"] = probe.url
        return probe.url
    if probe.state is ServerState.SLOW:
        raise TarjamaError(f"the Prefect server at {probe.url} did not answer in time; try again in a moment")
    if os.environ.get("PREFECT_API_URL"):
        raise TarjamaError(f"PREFECT_API_URL={probe.url} does not answer; start the server or unset it")
    if required:
        raise TarjamaError("no Prefect server is running; start the review loop with `make demo` or `tarjama serve`")
    return None
