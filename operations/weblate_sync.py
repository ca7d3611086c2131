"""tarjama and Weblate, both ways, through the workspace's git repository and Weblate's API.

One sync (``tarjama weblate sync``, and every ``[weblate] sync_seconds`` in ``tarjama watch``):

1. tarjama commits the catalogs it changed (new drafts, a reviewer's edits in the desk).
2. Weblate commits its translators' work and pushes it to the workspace's ``weblate`` branch; tarjama merges
   that branch into the checked-out one, holding the lock of every catalog the merge changes (a run or the
   desk writing one waits, so neither side's edit is lost), and asks Weblate to pull; its component
   discovery then adds a component for each new item.
3. A language whose every string is approved in Weblate, and which waits for a decision in tarjama, becomes
   an approval request: the Weblate account that approved it as reviewer, ``weblate`` as channel. It is
   checked and decided like any other (the catalog and QA can refuse it).

Only the catalogs are exchanged: review logs, audit trails and published pages stay tarjama's. git is run
as a command: it is what Weblate itself drives, and the merge needs the real thing.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from operations.delivery import submit_decision
from operations.weblate_api import LanguageStats, WeblateApi
from tarjama.catalog_store import catalog_lock
from tarjama.channels import Channel
from tarjama.context import Context
from tarjama.errors import TarjamaError
from tarjama.fsio import locked
from tarjama.review.decisions import ApprovalRefused, NotWaiting
from tarjama.review.request import DecisionRequest
from tarjama.review.state import item_review
from tarjama.settings import WeblateSettings
from tarjama.workspace import Workspace

DISCOVERY = "weblate.discovery.discovery"
CATALOG_PATTERN = r"translations/(?P<component>[^/]*)/(?P<language>[^/.]*)\.po"
CATALOGS = ":(glob)translations/*/*.po"  # what tarjama commits: the catalogs, never a file staged by someone else
COMMITTER = ["-c", "user.name=tarjama", "-c", "user.email=tarjama@localhost"]
MERGE_LOCK_TIMEOUT = 60.0


@dataclass
class SyncReport:
    """What one sync did, for the command's output and the watcher's log."""

    merged: list[str] = field(default_factory=list)  # catalogs Weblate's translators changed
    committed: list[str] = field(default_factory=list)  # catalogs tarjama changed, now in Weblate
    approvals: list[str] = field(default_factory=list)  # "slug lang: outcome"
    refused: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"from Weblate: {path}" for path in self.merged]
        out += [f"to Weblate: {path}" for path in self.committed]
        out += [f"approved in Weblate: {line}" for line in self.approvals]
        out += [f"approval from Weblate refused: {line}" for line in self.refused]
        return out or ["nothing to sync"]


def git(workspace: Workspace, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", "-C", str(workspace.root), *COMMITTER, *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise TarjamaError(f"git {args[0]} in {workspace.root} failed: {result.stderr.strip().splitlines()[-1:]}")
    return result


def check_repository(workspace: Workspace) -> str:
    """The checked-out branch, or one line saying why the workspace cannot be synced."""
    inside = git(workspace, "rev-parse", "--show-toplevel", check=False)
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != workspace.root.resolve():
        raise TarjamaError(f"{workspace.root} is not the top of a git repository: Weblate reads tarjama's catalogs "
                           "from git (git init, commit the catalogs, then `tarjama weblate connect`)")
    branch = git(workspace, "symbolic-ref", "--short", "HEAD", check=False).stdout.strip()
    if not branch:
        raise TarjamaError(f"{workspace.root}: no branch is checked out (detached HEAD); check one out")
    return branch


def connect(workspace: Workspace, settings: WeblateSettings) -> list[str]:
    """Create the Weblate project, its first component and component discovery (once; again: no change)."""
    branch = check_repository(workspace)
    committed = commit_catalogs(workspace, "tarjama: catalogs for Weblate")
    items = sorted({p.parent.name for p in workspace.translations.glob("*/*.po")})
    if not items:
        raise TarjamaError(f"no catalogs under {workspace.relative(workspace.translations)}: draft an item first "
                           "(`tarjama translate ITEM`), then connect")
    said = [f"committed {path}" for path in committed]
    repo = workspace.root.resolve().as_uri()
    with WeblateApi(settings) as api:
        if api.get_project() is None:
            api.create_project(web=repo if repo.startswith("http") else "https://example.org/")
            said.append(f"project {settings.project} created (reviews on: strings are approved by reviewers)")
        components = {c["slug"]: c for c in api.components()}
        main = next((slug for slug in items if slug in components), items[0])  # discovery hangs on one component
        if main not in components:
            api.create_component({
                "name": main, "slug": main, "vcs": "git", "repo": repo, "push": repo, "branch": branch,
                "push_branch": settings.push_branch, "filemask": f"translations/{main}/*.po", "file_format": "po",
                "source_language": "ar", "new_lang": "none", "edit_template": False,
                "merge_style": "merge", "commit_pending_age": 0})
            said.append(f"component {main} created from {repo} ({branch}), pushing to {settings.push_branch}")
        if not any(a.get("name") == DISCOVERY for a in api.addons(main)):
            api.add_addon(main, DISCOVERY, {
                "match": CATALOG_PATTERN, "file_format": "po", "name_template": "{{ component }}",
                "base_file_template": "", "new_base_template": "", "language_regex": "^[^.]+$",
                "copy_addons": True, "remove": False, "confirm": True})
            said.append(f"component discovery on: {CATALOG_PATTERN}")
        api.repository("pull")
        said.append(f"{len(api.components())} components in Weblate for {len(items)} items")
    return said


def commit_catalogs(workspace: Workspace, message: str) -> list[str]:
    """Commit every catalog that differs from the last commit (new drafts, desk edits); the paths committed."""
    if not any(workspace.translations.glob("*/*.po")):
        return []
    git(workspace, "add", "--", CATALOGS)
    staged = git(workspace, "diff", "--cached", "--name-only", "--", CATALOGS).stdout.split()  # nothing else staged
    if staged:
        git(workspace, "commit", "-q", "-m", message, "--", *staged)
    return staged


@contextlib.contextmanager
def catalogs_locked(workspace: Workspace, paths: list[str]) -> Iterator[None]:
    """Hold the lock of every catalog in ``paths`` (the store's own locks: its writers wait meanwhile)."""
    with contextlib.ExitStack() as stack:
        for path in sorted(paths):
            catalog = workspace.root / path
            stack.enter_context(locked(catalog_lock(catalog), f"catalog {path}", timeout=MERGE_LOCK_TIMEOUT))
        yield


def merge_translators_work(workspace: Workspace, settings: WeblateSettings, api: WeblateApi) -> list[str]:
    """Weblate commits and pushes; the pushed branch is merged here (tarjama's own catalogs committed first, by
    :func:`sync`: git merges only into a clean tree). The catalogs the merge changed."""
    api.repository("commit")
    api.repository("push")
    branch = settings.push_branch
    if git(workspace, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False).returncode != 0:
        return []  # Weblate has pushed nothing yet
    changed = git(workspace, "diff", "--name-only", f"HEAD...{branch}", "--", "translations").stdout.split()
    if not changed:
        return []
    with catalogs_locked(workspace, changed):
        merged = git(workspace, "merge", "--no-edit", "-q", "-m", f"tarjama: translators' work from Weblate ({branch})",
                     branch, check=False)
        if merged.returncode != 0:
            git(workspace, "merge", "--abort", check=False)
            raise TarjamaError(f"Weblate's {branch} branch and tarjama changed the same catalogs ({', '.join(changed)}) "
                               f"and git cannot merge them; both versions are kept: merge {branch} by hand "
                               "(or enable Weblate's PO merge driver, README: Weblate)")
    return changed


def propose_approvals(ctx: Context, api: WeblateApi, report: SyncReport, seen: dict[tuple[str, str], str]) -> None:
    """Every language approved in Weblate that waits for a decision here, sent as a decision (see the module)."""
    for component in api.components():
        slug = component["slug"]
        if not ctx.workspace.item_dir(slug).exists():
            continue
        for lang in item_review(ctx.workspace, slug).waiting_langs():  # Weblate is asked only about these
            stats = api.language_stats(slug, lang)
            if stats is not None and stats.all_approved:
                _propose(ctx, api, stats, report, seen)


def _propose(ctx: Context, api: WeblateApi, stats: LanguageStats, report: SyncReport,
             seen: dict[tuple[str, str], str]) -> None:
    slug, lang = stats.component, stats.lang
    catalog = ctx.workspace.catalog_path(slug, lang)
    marker = hashlib.blake2b(catalog.read_bytes(), digest_size=16).hexdigest() if catalog.exists() else ""
    if seen.get((slug, lang)) == marker:
        return  # refused before, and nothing changed since: not asked again every sync
    reviewer = api.approver(slug, lang) or "weblate"
    request = DecisionRequest.make(slug, lang, "approve", reviewer, f"every string approved in Weblate ({stats.total})",
                                   channel=Channel.WEBLATE)
    try:
        outcome = submit_decision(ctx, request, wait=120)
    except (ApprovalRefused, NotWaiting) as exc:
        seen[(slug, lang)] = marker
        report.refused.append(f"{slug} {lang}: {exc}")
        return
    report.approvals.append(f"{slug} {lang} by {reviewer}: {outcome.summary(slug)}")


def sync(ctx: Context, seen: dict[tuple[str, str], str] | None = None) -> SyncReport:
    """One sync, both ways (see the module docstring)."""
    settings = ctx.settings.weblate
    check_repository(ctx.workspace)
    report = SyncReport()
    with WeblateApi(settings) as api:
        report.committed = commit_catalogs(ctx.workspace, "tarjama: drafts and edits for Weblate")
        report.merged = merge_translators_work(ctx.workspace, settings, api)
        if report.committed or report.merged:
            api.repository("pull")
        propose_approvals(ctx, api, report, {} if seen is None else seen)
    return report
