"""What MT cost, run by run: the record behind ``tarjama usage`` (``.tarjama/usage.jsonl``).

One line per run, engine attempt, item, language and provider, appended when
the run writes its drafts: requests, characters (billed where the provider
reports them), prompt and completion tokens, failed requests, segments
drafted. A task that writes again with the same engine replaces its own lines
when read: the key is (run, attempt, item, language, provider).

Until then each attempt keeps a checkpoint (``.tarjama/usage-in-flight/``),
rewritten before every request is sent, so a run killed mid-draft still has
every request it sent counted (the characters of the requests in flight at
that moment excepted: they are known only from the answer). The line written
with the drafts supersedes its checkpoint; a run started again in a new
process is another attempt, and both are counted, as the provider bills both.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tarjama.fsio import append_jsonl, atomic_write_text, read_jsonl
from tarjama.mt.sources import Usage
from tarjama.workspace import Workspace

USAGE_LOG = "usage.jsonl"
IN_FLIGHT = "usage-in-flight"
COUNTS = tuple(Usage.__dataclass_fields__)


def usage_log_path(workspace: Workspace) -> Path:
    return workspace.state_dir / USAGE_LOG


def _lines(*, run: str, attempt: str, slug: str, lang: str, usage: dict[str, dict[str, int]],
           at: dt.datetime) -> list[dict]:
    return [{"at": at.isoformat(timespec="seconds"), "run": run, "attempt": attempt, "item": slug, "lang": lang,
             "provider": provider, **{name: int(counts.get(name, 0)) for name in COUNTS}}
            for provider, counts in sorted(usage.items())]


def _checkpoint_path(workspace: Workspace, attempt: str, lang: str) -> Path:
    return workspace.state_dir / IN_FLIGHT / f"{attempt}-{lang}.json"


def record_usage(workspace: Workspace, *, run: str, slug: str, lang: str, usage: dict[str, dict[str, int]],
                 at: dt.datetime, attempt: str = "") -> None:
    """Append what each provider cost for one item and language in ``run``; the attempt's checkpoint goes."""
    path = usage_log_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    append_jsonl(path, _lines(run=run, attempt=attempt, slug=slug, lang=lang, usage=usage, at=at),
                 "the MT usage record")
    if attempt:
        _checkpoint_path(workspace, attempt, lang).unlink(missing_ok=True)


def usage_checkpoint(workspace: Workspace, *, run: str, slug: str, attempt: str,
                     usage_of: Callable[[str], dict[str, dict[str, int]]]) -> Callable[[str, str], None]:
    """A listener for :attr:`MTEngine.on_request`: before each request goes out, the attempt's counts so far for
    that language (``usage_of(lang)``, this one included) replace its checkpoint."""
    lock = threading.Lock()

    def sent(provider: str, lang: str) -> None:
        with lock:  # one snapshot written at a time, so an older one never replaces a newer
            lines = _lines(run=run, attempt=attempt, slug=slug, lang=lang, usage=usage_of(lang),
                           at=dt.datetime.now(dt.UTC))
            atomic_write_text(_checkpoint_path(workspace, attempt, lang), json.dumps(lines, ensure_ascii=False))

    return sent


def _checkpoints(workspace: Workspace) -> list[dict]:
    """The lines of attempts that never wrote their drafts (killed, or still running)."""
    found: list[dict] = []
    for path in sorted((workspace.state_dir / IN_FLIGHT).glob("*.json")):
        try:
            lines = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # removed meanwhile (its drafts were written), or not ours
        if isinstance(lines, list):
            found.extend(line for line in lines if isinstance(line, dict))
    return found


@dataclass
class UsageSummary:
    """Usage per (provider, language) over the runs read, and how many runs that was."""

    totals: dict[tuple[str, str], Usage] = field(default_factory=dict)
    runs: set[str] = field(default_factory=set)

    def rows(self) -> list[dict[str, object]]:
        return [{"provider": provider, "lang": lang, **usage.as_dict()}
                for (provider, lang), usage in sorted(self.totals.items())]


def summarise_usage(workspace: Workspace, since: dt.date | None = None) -> UsageSummary:
    """Totals per provider and language of the runs recorded on or after ``since`` (UTC dates)."""
    latest: dict[tuple[str, str, str, str, str], dict] = {}
    for line in [*_checkpoints(workspace), *read_jsonl(usage_log_path(workspace))]:  # the record supersedes
        try:
            day = dt.datetime.fromisoformat(str(line["at"])).astimezone(dt.UTC).date()
            key = (str(line["run"]), str(line.get("attempt", "")), str(line["item"]), str(line["lang"]),
                   str(line["provider"]))
        except (KeyError, ValueError, TypeError):
            continue  # a line this version does not understand is not counted, never fatal
        if since is None or day >= since:
            latest[key] = line
    summary = UsageSummary()
    for (run, _attempt, _item, lang, provider), line in latest.items():
        counts = Usage(**{name: int(line.get(name) or 0) for name in COUNTS})
        summary.totals.setdefault((provider, lang), Usage()).add(counts)
        summary.runs.add(run)
    return summary
