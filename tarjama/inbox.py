"""The inbox: items pasted into the Prefect UI's form become files there, and every item there that has
no drafts, or whose text changed since its drafts, is due a run.

What is due is decided from the item manifests (each records the digest of
the text it was drafted from), not from what a watcher happened to see: items
dropped while ``tarjama serve`` was stopped, restarting or starting are found
the same way as items dropped while it runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from tarjama.errors import InputError
from tarjama.fsio import atomic_write_text, locked
from tarjama.ingest import load_item
from tarjama.manifest import all_manifests
from tarjama.workspace import Workspace

SUFFIXES = {".txt", ".md", ".markdown", ".json"}


def save_pasted_item(workspace: Workspace, headline: str | None, body: str, now: dt.datetime | None = None,
                     timezone: str = "UTC") -> Path:
    """Write a Markdown item with front matter; the same text pasted twice is the same file."""
    if not body or not body.strip():
        raise InputError("form field 'body': paste the Arabic text of the item")
    now = now or dt.datetime.now(dt.UTC)
    front = {"date": now.date().isoformat(), "slug": pasted_slug(workspace, headline, body, now)}
    if headline and headline.strip():
        front = {"headline": headline.strip(), **front}
    text = f"---\n{yaml.safe_dump(front, allow_unicode=True, sort_keys=False)}---\n\n{body.strip()}\n"
    path = workspace.inbox / f"{front['slug']}.md"
    if path.exists():
        return path
    staging = workspace.inbox / f".{front['slug']}.check.md"
    atomic_write_text(staging, text)
    try:
        try:
            load_item(staging, workspace, timezone=timezone)  # refuse what ingest would refuse, before the inbox
        except InputError as error:
            raise InputError(str(error).replace(str(staging), "pasted item")) from None
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return path


def pasted_slug(workspace: Workspace, headline: str | None, body: str, now: dt.datetime | None = None) -> str:
    """The slug of a pasted item: the one its text was saved under already (any day), else today's. The run is
    named with it from its start, so the Prefect UI, status and the desk say the same name."""
    digest = hashlib.sha1(f"{headline or ''}\n{body}".encode()).hexdigest()[:10]
    earlier = sorted(workspace.inbox.glob(f"pasted-*-{digest}.md")) if workspace.inbox.is_dir() else []
    if earlier:
        return earlier[0].stem
    return f"pasted-{(now or dt.datetime.now(dt.UTC)):%Y%m%d}-{digest}"


def inbox_items(workspace: Workspace) -> dict[Path, str]:
    """Every item file in the inbox (hidden and other files left aside), with the digest of its bytes."""
    found: dict[Path, str] = {}
    if not workspace.inbox.is_dir():
        return found
    for path in sorted(workspace.inbox.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in SUFFIXES:
            continue
        try:
            if path.is_file():
                found[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
    return found


def due_items(workspace: Workspace, current: dict[Path, str] | None = None) -> dict[Path, str]:
    """Inbox items with no drafts yet, or whose text changed since their drafts (path -> digest)."""
    current = inbox_items(workspace) if current is None else current
    drafted = {m.get("source_path"): m.get("digest") for m in all_manifests(workspace).values()}
    return {path: digest for path, digest in current.items() if drafted.get(workspace.relative(path)) != digest}


SETTLE_SECONDS = 0.25
"""How soon a file seen new or changed is looked at again: unchanged by then, it is due (a copy still in progress
changes between the looks and waits for the next)."""


class InboxScanner:
    """Finds the due items whose content has stopped changing between two looks (so a half-copied file is
    never picked up). It keeps no record of what it handed out: :func:`due_items` decides, and the run
    starter makes one run per item text (an idempotency key), so a restart never loses or repeats one."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._last: dict[Path, str] = {}
        self.unsettled: list[Path] = []
        """Files new or changed at the last look: the caller looks again soon (:data:`SETTLE_SECONDS`)."""

    def scan(self) -> dict[Path, str]:
        """Due items whose bytes are the same as at the previous look (path -> digest)."""
        current = inbox_items(self.workspace)
        stable = {path: digest for path, digest in current.items() if self._last.get(path) == digest}
        self.unsettled = [path for path in current if path not in stable]
        self._last = current
        return due_items(self.workspace, stable) if stable else {}


REFUSED_FILE = "inbox-refused.json"


@dataclass(frozen=True)
class Refusal:
    """An inbox file that got no run, and why (for as long as the file holds the text that was refused)."""

    path: str  # relative to the workspace
    reason: str
    at: str


def _refusals_path(workspace: Workspace) -> Path:
    return workspace.state_dir / REFUSED_FILE


def _read_refusals(workspace: Workspace) -> dict[str, dict]:
    try:
        data = json.loads(_refusals_path(workspace).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_refusal(workspace: Workspace, path: Path, digest: str, reason: str) -> None:
    """Remember that ``path`` (with these bytes) was refused, so status shows it where people look."""
    target = _refusals_path(workspace)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target.with_name(f".{REFUSED_FILE}.lock"), "the inbox refusals", timeout=10):
        known = _read_refusals(workspace)
        known[workspace.relative(path)] = {"digest": digest, "reason": reason,
                                           "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        current = inbox_items(workspace)
        kept = {name: entry for name, entry in known.items() if (workspace.root / name) in current}
        atomic_write_text(target, json.dumps(kept, ensure_ascii=False, indent=1))


def refusals(workspace: Workspace) -> list[Refusal]:
    """The inbox files refused as they are now (a file changed since, or removed, is no longer listed)."""
    current = inbox_items(workspace)
    found = []
    for name, entry in sorted(_read_refusals(workspace).items()):
        if isinstance(entry, dict) and current.get(workspace.root / name) == entry.get("digest"):
            found.append(Refusal(name, str(entry.get("reason", "")), str(entry.get("at", ""))))
    return found
