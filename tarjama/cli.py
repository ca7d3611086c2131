"""The ``tarjama`` command line.

User mistakes print one line (``error: ...``) and exit 2; nothing is written
before every input has been checked. Prefect is imported only by the commands
that run flows, so ``tarjama status`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tarjama.errors import TarjamaError
from tarjama.workspace import Workspace, find_workspace

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tarjama: Arabic news items to reviewed French and English versions.")

WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Folder holding content/ and translations/ (default: $TARJAMA_WORKSPACE or the repo root)."),
]


def fail(error: TarjamaError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


@app.command()
def translate(
    paths: Annotated[list[Path], typer.Argument(help="Arabic news items: .txt, .md with front matter, or ninjs .json.")],
    to: Annotated[str, typer.Option("--to", help="Target languages, comma-separated.")] = "fr,en",
    provider: Annotated[list[str] | None, typer.Option("--provider", "-p", help="MT provider, in fallback order; repeat for a chain.")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, max=64, help="Segments translated at once per language.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Machine-translate items into draft PO catalogs under translations/<slug>/."""
    from tarjama.drafts import parse_targets
    from tarjama.ingest import load_item
    from tarjama.mt.providers import PROVIDERS
    from tarjama.mt.settings import load_settings

    try:
        ws = find_workspace(workspace)
        targets = parse_targets(to)
        settings = load_settings(ws.config_file, provider, concurrency)
        for name in settings.chain:
            PROVIDERS[name].check_settings(settings.provider(name))
        taken: dict[str, str] = {}
        items = []
        for path in paths:
            item = load_item(path, ws, taken)
            taken[item.slug] = item.source_path
            items.append((path, item))
    except TarjamaError as error:
        fail(error)
    results = _run_drafts(ws, items, list(targets), list(settings.chain), concurrency)
    for (_, item), langs in zip(items, results):
        typer.echo(f"{item.slug}  ({item.source_path})")
        for r in langs:
            failed = len(r["failed"])
            counts = r["counts"]
            typer.echo(f"  {r['lang']}: {len(r['drafted']) - failed} drafted, {failed} failed, {len(r['kept'])} kept"
                       f" ({counts['drafted']} awaiting review, {counts['reviewed']} reviewed,"
                       f" {counts['untranslated']} untranslated) -> {r['catalog']}")
            for seg, reason in r["failed"][:3]:
                typer.echo(f"      {seg}: {reason}")
            if failed > 3:
                typer.echo(f"      ... and {failed - 3} more; see the catalog's comments")


def _run_drafts(ws: Workspace, items: list, targets: list[str], chain: list[str], concurrency: int | None) -> list:
    from tarjama.prefect_env import prepare_prefect_env

    prepare_prefect_env(ws)
    from flows.translate_article import translate_article

    results = []
    for path, _item in items:
        try:
            results.append(translate_article(item_path=str(path), targets=targets, providers=chain,
                                             workspace=str(ws.root), concurrency=concurrency))
        except TarjamaError as error:
            fail(error)
    return results


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Per item and language: segments drafted (fuzzy), reviewed and untranslated."""
    from tarjama.status import collect_status, status_json

    try:
        rows = collect_status(find_workspace(workspace))
    except TarjamaError as error:
        fail(error)
    if as_json:
        typer.echo(status_json(rows))
        return
    if not rows:
        typer.echo("no items yet: run `tarjama translate content/inbox/<item>`")
        return
    typer.echo(f"{'item':<32} {'lang':<5} {'drafted':>7} {'reviewed':>8} {'untranslated':>12} {'total':>5}")
    for r in rows:
        typer.echo(f"{r.slug:<32} {r.lang:<5} {r.drafted:>7} {r.reviewed:>8} {r.untranslated:>12} {r.total:>5}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
