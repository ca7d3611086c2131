"""The ``tarjama`` command line.

User mistakes print one line (``error: ...``) and exit 2; nothing is written
before every input has been checked. Prefect is imported only by the commands
that run or talk to flows, so ``tarjama status`` answers at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tarjama.errors import InputError, TarjamaError
from tarjama.workspace import Workspace, find_workspace

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tarjama: Arabic news items to reviewed French and English versions.")

WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Folder holding content/ and translations/ (default: $TARJAMA_WORKSPACE or the repo root)."),
]
REVIEW_LOOP_HINT = ("to review and publish, start the review loop (`make demo`, or `tarjama serve` beside a Prefect "
                    "server) and run `tarjama translate {path}` again: drafts are kept, nothing is translated twice")


def fail(error: TarjamaError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def _connect(ws: Workspace, required: bool) -> str | None:
    """Point Prefect at a running server if there is one (before importing Prefect)."""
    from tarjama.prefect_env import find_server, prepare_prefect_env

    prepare_prefect_env(ws)
    url = find_server()
    if url:
        os.environ["PREFECT_API_URL"] = url
    elif os.environ.get("PREFECT_API_URL"):
        fail(TarjamaError(f"PREFECT_API_URL={os.environ['PREFECT_API_URL']} does not answer; start the server or unset it"))
    elif required:
        fail(TarjamaError("no Prefect server is running; start the review loop with `make demo` or `tarjama serve`"))
    return url


@app.command()
def translate(
    paths: Annotated[list[Path], typer.Argument(help="Arabic news items: .txt, .md with front matter, or ninjs .json.")],
    to: Annotated[str, typer.Option("--to", help="Target languages, comma-separated.")] = "fr,en",
    provider: Annotated[list[str] | None, typer.Option("--provider", "-p", help="MT provider, in fallback order; repeat for a chain.")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, max=64, help="Segments translated at once per language.")] = None,
    review_timeout_hours: Annotated[float, typer.Option(min=0.0, help="How long a run waits for review before it fails.")] = 24 * 7,
    workspace: WorkspaceOption = None,
) -> None:
    """Machine-translate items into draft PO catalogs; with `tarjama serve` running, hand them to the review loop."""
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
            items.append((path.resolve(), item))
    except TarjamaError as error:
        fail(error)
    server = _connect(ws, required=False)
    params = {"targets": list(targets), "providers": list(settings.chain), "workspace": str(ws.root),
              "concurrency": concurrency, "review_timeout_hours": review_timeout_hours}
    if server:
        from flows.control import deployment_is_served

        if deployment_is_served():
            _hand_over(ws, items, params, server)
            return
    _drafts_only(ws, items, params)


def _drafts_only(ws: Workspace, items: list, params: dict) -> None:
    from flows.translate_article import translate_article

    for path, item in items:
        try:
            result = translate_article(item_path=str(path), **params)
        except TarjamaError as error:
            fail(error)
        _print_drafts(item, result["drafts"])
        typer.echo(f"  {REVIEW_LOOP_HINT.format(path=item.source_path)}")


def _print_drafts(item, langs: list[dict]) -> None:
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


def _hand_over(ws: Workspace, items: list, params: dict, server: str) -> None:
    """Start each item's run on the served deployment and report once it waits for review."""
    from flows.control import start_run, wait_until_settled
    from tarjama.status import collect_status

    ui = server.rstrip("/").removesuffix("/api")
    for path, item in items:
        run = start_run({"item_path": str(path), **params})
        typer.echo(f"{item.slug}: run started on the served deployment; drafting ...")
        run = wait_until_settled(run.id)
        rows = [r for r in collect_status(ws) if r.slug == item.slug]
        for r in rows:
            typer.echo(f"  {r.lang}: {r.drafted} awaiting review, {r.reviewed} reviewed, {r.untranslated} untranslated -> {r.catalog}")
        state = run.state.name if run.state else "?"
        typer.echo(f"  run state: {state}   {ui}/runs/flow-run/{run.id}")
        if run.state and run.state.is_paused():
            typer.echo(f"  next: review the catalogs (clear fuzzy), then `tarjama approve {item.slug} --lang fr --reviewer NAME`"
                       " or use the Resume button in the Prefect UI")


def _decide(slug: str, lang: str, decision: str, reviewer: str, note: str, workspace: str | None, wait: float) -> None:
    from tarjama.catalog import read_catalog
    from tarjama.review import APPROVE, approval_blockers, check_decision

    try:
        ws = find_workspace(workspace)
        check_decision(lang, decision, reviewer)
        path = ws.catalog_path(slug, lang)
        if not path.exists():
            raise InputError(f"no catalog {ws.relative(path)}: is {slug!r} translated into {lang}? see `tarjama status`")
        if decision == APPROVE:
            blockers = approval_blockers(read_catalog(path))
            if blockers:
                shown = "; ".join(blockers[:6]) + (f"; and {len(blockers) - 6} more" if len(blockers) > 6 else "")
                raise TarjamaError(f"cannot approve {slug} {lang}: {shown}")
    except TarjamaError as error:
        fail(error)
    _connect(ws, required=True)
    from flows.control import send_decision, waiting_runs

    runs = waiting_runs(slug)
    if not runs:
        fail(TarjamaError(f"no run is waiting for review of {slug!r}; run `tarjama translate` on its item while "
                          "`tarjama serve` runs"))
    record = send_decision(ws, runs[0], lang, decision, reviewer, note, timeout=wait)
    if record is None:
        typer.echo(f"decision sent to run {runs[0].name}; its outcome is not known yet (see `tarjama status`)")
        return
    typer.echo(record.summary())
    if record.accepted:
        for folder in ("ar", lang):
            typer.echo(f"  published: {os.path.relpath(ws.published / folder / (slug + '.html'), ws.root)}")
    elif record.outcome in ("refused", "ignored"):
        raise typer.Exit(1)


LangOption = Annotated[str, typer.Option("--lang", "-l", help="The language decided on, e.g. fr.")]
ReviewerOption = Annotated[str, typer.Option("--reviewer", "-r", help="Your name, recorded with the decision.")]
NoteOption = Annotated[str, typer.Option("--note", "-n", help="A note recorded with the decision.")]
WaitOption = Annotated[float, typer.Option("--wait", help="Seconds to wait for the flow's verdict.")]


@app.command()
def approve(slug: str, lang: LangOption, reviewer: ReviewerOption, note: NoteOption = "", wait: WaitOption = 120,
            workspace: WorkspaceOption = None) -> None:
    """Approve a language of an item: the waiting run checks the catalog and publishes it."""
    _decide(slug, lang, "approve", reviewer, note, workspace, wait)


@app.command("request-changes")
def request_changes(slug: str, lang: LangOption, reviewer: ReviewerOption, note: NoteOption = "",
                    wait: WaitOption = 120, workspace: WorkspaceOption = None) -> None:
    """Ask for changes in a language: the note is recorded and the language keeps waiting."""
    _decide(slug, lang, "request_changes", reviewer, note, workspace, wait)


@app.command()
def serve(workspace: WorkspaceOption = None) -> None:
    """Serve the translate-article deployment so runs can wait for review (needs a Prefect server)."""
    ws = find_workspace(workspace)
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    _connect(ws, required=True)
    from flows.serve import serve_deployment

    serve_deployment(ws)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Per item and language: drafted (fuzzy), reviewed, untranslated, review state and the run's state."""
    from tarjama.status import collect_status, status_json

    try:
        rows = collect_status(find_workspace(workspace), with_run_states=True)
    except TarjamaError as error:
        fail(error)
    if as_json:
        typer.echo(status_json(rows))
        return
    if not rows:
        typer.echo("no items yet: run `tarjama translate content/inbox/<item>`")
        return
    typer.echo(f"{'item':<28} {'lang':<4} {'drafted':>7} {'reviewed':>8} {'untransl.':>9}  {'review':<34} run")
    for r in rows:
        typer.echo(f"{r.slug:<28} {r.lang:<4} {r.drafted:>7} {r.reviewed:>8} {r.untranslated:>9}  {r.review:<34} {r.run_state or '-'}")


@app.command()
def demo(workspace: WorkspaceOption = None, port: Annotated[int, typer.Option(help="Prefect server port.")] = 4200) -> None:
    """Bring up the local stack (Prefect server and UI, the served deployment) and start a run for the sample item."""
    from tarjama.stack import run_demo

    try:
        run_demo(find_workspace(workspace), port=port)
    except TarjamaError as error:
        fail(error)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
