"""``tarjama weblate``: Weblate as the translators' editor (README: Weblate)."""

from __future__ import annotations

import typer

from cli.app import WorkspaceOption, app

weblate_app = typer.Typer(no_args_is_help=True, help="Weblate as the translators' editor: connect once, then sync "
                                                     "(`tarjama watch` syncs every [weblate] sync_seconds).")
app.add_typer(weblate_app, name="weblate")


@weblate_app.command()
def connect(workspace: WorkspaceOption = None) -> None:
    """Create the Weblate project for this workspace's git repository, with one component per item (discovery)."""
    from operations.weblate_sync import connect as connect_weblate
    from tarjama.context import Context
    from tarjama.workspace import find_workspace

    ctx = Context.load(find_workspace(workspace))
    for line in connect_weblate(ctx.workspace, ctx.settings.weblate):
        typer.echo(line)


@weblate_app.command()
def sync(workspace: WorkspaceOption = None) -> None:
    """Once, both ways: translators' work merged from Weblate, tarjama's drafts sent to it, Weblate's approvals
    turned into decisions (a language waiting for one, every string approved)."""
    from operations.weblate_sync import sync as sync_weblate
    from tarjama.context import Context
    from tarjama.workspace import find_workspace

    for line in sync_weblate(Context.load(find_workspace(workspace))).lines():
        typer.echo(line)
