"""What MT cost, run by run: the record behind ``tarjama usage`` (``.tarjama/usage.jsonl``).

One line per run, item, language and provider, appended when the run writes
its drafts: requests, characters (billed where the provider reports them),
prompt and completion tokens, failed requests, segments drafted. A run that
writes again (a retried task) replaces its own lines when read: the key is
(run, item, language, provider).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from tarjama.fsio import append_jsonl, read_jsonl
from tarjama.mt.sources import Usage
from tarjama.workspace import Workspace

USAGE_LOG = "usage.jsonl"
COUNTS = tuple(Usage.__dataclass_fields__)


def usage_log_path(workspace: Workspace) -> Path:
    return workspace.state_dir / USAGE_LOG


def record_usage(workspace: Workspace, *, run: str, slug: str, lang: str, usage: dict[str, dict[str, int]],
                 at: dt.datetime) -> None:
    """Append what each provider cost for one item and language in ``run``."""
    path = usage_log_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [{"at": at.isoformat(timespec="seconds"), "run": run, "item": slug, "lang": lang, "provider": provider,
              **{name: int(counts.get(name, 0)) for name in COUNTS}}
             for provider, counts in sorted(usage.items())]
    append_jsonl(path, lines, "the MT usage record")


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
    latest: dict[tuple[str, str, str, str], dict] = {}
    for line in read_jsonl(usage_log_path(workspace)):
        try:
            day = dt.datetime.fromisoformat(str(line["at"])).astimezone(dt.UTC).date()
            key = (str(line["run"]), str(line["item"]), str(line["lang"]), str(line["provider"]))
        except (KeyError, ValueError, TypeError):
            continue  # a line this version does not understand is not counted, never fatal
        if since is None or day >= since:
            latest[key] = line
    summary = UsageSummary()
    for (run, _item, lang, provider), line in latest.items():
        counts = Usage(**{name: int(line.get(name) or 0) for name in COUNTS})
        summary.totals.setdefault((provider, lang), Usage()).add(counts)
        summary.runs.add(run)
    return summary
