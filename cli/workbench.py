"""The workbench's commands: MT usage, post-edit report, XLIFF exchange, translation memory, glossary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.app import (
    LangOption,
    WorkspaceOption,
    app,
    read_input,
    since_date,
    write_output,
)
from tarjama.errors import InputError
from tarjama.workspace import check_lang, find_workspace


@app.command()
def usage(
    since: Annotated[str | None, typer.Option(help="Only runs recorded on or after this date (YYYY-MM-DD, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """MT usage per provider and language, from what the runs recorded: requests, characters, tokens, failures."""
    import json

    from tarjama.usage_log import summarise_usage

    summary = summarise_usage(find_workspace(workspace), since_date(since))
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
    risk: Annotated[bool, typer.Option("--risk", help="Per risk band too: does \"low\" deserve its name?")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Post-edit figures per provider and language: chrF and TER between draft and approved text, unchanged share;
    with --risk, per band: segments read one by one, the share reviewers changed, mean post-edit chrF."""
    from tarjama.post_edit import report as post_edit_report
    from tarjama.post_edit import risk_report

    ws, day = find_workspace(workspace), since_date(since)
    if risk:
        rows = [s.as_dict() for s in risk_report(ws, day)]
        header = f"{'provider':<12} {'lang':<4} {'band':<6} {'segments':>8} {'changed':>8} {'chrF':>6} {'in bulk':>8}"
        lines = [f"{r['provider']:<12} {r['lang']:<4} {r['band']:<6} {r['segments']:>8} {r['changed']:>8.0%} "
                 f"{r['mean_chrf']:>6.1f} {r['accepted_in_bulk']:>8}" for r in rows]
        lines.append("segments: read one by one; changed: share a reviewer changed; chrF: mean, draft against "
                     "approved; in bulk: accepted with the low-risk ones (not in the figures)")
        _table(rows, "bands", since, as_json, as_csv, "no approved draft with a risk band recorded", header, lines)
        return
    rows = [s.as_dict() for s in post_edit_report(ws, day)]
    header = f"{'provider':<12} {'lang':<4} {'segments':>8} {'unchanged':>9} {'chrF':>6} {'TER':>6}"
    lines = [f"{r['provider']:<12} {r['lang']:<4} {r['segments']:>8} {r['unchanged']:>9.0%} {r['chrf']:>6.1f} "
             f"{r['ter']:>6.1f}" for r in rows]
    _table(rows, "scores", since, as_json, as_csv, "no approval recorded", header, lines)


def _table(rows: list[dict], key: str, since: str | None, as_json: bool, as_csv: bool, empty: str, header: str,
           lines: list[str]) -> None:
    """A report's rows as JSON (``{"since", key: rows}``), CSV, or a table for people."""
    import csv
    import json

    if as_json:
        typer.echo(json.dumps({"since": since, key: rows}, indent=1))
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["provider", "lang"])
        writer.writeheader()
        writer.writerows(rows)
    elif not rows:
        typer.echo(empty + (f" since {since}" if since else ""))
    else:
        typer.echo("\n".join([header, *lines]))


@app.command()
def provenance(
    slug: str, lang: LangOption,
    version: Annotated[int | None, typer.Option("--version", help="A published version (default: the newest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Which sentences of a published version a person wrote: per segment, the engine or memory that drafted it,
    whether a person changed it and who, whether it was reviewed one by one or accepted as low risk."""
    import json

    from tarjama.publish.provenance import read_version

    check_lang(lang, field="--lang")
    found = read_version(find_workspace(workspace), slug, lang, version)
    if found is None:
        which = f"version {version} of " if version is not None else ""
        raise InputError(f"no published {which}{slug} in {lang}: `tarjama status` shows what is published")
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    reviewers = ", ".join(found.get("reviewed_by") or [])
    review = ("published before review: an unreviewed machine translation" if found.get("review_status") ==
              "unreviewed" else f"reviewed by {reviewers or 'nobody'}")
    typer.echo(f"{slug} {lang} version {found['version']} ({found.get('versioncreated', '')[:16]}): {review}; "
               f"{found.get('digital_source_type') or ''}")
    for s in found.get("segments", []):
        origin = s.get("drafted_by") or "no draft"
        who = "written by a person" + (f" ({', '.join(s['edited_by'])})" if s.get("edited_by") else "") \
            if s.get("written_by_person") else f"{origin}'s draft kept"
        how = "accepted as low risk" if s.get("accepted_as_low_risk") else ("reviewed" if s.get("reviewed") else "unreviewed")
        typer.echo(f"{s['segment']:<10} drafted by {origin:<10} {who}; {how}")


@app.command("export")
def export_item(
    slug: str, lang: LangOption,
    fmt: Annotated[str, typer.Option("--format", help="xliff (XLIFF 2.0, for CAT tools).")] = "xliff",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: SLUG.LANG.xliff")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Export a language of an item as XLIFF 2 for a translator working in a CAT tool."""
    from tarjama.exchange import default_name, export_xliff

    target = output or default_name(slug, check_lang(lang, field="--lang"))
    if fmt != "xliff":
        raise InputError(f"--format {fmt!r}: xliff is the format CAT tools share")
    data = export_xliff(find_workspace(workspace), slug, lang)
    write_output(target, data)
    typer.echo(f"{target}: {data.count(b'<unit ')} segment(s) of {slug} in {lang}")


@app.command("import")
def import_item(file: Path, workspace: WorkspaceOption = None) -> None:
    """Merge an XLIFF 2 file back into its catalog, by the rules of a re-run (nothing reviewed is lost)."""
    from tarjama.exchange import import_xliff

    report = import_xliff(find_workspace(workspace), read_input(file), str(file))
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

    ws = find_workspace(workspace)
    catalogs, segments = rebuild(ws)
    typer.echo(f"{segments} segment(s) from {catalogs} approved catalog(s) in {ws.relative(memory_path(ws))}")


@tm_app.command("search")
def tm_search(text: str, lang: Annotated[str | None, typer.Option("--lang", "-l", help="Only this language.")] = None,
              workspace: WorkspaceOption = None) -> None:
    """Remembered translations of sources like TEXT (50% similar and up), best first."""
    from tarjama.memory import search

    matches = search(find_workspace(workspace), text, lang)
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

    if fmt != "tmx":
        raise InputError(f"--format {fmt!r}: tmx is the format translation tools share")
    data = export_tmx(find_workspace(workspace))
    write_output(output, data)
    typer.echo(f"{output}: {data.count(b'<tu ')} translation unit(s)")


@tm_app.command("import")
def tm_import(file: Path, workspace: WorkspaceOption = None) -> None:
    """Add a TMX file's Arabic-source translations to the memory."""
    from tarjama.memory import import_tmx

    added = import_tmx(find_workspace(workspace), read_input(file), str(file))
    typer.echo(f"{file}: {added} segment(s) added to the translation memory")


glossary_app = typer.Typer(help="The workspace's glossary.csv (ar,fr,en,note).", no_args_is_help=True)
app.add_typer(glossary_app, name="glossary")


@glossary_app.command("check")
def glossary_check(workspace: WorkspaceOption = None) -> None:
    """Report malformed rows of glossary.csv, one line each (exit 2 when there are any)."""
    from tarjama.glossary import check_glossary, glossary_path

    ws = find_workspace(workspace)
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
