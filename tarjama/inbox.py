"""Items pasted into the Prefect UI's form become files in ``content/inbox/`` like any other item."""

from __future__ import annotations

import datetime as dt
import hashlib
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
