"""The ``tarjama`` console script: the application with every command group registered."""

from __future__ import annotations

import os
import sys

import typer

from cli import drafting, loop, review, weblate, workbench
from cli.app import app

COMMAND_GROUPS = (drafting, review, loop, workbench, weblate)  # importing a group registers its commands on ``app``


EXIT_AT_ONCE = ("approve", "request-changes", "translate")
"""Commands people wait on: once their outcome is printed they exit at once. Python's teardown of Prefect's import
graph costs about 0.85 s here, and these commands have nothing left to flush by then (``translate`` sends its runs'
logs and events before it returns); Prefect's own exit hook could otherwise wait forever on a stopped API."""


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as done:
        if sys.argv[1:2] and sys.argv[1] in EXIT_AT_ONCE:
            if isinstance(done.code, str):
                print(done.code, file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(done.code if isinstance(done.code, int) else (0 if done.code is None else 1))
        raise


if __name__ == "__main__":
    main()
