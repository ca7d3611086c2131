"""The workspace glossary as DeepL glossaries: created per target language, replaced only when it changed.

DeepL's v2 glossaries cannot be edited, so a changed glossary is created anew
and the previous one deleted. Which glossary id holds which version is
recorded in ``.tarjama/deepl-glossaries.json`` (keyed by server and by a hash
of the key, never the key itself), under a lock, so parallel runs create it
once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from tarjama.fsio import atomic_write_text, locked
from tarjama.glossary import Glossary

RECORD = "deepl-glossaries.json"
_memory: dict[str, dict[str, Any]] = {}  # the record when there is no workspace (benchmarks)
_memory_lock = threading.Lock()


def ensure_glossary(client: Any, glossary: Glossary, lang: str, state_dir: Path | None, *, server_url: str,
                    key: str) -> str:
    """The id of a DeepL glossary with ``glossary``'s entries for ``lang``, creating it if needed."""
    base = lang.split("_")[0].lower()
    account = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    slot = f"{server_url}|{account}|{base}"
    digest = glossary.digest_for(base)
    if state_dir is None:
        with _memory_lock:
            return _sync(client, glossary, base, digest, _memory, slot)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / RECORD
    with locked(state_dir / f".{RECORD}.lock", "DeepL glossary record", timeout=60):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        record = record if isinstance(record, dict) else {}
        before = dict(record)
        glossary_id = _sync(client, glossary, base, digest, record, slot)
        if record != before:
            atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
        return glossary_id


def _sync(client: Any, glossary: Glossary, lang: str, digest: str, record: dict[str, Any], slot: str) -> str:
    import deepl

    known = record.get(slot)
    if isinstance(known, dict) and known.get("digest") == digest and known.get("id"):
        return str(known["id"])
    info = client.create_glossary(f"tarjama {lang} {digest[:8]}", "AR", lang.upper(), glossary.entries(lang))
    if isinstance(known, dict) and known.get("id"):
        try:
            client.delete_glossary(str(known["id"]))
        except deepl.DeepLException:
            pass  # already gone, or not ours to delete any more: the new one is what counts
    record[slot] = {"id": info.glossary_id, "digest": digest, "entries": info.entry_count}
    return info.glossary_id
