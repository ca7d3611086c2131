"""Running the review loop: serve, deploy, watch, notify, status, the desk and its reviewers, the demo."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli.app import (
    WorkspaceOption,
    app,
    connect,
)
from tarjama.errors import InputError
from tarjama.workspace import Workspace, find_workspace

if TYPE_CHECKING:
    from tarjama.settings import Settings


def _workspace_and_settings(workspace: str | None) -> tuple[Workspace, Settings]:
    """The workspace and its settings, or one line saying what to fix (the long-running commands' start)."""
    from tarjama.settings import load_settings

    ws = find_workspace(workspace)
    return ws, load_settings(ws.config_file)


@app.command()
def serve(workspace: WorkspaceOption = None) -> None:
    """Run the review loop on this machine: the deployment, a worker and the inbox and review watchers (needs a
    Prefect server)."""
    ws, settings = _workspace_and_settings(workspace)
    # the warm worker starts runs on the server's events (its poll only catches what they missed); Prefect's
    # process worker waits for its next look
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "5" if settings.workers.execution == "warm" else "1")
    connect(ws, required=True)
    from operations.serve import serve_deployment

    serve_deployment(ws, settings)


@app.command()
def deploy(workspace: WorkspaceOption = None) -> None:
    """Put the deployment on a process work pool for `prefect worker start --pool tarjama` on any machine, with
    the provider quotas and the automation that reschedules runs whose worker stopped (idempotent)."""
    ws, settings = _workspace_and_settings(workspace)
    connect(ws, required=True)
    from operations.deploy import deploy as apply_deployment

    done = apply_deployment(ws, settings)
    for line in done.lines:
        typer.echo(line)
    typer.echo(f"next, on each machine that shares {ws.root}: prefect worker start --pool {done.pool}; and once, "
               "beside them: tarjama watch (the inbox and overdue reviews)")


@app.command()
def watch(workspace: WorkspaceOption = None) -> None:
    """Watch the inbox and the reviews while workers run the flow runs (after `tarjama deploy`)."""
    ws, settings = _workspace_and_settings(workspace)
    connect(ws, required=True)
    from operations.serve import watch as watch_forever

    try:
        watch_forever(ws, settings)
    except KeyboardInterrupt:
        typer.echo("stopped watching")


@app.command()
def notify(
    webhook: Annotated[str | None, typer.Option("--webhook", help="An incoming-webhook URL (Slack, Mattermost); "
                                                "default: [notify] webhook or TARJAMA_NOTIFY_WEBHOOK.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create (idempotently) the Prefect automations that post to a chat webhook when a language waits for
    review, when a review is overdue and when a publication fails."""
    from tarjama.settings import load_settings
    from tarjama.webhooks import check_webhook

    ws = find_workspace(workspace)
    configured = load_settings(ws.config_file).notify.webhook
    url = webhook or (configured.get_secret_value() if configured else None)
    if not url:
        raise InputError("give --webhook URL, or set TARJAMA_NOTIFY_WEBHOOK (or [notify] webhook)")
    check_webhook(url)
    connect(ws, required=True)
    from operations.notify import ensure_notifications

    for line in ensure_notifications(url):
        typer.echo(line)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Per item and language: drafted (fuzzy), reviewed, untranslated, review state and the item's run state."""
    from operations.prefect_env import run_states_now
    from tarjama.status import collect_status, status_json

    rows = collect_status(find_workspace(workspace), run_states_now)
    if as_json:
        typer.echo(status_json(rows))
        return
    if not rows:
        typer.echo("no items yet: run `tarjama translate content/inbox/<item>`")
        return
    typer.echo(f"{'item':<28} {'lang':<4} {'drafted':>7} {'reviewed':>8} {'untransl.':>9}  {'run':<12} review")
    for r in rows:
        typer.echo(f"{r.slug:<28} {r.lang:<4} {r.drafted:>7} {r.reviewed:>8} {r.untranslated:>9}  "
                   f"{r.run_state or '-':<12} {r.problem or r.review}")


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
    from tarjama.drafting import parse_targets

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
    typer.echo(f"reviewer {name} ({', '.join(langs)}) saved in {path}")


@app.command()
def desk(
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 unless a proxy fronts the desk.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the desk.")] = 8800,
    workspace: WorkspaceOption = None,
) -> None:
    """Start the review desk, a web page where translators review, correct and approve drafts."""
    import uvicorn

    from operations.desk_channel import PrefectChannel
    from operations.prefect_env import api_url, prepare_prefect_env
    from tarjama.desk.app import create_app
    from tarjama.desk.reviewers import load_reviewers, reviewers_file

    ws = find_workspace(workspace)
    path = reviewers_file(ws.root)
    if not load_reviewers(path):
        typer.echo(f"warning: no reviewers in {path}; add one with `tarjama reviewer add NAME --lang fr`", err=True)
    prepare_prefect_env(ws)
    os.environ["PREFECT_API_URL"] = api_url()  # decisions go to that server, never to a temporary one
    typer.echo(f"review desk on http://{host}:{port}")
    uvicorn.run(create_app(ws, path, PrefectChannel()), host=host, port=port, log_level="warning")


@app.command()
def demo(workspace: WorkspaceOption = None, port: Annotated[int, typer.Option(help="Prefect server port.")] = 4200,
         desk_port: Annotated[int, typer.Option(help="Review desk port.")] = 8800) -> None:
    """Bring up the local stack (Prefect server and UI, the served deployment, the review desk) and start a run
    for the sample item."""
    from operations.stack import run_demo

    run_demo(find_workspace(workspace), port=port, desk_port=desk_port)
