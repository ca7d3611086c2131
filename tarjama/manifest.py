"""``translations/<slug>/item.json``: which source file owns a slug, and the item's metadata.

It lets ingest keep two different items from sharing a slug, and lets status
and publishing describe an item without re-reading its source.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from tarjama.fsio import atomic_write_text
from tarjama.item import Item
from tarjama.workspace import Workspace


def read_manifest(workspace: Workspace, slug: str) -> dict[str, Any] | None:
    try:
        data = json.loads((workspace.translations / slug / "item.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(workspace: Workspace, item: Item, targets: Sequence[str]) -> None:
    data = {k: v for k, v in dataclasses.asdict(item).items() if k != "paragraphs"}
    data["targets"] = list(targets)
    data["text_digest"] = item.text_digest
    atomic_write_text(workspace.item_dir(item.slug) / "item.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def all_manifests(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """Every item's manifest, by slug (what the inbox watcher compares the inbox against)."""
    found: dict[str, dict[str, Any]] = {}
    if workspace.translations.is_dir():
        for folder in sorted(p for p in workspace.translations.iterdir() if p.is_dir()):
            manifest = read_manifest(workspace, folder.name)
            if manifest is not None:
                found[folder.name] = manifest
    return found
