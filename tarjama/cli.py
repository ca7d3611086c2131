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
    from tarjama.prefect_env import connect

    try:
        return connect(ws, required)
    except TarjamaError as error:
        fail(error)


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
    from tarjama.review import precheck_decision

    try:
        ws = find_workspace(workspace)
        precheck_decision(ws, slug, lang, decision, reviewer)
    except TarjamaError as error:
        fail(error)
    _connect(ws, required=True)
    from flows.control import submit_decision

    try:
        record = submit_decision(ws, slug, lang, decision, reviewer, note, wait=wait)
    except TarjamaError as error:
        fail(error)
    if record is None:
        typer.echo(f"decision sent for {slug}; its outcome is not known yet (see `tarjama status`)")
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


reviewer_app = typer.Typer(help="Reviewers of the review desk.", no_args_is_help=True)
app.add_typer(reviewer_app, name="reviewer")


@reviewer_app.command("add")
def reviewer_add(
    name: str,
    lang: Annotated[str, typer.Option("--lang", "-l", help="Languages this reviewer reviews, comma-separated.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add (or replace) a reviewer; the password is stored only as a scrypt hash."""
    import getpass

    from tarjama.desk.reviewers import reviewers_file, save_reviewer
    from tarjama.drafts import parse_targets

    try:
        ws = find_workspace(workspace)
        langs = list(parse_targets(lang))
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(f"password for {name}: ")
            if getpass.getpass("again: ") != password:
                raise InputError("the two passwords differ")
        path = reviewers_file(ws.root)
        save_reviewer(path, name, langs, password)
    except TarjamaError as error:
        fail(error)
    typer.echo(f"reviewer {name} ({', '.join(langs)}) saved in {path}")


@app.command()
def desk(
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 unless a proxy fronts the desk.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the desk.")] = 8800,
    workspace: WorkspaceOption = None,
) -> None:
    """Start the review desk, a web page where translators review, correct and approve drafts."""
    import uvicorn

    from tarjama.desk.app import create_app
    from tarjama.desk.reviewers import load_reviewers, reviewers_file
    from tarjama.prefect_env import connect

    try:
        ws = find_workspace(workspace)
        path = reviewers_file(ws.root)
        if not load_reviewers(path):
            typer.echo(f"warning: no reviewers in {path}; add one with `tarjama reviewer add NAME --lang fr`", err=True)
        connect(ws, required=False)
    except TarjamaError as error:
        fail(error)
    typer.echo(f"review desk on http://{host}:{port}")
    uvicorn.run(create_app(ws, path), host=host, port=port, log_level="warning")


@app.command()
def demo(workspace: WorkspaceOption = None, port: Annotated[int, typer.Option(help="Prefect server port.")] = 4200,
         desk_port: Annotated[int, typer.Option(help="Review desk port.")] = 8800) -> None:
    """Bring up the local stack (Prefect server and UI, the served deployment, the review desk) and start a run
    for the sample item."""
    from tarjama.stack import run_demo

    try:
        run_demo(find_workspace(workspace), port=port, desk_port=desk_port)
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
