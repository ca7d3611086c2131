"""``tarjama translate``: drafts here, or items handed to the review loop when one is served."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.app import (
    REVIEW_LOOP_HINT,
    WorkspaceOption,
    app,
    connect,
)
from tarjama.errors import TarjamaError
from tarjama.workspace import Workspace, find_workspace

if TYPE_CHECKING:
    from operations.run_api import RunApi
    from tarjama.drafting import LanguageResult
    from tarjama.item import Item


@dataclass(frozen=True)
class _Planned:
    path: Path
    item: Item
    changed: bool  # no drafts yet, or the text changed since


@app.command()
def translate(
    paths: Annotated[list[Path], typer.Argument(help="Arabic news items: .txt, .md with front matter, or ninjs .json.")],
    to: Annotated[str, typer.Option("--to", help="Target languages, comma-separated.")] = "fr,en",
    provider: Annotated[list[str] | None, typer.Option("--provider", "-p", help="MT provider, in fallback order; "
                                                       "repeat for a chain (default: the configured chain).")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, max=64, help="Segments translated at once per language.")] = None,
    suggest_from: Annotated[str | None, typer.Option("--suggest-from", help="Engines whose outputs are kept beside "
                                                     "the draft for reviewers, comma-separated, e.g. deepl,llm "
                                                     "(costs their requests; default: [mt] suggest_from).")] = None,
    urgency: Annotated[str | None, typer.Option("--urgency", help="flash, urgent or normal (or IPTC's 1 to 9): picks "
                                                "the review policy, [review.flash] ...; default: the item's own "
                                                "(front matter or ninjs), else normal.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Machine-translate items into draft PO catalogs; with `tarjama serve` running, hand them to the review loop."""
    from tarjama.drafting import check_writable, item_run_lock, parse_targets
    from tarjama.ingest import load_item
    from tarjama.manifest import read_manifest
    from tarjama.mt.providers import all_providers
    from tarjama.review.same_text import refuse_same_text
    from tarjama.run_request import RunRequest
    from tarjama.settings import load_settings
    from tarjama.urgency import parse_urgency

    ws = find_workspace(workspace)
    settings = load_settings(ws.config_file)
    targets = parse_targets(to)
    level = parse_urgency(urgency, "--urgency").value if urgency is not None else None
    mt = settings.mt_settings(provider, concurrency, suggest_from, workspace_root=ws.root)
    items, taken = [], {}
    for path in paths:  # every item is read before anything else happens
        item = load_item(path, ws, taken, timezone=settings.timezone)
        refuse_same_text(ws, item)
        taken[item.slug] = item.source_path
        items.append((path, item))
    planned: list[_Planned] = []
    for path, item in items:
        check_writable(ws, item, targets)
        drafted = (read_manifest(ws, item.slug) or {}).get("digest")
        planned.append(_Planned(path.resolve(), item, drafted != item.digest))
    server = connect(ws, required=False)
    request = RunRequest(targets=list(targets), providers=list(provider or []), urgency=level,
                         suggest_from=list(mt.suggest_from) if suggest_from is not None else [])
    params = {"request": request.model_dump(mode="json"), "workspace": str(ws.root), "concurrency": concurrency}
    if server:
        from operations.run_api import RunApi
        from operations.runs import deployment_is_served

        with RunApi(server) as api:
            if deployment_is_served(api):
                _hand_over(api, ws, planned, params, server)
                return
    for planned_item in planned:  # drafted here: refused at once, in one line, while another run drafts one (handed
        # over, the server's run takes its place or is the same one: a run drafting it meanwhile is no refusal)
        if ws.item_dir(planned_item.item.slug).is_dir():
            with item_run_lock(ws, planned_item.item.slug):
                pass
    known = all_providers()
    for name in (*mt.chain, *mt.suggest_from):  # drafted here: this process's settings are the ones used
        known[name].check_settings(mt.provider(name))
    _drafts_here(ws, planned, params, server)


def _drafts_here(ws: Workspace, planned: list[_Planned], params: dict, server: str | None) -> None:
    """No served deployment: run the flow in this process (drafts only), with a temporary Prefect API if
    no server answers."""
    from contextlib import nullcontext

    from operations.local_server import flush_to_api, local_server
    from operations.prefect_env import QUIET_PREFECT

    os.environ.update(QUIET_PREFECT)

    def use(url: str) -> None:
        """Prefect reads its API's address when it is imported: set it, then import (while the server starts)."""
        os.environ["PREFECT_API_URL"] = url
        import flows.translate_article  # noqa: F401

    with local_server(ws, while_starting=use) if server is None else nullcontext(server) as url:
        use(url)
        from flows.translate_article import translate_article

        for plan in planned:
            state = translate_article(**_for_item(params, plan.path), return_state=True)
            if not state.is_completed():
                raise TarjamaError(state.message or f"the run ended {state.name}")
            summary = state.result()
            _print_drafts(plan.item, summary.drafts, summary.providers)
            typer.echo(f"  {REVIEW_LOOP_HINT.format(path=plan.item.source_path)}")
        flush_to_api()  # the runs' logs and events reach the API before this command (or its server) stops


def _print_drafts(item: Item, langs: list[LanguageResult], chain: list[str]) -> None:
    typer.echo(f"{item.slug}  ({item.source_path})" + (f"  providers: {', '.join(chain)}" if chain else ""))
    for r in langs:
        failed = len(r.failed)
        counts = r.counts
        corrected = f" ({len(r.corrected)} corrected)" if r.corrected else ""
        typer.echo(f"  {r.lang}: {r.new_drafts} drafted{corrected}, {failed} failed, {len(r.kept)} kept"
                   f" ({counts.drafted} awaiting review, {counts.reviewed} reviewed,"
                   f" {counts.untranslated} untranslated) -> {r.catalog}")
        for seg, reason in r.failed[:3]:
            typer.echo(f"      {seg}: {reason}")
        if failed > 3:
            typer.echo(f"      ... and {failed - 3} more; see the catalog's comments")


def _hand_over(api: RunApi, ws: Workspace, planned: list[_Planned], params: dict, server: str) -> None:
    """Start every item's run on the served deployment at once, then report each once it settles (over the REST
    API: no Prefect start-up in this command)."""
    from operations.run_api import RETRIED
    from operations.runs import run_options, runs_of, start_item_run, wait_until_settled
    from tarjama.review.state import item_review
    from tarjama.status import collect_status

    ui = server.rstrip("/").removesuffix("/api")
    runs = []  # (item, run id): started here, or already in review with this very text and these options
    refused = False
    for plan in planned:
        item = plan.item
        review = item_review(ws, item.slug)
        live = [r for r in runs_of(api, item.slug, ws) if r.id == review.current_run]
        if live and review.source_digest == item.digest:
            differs = _options_differ(live[0].parameters, params)
            if not differs:
                typer.echo(f"{item.slug}: already in review with this text (run {live[0].name}); no second run")
                runs.append((item, live[0].id))
                continue
            in_review = run_options(live[0].parameters)["targets"]
            asked = run_options(params)["targets"]
            kept = [lang for lang in in_review if lang not in asked]
            if kept:
                typer.echo(f"error: {item.slug}: in review for {', '.join(in_review)}"
                           f" (run {live[0].name}); {differs} would take {', '.join(kept)} out of review: add them "
                           f"(--to {','.join(dict.fromkeys([*asked, *kept]))}) or decide them first", err=True)
                refused = True
                continue
            typer.echo(f"{item.slug}: in review (run {live[0].name}) with other options ({differs}); a run with these "
                       "takes its place (reviewed segments are kept)")
        run = start_item_run(api, ws, item.source_path, item.digest, _for_item(params, plan.path), name=item.slug)
        typer.echo(f"{item.slug}: run {run.name} started on the served deployment; drafting ...")
        runs.append((item, run.id))
    settled = wait_until_settled(api, [run_id for _, run_id in runs])
    rows = collect_status(ws)
    for item, run_id in runs:
        run = settled.get(run_id)
        typer.echo(f"{item.slug}:")
        for r in (r for r in rows if r.slug == item.slug):
            typer.echo(f"  {r.lang}: {r.drafted} awaiting review, {r.reviewed} reviewed, {r.untranslated} untranslated"
                       f"; {r.review} -> {r.catalog}")
        if run is None:
            typer.echo(f"  run {run_id}: unknown to the server now", err=True)
            continue
        typer.echo(f"  run state: {run.state.name or '?'}   {ui}/runs/flow-run/{run.id}")
        if run.state.paused:
            mine = {r.lang for r in rows if r.slug == item.slug and r.awaits_decision}
            waiting = [lang for lang in run_options(run.parameters)["targets"] if lang in mine] or ["fr"]
            typer.echo(f"  next: review the catalogs (clear fuzzy), then `tarjama approve {item.slug} --lang {waiting[0]} "
                       "--reviewer NAME`, the review desk, or the Resume button in the Prefect UI")
        elif run.state.completed:
            typer.echo("  every language was approved before and is unchanged: already published, no new decision needed")
        elif run.state.message:
            typer.echo(f"  {run.state.message}", err=run.state.type in RETRIED)
    failed = [run for run in settled.values() if run.state.type in RETRIED]
    if failed or refused:
        raise typer.Exit(1 if failed else 2)


def _for_item(params: dict, path: Path) -> dict:
    """The run's parameters for one item: the options asked, with the item's file."""
    return {**params, "request": {**params["request"], "item_path": str(path)}}


def _options_differ(running: dict, asked: dict) -> str:
    """Which options of a run in review differ from the ones asked now ("--to", "--provider"); "" when none."""
    from operations.runs import run_options

    names = {"targets": "--to", "providers": "--provider", "suggest_from": "--suggest-from", "concurrency": "--concurrency",
             "urgency": "--urgency"}
    have, want = run_options(running), run_options(asked)
    return ", ".join(flag for key, flag in names.items() if have.get(key) != want.get(key))
