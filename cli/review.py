"""The reviewer's commands: approve, request changes, check, mark reviewed, publish again."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.app import LangOption, NoteOption, OverrideOption, ReviewerOption, WaitOption, WorkspaceOption, app, connect
from tarjama.errors import InputError
from tarjama.workspace import check_lang, find_workspace


def _decide(slug: str, lang: str, decision: str, reviewer: str, note: str, workspace: str | None, wait: float,
            overrides: list[str] | None = None) -> None:
    from tarjama.context import Context
    from tarjama.review.decisions import precheck_decision
    from tarjama.review.events import Channel
    from tarjama.review.request import DecisionRequest

    check_lang(lang, field="--lang")
    ws = find_workspace(workspace)
    request = DecisionRequest.make(slug, lang, decision, reviewer, note, channel=Channel.CLI,
                                   overrides=dict(_override(item) for item in overrides or []))
    ctx = Context.load(ws)
    review = precheck_decision(ctx, request)  # before any server is asked: a refusal needs none
    connect(ws, required=True)
    from operations.delivery import send_decision

    report = send_decision(ctx, request, review, wait=wait)
    stream_err = report.exit_status not in (0, 5)
    typer.echo(report.summary(slug), err=stream_err)
    for path in report.published_paths(ws):
        typer.echo(f"  published: {path}")
    raise typer.Exit(int(report.exit_status))


def _override(item: str) -> tuple[str, str]:
    key, sep, reason = item.partition("=")
    if not sep:
        raise InputError(f"--override {item!r}: write SEGMENT:CHECK=REASON, e.g. p1.s2:numbers=\"as in the source\"")
    return key, reason


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
    """QA findings of an item's translations and each segment's risk band; exit 1 when a critical finding blocks
    approval."""
    import json

    from tarjama.context import Context
    from tarjama.qa.item_risk import band_counts

    if lang is not None:
        check_lang(lang, field="--lang")
    ws = find_workspace(workspace)
    if not ws.item_dir(slug).is_dir():
        raise InputError(f"no catalogs for {slug!r}: see `tarjama status` for the items translated")
    ctx = Context.load(ws)
    found = ctx.findings(slug, [lang] if lang else None)
    if lang and lang not in found:
        raise InputError(f"{slug} has no {lang} catalog; it has {', '.join(sorted(found)) or 'none'}")
    blocking = [f for findings in found.values() for f in findings if f.blocks]
    risks = ctx.risks(slug, list(found))
    unreviewed = ctx.risks(slug, list(found), unreviewed_only=True)
    if as_json:
        typer.echo(json.dumps({"slug": slug, "blocking": len(blocking),
                               "findings": {k: [f.as_dict() for f in v] for k, v in found.items()},
                               "risk": {k: {segment: r.as_dict() for segment, r in v.items()} for k, v in risks.items()},
                               "unreviewed_bands": {k: band_counts(v) for k, v in unreviewed.items()}},
                              ensure_ascii=False, indent=1))
    else:
        for findings in found.values():
            for finding in findings:
                typer.echo(finding.line())
        for k, v in unreviewed.items():
            for segment, risk in v.items():
                if risk.band.value != "low":
                    typer.echo(f"{k} {segment} risk {risk.summary()}")
            bands = band_counts(v)
            typer.echo(f"{k}: {sum(bands.values())} unreviewed segment(s): " + ", ".join(f"{n} {b}" for b, n in bands.items()))
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

    check_lang(lang, field="--lang")
    marked = mark_reviewed(find_workspace(workspace), slug, lang, list(segments or []), reviewer=reviewer)
    typer.echo(f"{slug} {lang}: {len(marked)} segment(s) marked reviewed" + (f" ({', '.join(marked)})" if marked else "")
               + f"; approve with `tarjama approve {slug} --lang {lang} --reviewer \"{reviewer}\"`")


@app.command("accept-low-risk")
def accept_low_risk_command(slug: str, lang: LangOption, reviewer: ReviewerOption,
                            workspace: WorkspaceOption = None) -> None:
    """Accept the unreviewed low-risk segments of a language together ([review] policy = "by-exception"):
    recorded in the review log and the catalog; the others are reviewed one by one."""
    from tarjama.context import Context
    from tarjama.review.events import Channel
    from tarjama.review.low_risk import accept_low_risk

    check_lang(lang, field="--lang")
    accepted = accept_low_risk(Context.load(find_workspace(workspace)), slug, lang, reviewer, Channel.CLI)
    typer.echo(accepted.summary(slug, lang))


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

    check_lang(lang, field="--lang")
    ws = find_workspace(workspace)
    event = republish(Context.load(ws), slug, lang)
    if not isinstance(event, Published):
        typer.echo(f"error: {slug} {lang}: publication failed: {event.reason}", err=True)
        raise typer.Exit(4)
    typer.echo(f"{slug} {lang}: published version {event.version}")
    for path in event.paths:
        if (ws.root / path).is_file():
            typer.echo(f"  published: {path}")
