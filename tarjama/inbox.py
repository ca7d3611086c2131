"""The inbox: items pasted into the Prefect UI's form become files there, and items dropped there start runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import yaml

from tarjama.errors import InputError
from tarjama.fsio import atomic_write_text
from tarjama.ingest import load_item
from tarjama.workspace import Workspace


def save_pasted_item(workspace: Workspace, headline: str | None, body: str, now: dt.datetime | None = None) -> Path:
    """Write a Markdown item with front matter; the same text pasted twice is the same file."""
    if not body or not body.strip():
        raise InputError("form field 'body': paste the Arabic text of the item")
    now = now or dt.datetime.now(dt.timezone.utc)
    digest = hashlib.sha1(f"{headline or ''}\n{body}".encode()).hexdigest()[:10]
    front = {"date": now.date().isoformat(), "slug": f"pasted-{now:%Y%m%d}-{digest}"}
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
            load_item(staging, workspace)  # refuse what ingest would refuse, before it reaches the inbox
        except InputError as error:
            raise InputError(str(error).replace(str(staging), "pasted item")) from None
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return path


SUFFIXES = {".txt", ".md", ".markdown", ".json"}


class InboxScanner:
    """Finds items dropped into (or corrected in) ``content/inbox/`` since the last look.

    A file counts once its content has stopped changing between two looks, so a
    half-copied file is never picked up. What was seen is remembered in
    ``.prefect/inbox-seen.json``; the first look takes the inbox as it is as
    already handled, so starting the watcher never re-runs old items.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.state_path = workspace.prefect_home / "inbox-seen.json"
        self._pending: dict[str, str] = {}
        try:
            self._seen: dict[str, str] | None = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._seen = None

    def _digests(self) -> dict[str, str]:
        found = {}
        if not self.workspace.inbox.is_dir():
            return found
        for path in sorted(self.workspace.inbox.iterdir()):
            if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
                try:
                    found[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    continue
        return found

    def scan(self) -> list[Path]:
        """Items new or changed since the last look, whose content is stable."""
        current = self._digests()
        if self._seen is None:
            self._seen = current
            self._save()
            return []
        ready = [name for name, digest in current.items()
                 if self._seen.get(name) != digest and self._pending.get(name) == digest]
        self._pending = {name: digest for name, digest in current.items() if self._seen.get(name) != digest}
        for name in ready:
            self._seen[name] = current[name]
            self._pending.pop(name, None)
        if ready:
            self._save()
        return [self.workspace.inbox / name for name in ready]

    def _save(self) -> None:
        atomic_write_text(self.state_path, json.dumps(self._seen, indent=1, sort_keys=True) + "\n")
