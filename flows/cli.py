"""The ``tarjama`` command line.

User mistakes print one line (``error: ...``) and exit 2; everything that can
be checked is checked before any run starts or anything is written. Prefect
is imported only by the commands that run or talk to flows, so ``tarjama
status`` answers at once. Exit statuses: 0 done, 1 refused, 2 bad input,
3 busy, 4 failed (a publication), 5 still in progress.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tarjama.errors import InputError, TarjamaError
from tarjama.workspace import Workspace, check_lang, find_workspace

if TYPE_CHECKING:
    from tarjama.context import Context
    from tarjama.item import Item
    from tarjama.review.report import DecisionReport
    from tarjama.review.request import DecisionRequest
    from tarjama.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tarjama: Arabic news items to reviewed French and English versions.")

WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Folder holding content/ and translations/ (default: $TARJAMA_WORKSPACE "
                                           "or the repo root)."),
]
REVIEW_LOOP_HINT = ("to review and publish, start the review loop (`make demo`, or `tarjama serve` beside a Prefect "
                    "server) and run `tarjama translate {path}` again: drafts are kept, nothing is translated twice")


def fail(error: TarjamaError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def read_input(file: Path) -> bytes:
    """A file the user named, or one line saying why it cannot be read."""
    try:
        return file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read it ({exc.strerror})") from None


def write_output(path: Path, data: bytes) -> None:
    """Write a file the user named, atomically, or one line saying why it cannot be written."""
    from tarjama.fsio import atomic_write_bytes

    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write it ({exc.strerror})") from None


def since_date(value: str | None):
    """``--since YYYY-MM-DD`` as a date (None when not given)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise InputError(f"--since: {value!r} is not a date; write it as YYYY-MM-DD") from None


def _connect(ws: Workspace, required: bool) -> str | None:
    """Prefect's environment, and the URL of a Prefect API that answers (None when there is none to use)."""
    from flows.prefect_env import ServerState, prepare_prefect_env, probe_server

    prepare_prefect_env(ws)
    probe = probe_server()
    if probe.state is ServerState.UP:
        os.environ["PREFECT_API_URL"] = probe.url
        return probe.url
    if probe.state is ServerState.SLOW:
        fail(TarjamaError(f"the Prefect server at {probe.url} did not answer in time; try again in a moment"))
    if os.environ.get("PREFECT_API_URL"):
        fail(TarjamaError(f"PREFECT_API_URL={probe.url} does not answer; start the server or unset it"))
    if required:
        fail(TarjamaError("no Prefect server is running; start the review loop with `make demo` or `tarjama serve`"))
    return None


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
    workspace: WorkspaceOption = None,
) -> None:
    """Machine-translate items into draft PO catalogs; with `tarjama serve` running, hand them to the review loop."""
    from tarjama.drafting import check_writable, item_run_lock, parse_targets
    from tarjama.ingest import load_item
    from tarjama.manifest import read_manifest
    from tarjama.mt.providers import all_providers
    from tarjama.review.same_text import refuse_same_text
    from tarjama.settings import load_settings

    try:
        ws = find_workspace(workspace)
        settings = load_settings(ws.config_file)
        targets = parse_targets(to)
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
            if ws.item_dir(item.slug).is_dir():
                with item_run_lock(ws, item.slug):  # refused at once, in one line, while another run drafts it
                    pass
            drafted = (read_manifest(ws, item.slug) or {}).get("digest")
            planned.append(_Planned(path.resolve(), item, drafted != item.digest))
    except TarjamaError as error:
        fail(error)
    server = _connect(ws, required=False)
    params = {"targets": list(targets), "providers": list(provider or []), "workspace": str(ws.root),
              "concurrency": concurrency, "suggest_from": list(mt.suggest_from) if suggest_from is not None else []}
    if server:
        from flows.control import deployment_is_served

        if deployment_is_served():
            _hand_over(ws, planned, params, server)
            return
    try:
        known = all_providers()
        for name in (*mt.chain, *mt.suggest_from):  # drafted here: this process's settings are the ones used
            known[name].check_settings(mt.provider(name))
    except TarjamaError as error:
        fail(error)
    _drafts_here(ws, planned, params, server)


def _drafts_here(ws: Workspace, planned: list[_Planned], params: dict, server: str | None) -> None:
    """No served deployment: run the flow in this process (drafts only), with a temporary Prefect API if
    no server answers."""
    from contextlib import nullcontext

    from flows.local_server import flush_to_api, local_server
    from flows.prefect_env import QUIET_PREFECT

    os.environ.update(QUIET_PREFECT)
    try:
        with local_server(ws) if server is None else nullcontext(server) as url:
            os.environ["PREFECT_API_URL"] = url
            from flows.translate_article import translate_article

            for plan in planned:
                state = translate_article(item_path=str(plan.path), **params, return_state=True)
                if not state.is_completed():
                    fail(TarjamaError(state.message or f"the run ended {state.name}"))
                result = state.result()
                _print_drafts(plan.item, result["drafts"], result.get("providers", []))
                typer.echo(f"  {REVIEW_LOOP_HINT.format(path=plan.item.source_path)}")
            flush_to_api()  # the runs' logs and events reach the API before this command (or its server) stops
    except TarjamaError as error:
        fail(error)


def _print_drafts(item: Item, langs: list[dict], chain: list[str]) -> None:
    typer.echo(f"{item.slug}  ({item.source_path})" + (f"  providers: {', '.join(chain)}" if chain else ""))
    for r in langs:
        failed = len(r["failed"])
        counts = r["counts"]
        corrected = f" ({len(r['corrected'])} corrected)" if r["corrected"] else ""
        typer.echo(f"  {r['lang']}: {r['new_drafts']} drafted{corrected}, {failed} failed, {len(r['kept'])} kept"
                   f" ({counts['drafted']} awaiting review, {counts['reviewed']} reviewed,"
                   f" {counts['untranslated']} untranslated) -> {r['catalog']}")
        for seg, reason in r["failed"][:3]:
            typer.echo(f"      {seg}: {reason}")
        if failed > 3:
            typer.echo(f"      ... and {failed - 3} more; see the catalog's comments")


def _hand_over(ws: Workspace, planned: list[_Planned], params: dict, server: str) -> None:
    """Start every item's run on the served deployment at once, then report each once it settles."""
    from flows.control import LIVE, RETRIED, run_options, runs_of, start_item_run, wait_until_settled
    from tarjama.review.state import item_review
    from tarjama.status import collect_status

    ui = server.rstrip("/").removesuffix("/api")
    runs = []  # (item, run id): started here, or already in review with this very text and these options
    refused = False
    for plan in planned:
        item = plan.item
        review = item_review(ws, item.slug)
        live = [r for r in runs_of(item.slug, ws, LIVE) if str(r.id) == review.current_run]
        if live and review.source_digest == item.digest:
            differs = _options_differ(live[0].parameters, params)
            if not differs:
                typer.echo(f"{item.slug}: already in review with this text (run {live[0].name}); no second run")
                runs.append((item, live[0].id))
                continue
            in_review = run_options(live[0].parameters)["targets"]
            kept = [lang for lang in in_review if lang not in params["targets"]]
            if kept:
                typer.echo(f"error: {item.slug}: in review for {', '.join(in_review)}"
                           f" (run {live[0].name}); {differs} would take {', '.join(kept)} out of review: add them "
                           f"(--to {','.join(dict.fromkeys([*params['targets'], *kept]))}) or decide them first", err=True)
                refused = True
                continue
            typer.echo(f"{item.slug}: in review (run {live[0].name}) with other options ({differs}); a run with these "
                       "takes its place (reviewed segments are kept)")
        run = start_item_run(ws, item.source_path, item.digest, {"item_path": str(plan.path), **params}, name=item.slug)
        typer.echo(f"{item.slug}: run {run.name} started on the served deployment; drafting ...")
        runs.append((item, run.id))
    settled = wait_until_settled([run_id for _, run_id in runs])
    rows = collect_status(ws)
    for item, run_id in runs:
        run = settled[run_id]
        typer.echo(f"{item.slug}:")
        for r in (r for r in rows if r.slug == item.slug):
            typer.echo(f"  {r.lang}: {r.drafted} awaiting review, {r.reviewed} reviewed, {r.untranslated} untranslated"
                       f"; {r.review} -> {r.catalog}")
        state = run.state.name if run.state else "?"
        typer.echo(f"  run state: {state}   {ui}/runs/flow-run/{run.id}")
        if run.state and run.state.is_paused():
            mine = {r.lang for r in rows if r.slug == item.slug and r.awaits_decision}
            waiting = [lang for lang in run.parameters.get("targets") or params["targets"] if lang in mine] or ["fr"]
            typer.echo(f"  next: review the catalogs (clear fuzzy), then `tarjama approve {item.slug} --lang {waiting[0]} "
                       "--reviewer NAME`, the review desk, or the Resume button in the Prefect UI")
        elif run.state and run.state.is_completed():
            typer.echo("  every language was approved before and is unchanged: already published, no new decision needed")
        elif run.state and run.state.message:
            typer.echo(f"  {run.state.message}", err=run.state.type in RETRIED)
    failed = [run for run in settled.values() if run.state and run.state.type in RETRIED]
    if failed or refused:
        raise typer.Exit(1 if failed else 2)


def _options_differ(running: dict, asked: dict) -> str:
    """Which options of a run in review differ from the ones asked now ("--to", "--provider"); "" when none."""
    from flows.control import run_options

    names = {"targets": "--to", "providers": "--provider", "suggest_from": "--suggest-from", "concurrency": "--concurrency"}
    have, want = run_options(running), run_options(asked)
    return ", ".join(flag for key, flag in names.items() if have[key] != want[key])


def _decide(slug: str, lang: str, decision: str, reviewer: str, note: str, workspace: str | None, wait: float,
            overrides: list[str] | None = None) -> None:
    from tarjama.context import Context
    from tarjama.review.decisions import precheck_decision
    from tarjama.review.events import Channel
    from tarjama.review.request import DecisionRequest

    try:
        check_lang(lang, field="--lang")
        ws = find_workspace(workspace)
        request = DecisionRequest.make(slug, lang, decision, reviewer, note, channel=Channel.CLI,
                                       overrides=dict(_override(item) for item in overrides or []))
        ctx = Context.load(ws)
        review = precheck_decision(ctx, request)  # before any server is asked: a refusal needs none
    except TarjamaError as error:
        fail(error)
    _connect(ws, required=True)
    from flows.control import send_decision

    try:
        report = send_decision(ctx, request, review, wait=wait)
    except TarjamaError as error:
        fail(error)
    stream_err = report.exit_status not in (0, 5)
    typer.echo(report.summary(slug), err=stream_err)
    for path in report.published_paths(ws):
        typer.echo(f"  published: {path}")
    raise typer.Exit(int(report.exit_status))


LangOption = Annotated[str, typer.Option("--lang", "-l", help="The language decided on, e.g. fr.")]
ReviewerOption = Annotated[str, typer.Option("--reviewer", "-r", help="Your name, recorded with the decision.")]
NoteOption = Annotated[str, typer.Option("--note", "-n", help="A note recorded with the decision.")]
WaitOption = Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for the outcome (5: still in progress).")]


def _override(item: str) -> tuple[str, str]:
    key, sep, reason = item.partition("=")
    if not sep:
        raise InputError(f"--override {item!r}: write SEGMENT:CHECK=REASON, e.g. p1.s2:numbers=\"as in the source\"")
    return key, reason


OverrideOption = Annotated[list[str] | None, typer.Option(
    "--override", "-o", help="Let a critical QA finding pass: SEGMENT:CHECK=REASON (see `tarjama check`); repeat.")]


@app.command()
def approve(slug: str, lang: LangOption, reviewer: ReviewerOption, note: NoteOption = "", wait: WaitOption = 120,
            override: OverrideOption = None, workspace: WorkspaceOption = None) -> None:
    """Approve a language of an item: the item's run checks the catalog (and its QA findings) and publishes it."""
    _decide(slug, lang, "approve", reviewer, note, workspace, wait, override)


@app.command()
def check(
    slug: str,
    lang: Annotated[str | None, typer.Option("--lang", "-l", help="Only this language.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """QA findings of an item's translations; exit 1 when a critical one blocks approval."""
    import json

    from tarjama.context import Context

    try:
        if lang is not None:
            check_lang(lang, field="--lang")
        ws = find_workspace(workspace)
        if not ws.item_dir(slug).is_dir():
            raise InputError(f"no catalogs for {slug!r}: see `tarjama status` for the items translated")
        found = Context.load(ws).findings(slug, [lang] if lang else None)
        if lang and lang not in found:
            raise InputError(f"{slug} has no {lang} catalog; it has {', '.join(sorted(found)) or 'none'}")
    except TarjamaError as error:
        fail(error)
    blocking = [f for findings in found.values() for f in findings if f.blocks]
    if as_json:
        typer.echo(json.dumps({"slug": slug, "blocking": len(blocking),
                               "findings": {k: [f.as_dict() for f in v] for k, v in found.items()}},
                              ensure_ascii=False, indent=1))
    else:
        for findings in found.values():
            for finding in findings:
                typer.echo(finding.line())
        counts = ", ".join(f"{k}: {len(v)} finding(s)" for k, v in found.items())
        typer.echo(f"{slug}: {counts or 'no catalog'}; {len(blocking)} blocking approval"
                   + (" (fix them, or approve with --override SEGMENT:CHECK=REASON)" if blocking else ""))
    raise typer.Exit(1 if blocking else 0)


@app.command("mark-reviewed")
def mark_reviewed_command(slug: str, lang: LangOption, reviewer: ReviewerOption,
                          segments: Annotated[list[str] | None, typer.Argument(
                              help="Segment ids (p1.s2 ...); none: every translated segment.")] = None,
                          workspace: WorkspaceOption = None) -> None:
    """Mark segments reviewed (clear fuzzy) without a PO editor, under the catalog's lock, audited."""
    from tarjama.editing import mark_reviewed

    try:
        check_lang(lang, field="--lang")
        marked = mark_reviewed(find_workspace(workspace), slug, lang, list(segments or []), reviewer=reviewer)
    except TarjamaError as error:
        fail(error)
    typer.echo(f"{slug} {lang}: {len(marked)} segment(s) marked reviewed" + (f" ({', '.join(marked)})" if marked else "")
               + f"; approve with `tarjama approve {slug} --lang {lang} --reviewer \"{reviewer}\"`")


@app.command("request-changes")
def request_changes(slug: str, lang: LangOption, reviewer: ReviewerOption, note: NoteOption = "",
                    wait: WaitOption = 120, workspace: WorkspaceOption = None) -> None:
    """Ask for changes in a language: the note is recorded and the language keeps waiting."""
    _decide(slug, lang, "request_changes", reviewer, note, workspace, wait)


@app.command()
def publish(slug: str, lang: LangOption, workspace: WorkspaceOption = None) -> None:
    """Publish an approved language again from its catalog (after a failed publication was fixed)."""
    from tarjama.context import Context
    from tarjama.review.decisions import republish
    from tarjama.review.events import Published

    try:
        check_lang(lang, field="--lang")
        ws = find_workspace(workspace)
        event = republish(Context.load(ws), slug, lang)
    except TarjamaError as error:
        fail(error)
    if not isinstance(event, Published):
        typer.echo(f"error: {slug} {lang}: publication failed: {event.reason}", err=True)
        raise typer.Exit(4)
    typer.echo(f"{slug} {lang}: published version {event.version}")
    for path in event.paths:
        if (ws.root / path).is_file():
            typer.echo(f"  published: {path}")


def _workspace_and_settings(workspace: str | None) -> tuple[Workspace, Settings]:
    """The workspace and its settings, or one line saying what to fix (the long-running commands' start)."""
    from tarjama.settings import load_settings

    try:
        ws = find_workspace(workspace)
        return ws, load_settings(ws.config_file)
    except TarjamaError as error:
        fail(error)


@app.command()
def serve(workspace: WorkspaceOption = None) -> None:
    """Serve the translate-article deployment so runs can wait for review (needs a Prefect server)."""
    ws, settings = _workspace_and_settings(workspace)
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    _connect(ws, required=True)
    from flows.serve import serve_deployment

    serve_deployment(ws, settings)


@app.command()
def deploy(workspace: WorkspaceOption = None) -> None:
    """Put the deployment on a process work pool for `prefect worker start --pool tarjama` on any machine, with
    the provider quotas and the automation that reschedules runs whose worker stopped (idempotent)."""
    ws, settings = _workspace_and_settings(workspace)
    _connect(ws, required=True)
    from flows.deploy import deploy as apply_deployment

    try:
        done = apply_deployment(ws, settings)
    except TarjamaError as error:
        fail(error)
    for line in done.lines:
        typer.echo(line)
    typer.echo(f"next, on each machine that shares {ws.root}: prefect worker start --pool {done.pool}; and once, "
               "beside them: tarjama watch (the inbox and overdue reviews)")


@app.command()
def watch(workspace: WorkspaceOption = None) -> None:
    """Watch the inbox and the reviews while workers run the flow runs (after `tarjama deploy`)."""
    ws, settings = _workspace_and_settings(workspace)
    _connect(ws, required=True)
    from flows.serve import watch as watch_forever

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

    try:
        ws = find_workspace(workspace)
        configured = load_settings(ws.config_file).notify.webhook
        url = webhook or (configured.get_secret_value() if configured else None)
        if not url:
            raise InputError("give --webhook URL, or set TARJAMA_NOTIFY_WEBHOOK (or [notify] webhook)")
        from flows.notify import check_webhook

        check_webhook(url)
    except TarjamaError as error:
        fail(error)
    _connect(ws, required=True)
    from flows.notify import ensure_notifications

    for line in ensure_notifications(url):
        typer.echo(line)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Per item and language: drafted (fuzzy), reviewed, untranslated, review state and the item's run state."""
    from flows.prefect_env import run_states_now
    from tarjama.status import collect_status, status_json

    try:
        rows = collect_status(find_workspace(workspace), run_states_now)
    except TarjamaError as error:
        fail(error)
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


@app.command()
def usage(
    since: Annotated[str | None, typer.Option(help="Only runs recorded on or after this date (YYYY-MM-DD, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """MT usage per provider and language, from what the runs recorded: requests, characters, tokens, failures."""
    import json

    from tarjama.usage_log import summarise_usage

    try:
        summary = summarise_usage(find_workspace(workspace), since_date(since))
    except TarjamaError as error:
        fail(error)
    rows = summary.rows()
    if as_json:
        typer.echo(json.dumps({"since": since, "runs": len(summary.runs), "usage": rows}, indent=1))
        return
    if not rows:
        typer.echo("no MT usage recorded" + (f" since {since}" if since else ""))
        return
    typer.echo(f"{'provider':<12} {'lang':<4} {'requests':>8} {'characters':>10} {'prompt tok':>10} "
               f"{'compl. tok':>10} {'failed':>6} {'drafted':>7}")
    for r in rows:
        typer.echo(f"{r['provider']:<12} {r['lang']:<4} {r['requests']:>8} {r['characters']:>10} "
                   f"{r['prompt_tokens']:>10} {r['completion_tokens']:>10} {r['failures']:>6} {r['segments']:>7}")
    typer.echo(f"{len(summary.runs)} run(s)" + (f" since {since}" if since else ""))


@app.command()
def report(
    since: Annotated[str | None, typer.Option(help="Only approvals on or after this date (YYYY-MM-DD, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Post-edit figures per provider and language: chrF and TER between draft and approved text, unchanged share."""
    import csv
    import json

    from tarjama.post_edit import report as post_edit_report

    try:
        rows = [s.as_dict() for s in post_edit_report(find_workspace(workspace), since_date(since))]
    except TarjamaError as error:
        fail(error)
    if as_json:
        typer.echo(json.dumps({"since": since, "scores": rows}, indent=1))
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=["provider", "lang", "segments", "unchanged", "chrf", "ter"])
        writer.writeheader()
        writer.writerows(rows)
    elif not rows:
        typer.echo("no approval recorded" + (f" since {since}" if since else ""))
    else:
        typer.echo(f"{'provider':<12} {'lang':<4} {'segments':>8} {'unchanged':>9} {'chrF':>6} {'TER':>6}")
        for r in rows:
            typer.echo(f"{r['provider']:<12} {r['lang']:<4} {r['segments']:>8} {r['unchanged']:>9.0%} "
                       f"{r['chrf']:>6.1f} {r['ter']:>6.1f}")


@app.command("export")
def export_item(
    slug: str, lang: LangOption,
    fmt: Annotated[str, typer.Option("--format", help="xliff (XLIFF 2.0, for CAT tools).")] = "xliff",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: SLUG.LANG.xliff")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Export a language of an item as XLIFF 2 for a translator working in a CAT tool."""
    from tarjama.exchange import default_name, export_xliff

    try:
        target = output or default_name(slug, check_lang(lang, field="--lang"))
        if fmt != "xliff":
            raise InputError(f"--format {fmt!r}: xliff is the format CAT tools share")
        data = export_xliff(find_workspace(workspace), slug, lang)
        write_output(target, data)
    except TarjamaError as error:
        fail(error)
    typer.echo(f"{target}: {data.count(b'<unit ')} segment(s) of {slug} in {lang}")


@app.command("import")
def import_item(file: Path, workspace: WorkspaceOption = None) -> None:
    """Merge an XLIFF 2 file back into its catalog, by the rules of a re-run (nothing reviewed is lost)."""
    from tarjama.exchange import import_xliff

    try:
        report = import_xliff(find_workspace(workspace), read_input(file), str(file))
    except TarjamaError as error:
        fail(error)
    typer.echo(f"{report.slug} {report.lang}: {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
               f"{len(report.refused)} refused")
    for segment, reason in report.refused:
        typer.echo(f"  refused {segment}: {reason}")
    raise typer.Exit(1 if report.refused else 0)


tm_app = typer.Typer(help="The translation memory (approved segments, reused for new items).", no_args_is_help=True)
app.add_typer(tm_app, name="tm")


@tm_app.command("rebuild")
def tm_rebuild(workspace: WorkspaceOption = None) -> None:
    """Make the translation memory again from every approved catalog."""
    from tarjama.memory import memory_path, rebuild

    try:
        ws = find_workspace(workspace)
        catalogs, segments = rebuild(ws)
    except TarjamaError as error:
        fail(error)
    typer.echo(f"{segments} segment(s) from {catalogs} approved catalog(s) in {ws.relative(memory_path(ws))}")


@tm_app.command("search")
def tm_search(text: str, lang: Annotated[str | None, typer.Option("--lang", "-l", help="Only this language.")] = None,
              workspace: WorkspaceOption = None) -> None:
    """Remembered translations of sources like TEXT (50% similar and up), best first."""
    from tarjama.memory import search

    try:
        matches = search(find_workspace(workspace), text, lang)
    except TarjamaError as error:
        fail(error)
    if not matches:
        typer.echo("no match in the translation memory")
    for m in matches:
        typer.echo(f"{m.score:5.1f}% {m.lang}  {m.target}\n        {m.source}\n        ({m.origin()})")


@tm_app.command("export")
def tm_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")] = Path("memory.tmx"),
    fmt: Annotated[str, typer.Option("--format", help="tmx (TMX 1.4, for OmegaT, Trados, memoQ).")] = "tmx",
    workspace: WorkspaceOption = None,
) -> None:
    """Write the translation memory as TMX."""
    from tarjama.memory import export_tmx

    try:
        if fmt != "tmx":
            raise InputError(f"--format {fmt!r}: tmx is the format translation tools share")
        data = export_tmx(find_workspace(workspace))
        write_output(output, data)
    except TarjamaError as error:
        fail(error)
    typer.echo(f"{output}: {data.count(b'<tu ')} translation unit(s)")


@tm_app.command("import")
def tm_import(file: Path, workspace: WorkspaceOption = None) -> None:
    """Add a TMX file's Arabic-source translations to the memory."""
    from tarjama.memory import import_tmx

    try:
        added = import_tmx(find_workspace(workspace), read_input(file), str(file))
    except TarjamaError as error:
        fail(error)
    typer.echo(f"{file}: {added} segment(s) added to the translation memory")


glossary_app = typer.Typer(help="The workspace's glossary.csv (ar,fr,en,note).", no_args_is_help=True)
app.add_typer(glossary_app, name="glossary")


@glossary_app.command("check")
def glossary_check(workspace: WorkspaceOption = None) -> None:
    """Report malformed rows of glossary.csv, one line each (exit 2 when there are any)."""
    from tarjama.glossary import check_glossary, glossary_path

    try:
        ws = find_workspace(workspace)
    except TarjamaError as error:
        fail(error)
    path = glossary_path(ws.root)
    if not path.exists():
        typer.echo(f"no glossary: create {path.name} in {ws.root} with the header ar,fr,en,note")
        return
    terms, problems = check_glossary(ws.root)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)
    typer.echo(f"{path.name}: {len(terms)} term(s), no problem found")


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


@dataclass(frozen=True)
class PrefectChannel:
    """The desk's way to the review loop: the same decision path as ``tarjama approve``."""

    def decide(self, ctx: Context, request: DecisionRequest) -> DecisionReport:
        from flows.control import submit_decision

        return submit_decision(ctx, request, wait=90)

    def run_states(self, run_ids: list[str]) -> dict[str, str]:
        from flows.prefect_env import run_states_now

        return run_states_now(run_ids)


@app.command()
def desk(
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 unless a proxy fronts the desk.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the desk.")] = 8800,
    workspace: WorkspaceOption = None,
) -> None:
    """Start the review desk, a web page where translators review, correct and approve drafts."""
    import uvicorn

    from flows.prefect_env import api_url, prepare_prefect_env
    from tarjama.desk.app import create_app
    from tarjama.desk.reviewers import load_reviewers, reviewers_file

    try:
        ws = find_workspace(workspace)
        path = reviewers_file(ws.root)
        if not load_reviewers(path):
            typer.echo(f"warning: no reviewers in {path}; add one with `tarjama reviewer add NAME --lang fr`", err=True)
        prepare_prefect_env(ws)
        os.environ["PREFECT_API_URL"] = api_url()  # decisions go to that server, never to a temporary one
    except TarjamaError as error:
        fail(error)
    typer.echo(f"review desk on http://{host}:{port}")
    uvicorn.run(create_app(ws, path, PrefectChannel()), host=host, port=port, log_level="warning")


@app.command()
def demo(workspace: WorkspaceOption = None, port: Annotated[int, typer.Option(help="Prefect server port.")] = 4200,
         desk_port: Annotated[int, typer.Option(help="Review desk port.")] = 8800) -> None:
    """Bring up the local stack (Prefect server and UI, the served deployment, the review desk) and start a run
    for the sample item."""
    from flows.stack import run_demo

    try:
        run_demo(find_workspace(workspace), port=port, desk_port=desk_port)
    except TarjamaError as error:
        fail(error)


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
