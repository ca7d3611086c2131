"""How much the machine drafts needed fixing: chrF and TER (sacrebleu) between draft and approved text.

On each approval, every reviewed segment that had a machine (or memory) draft
is recorded with its provider, draft and approved text in
``.tarjama/post-edit.jsonl``; `tarjama report` computes corpus chrF and TER
and the share of segments left unchanged per provider and language over the
approvals asked for. Storing the pairs (not per-approval scores) keeps the
aggregate a true corpus score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import polib

from tarjama.fsio import append_jsonl, read_jsonl
from tarjama.machine_drafts import read_machine_drafts
from tarjama.workspace import Workspace

POST_EDIT_LOG = "post-edit.jsonl"


@dataclass(frozen=True)
class Scores:
    """Post-edit figures of one provider in one language."""

    provider: str
    lang: str
    segments: int
    unchanged: float  # share of segments approved exactly as drafted
    chrf: float  # 100: the draft was kept as is
    ter: float  # edits per reference word, in percent: 0 means no edit

    def as_dict(self) -> dict:
        return asdict(self)


def pairs(po: polib.POFile, drafts: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(provider, draft, approved text) for each reviewed segment that had a recorded draft."""
    found = []
    for entry in po:
        draft = drafts.get(entry.msgid)
        if entry.obsolete or not entry.msgstr or "fuzzy" in entry.flags or not draft or not draft.get("text"):
            continue
        found.append((str(draft.get("provider") or "?"), str(draft["text"]), entry.msgstr))
    return found


ACCEPTED_IN_BULK = "low-risk accepted by "  # the translator comment of a by-exception acceptance


def record_approval(workspace: Workspace, slug: str, lang: str, po: polib.POFile, request: str) -> list[Scores]:
    """Record the draft/approved pairs of an approval; its scores per provider (for the run's artifact). Each pair
    keeps the risk band its draft had and whether it was accepted with the low-risk ones rather than read."""
    drafts = read_machine_drafts(workspace.catalog_path(slug, lang))
    found = pairs(po, drafts)
    bulk = {e.msgstr for e in po if not e.obsolete and ACCEPTED_IN_BULK in (e.tcomment or "")}
    bands = {str(d.get("text")): (d.get("risk") or {}).get("band") for d in drafts.values()}
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path = workspace.state_dir / POST_EDIT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    append_jsonl(path, [{"at": at, "item": slug, "lang": lang, "request": request, "provider": p, "draft": d,
                         "approved": a, "band": bands.get(d), "accepted_in_bulk": a in bulk and a == d}
                        for p, d, a in found], "the post-edit record")
    return score(lang, found)


def score(lang: str, found: Iterable[tuple[str, str, str]]) -> list[Scores]:
    from sacrebleu.metrics import CHRF, TER

    by_provider: dict[str, list[tuple[str, str]]] = {}
    for provider, draft, approved in found:
        by_provider.setdefault(provider, []).append((draft, approved))
    out = []
    for provider, items in sorted(by_provider.items()):
        drafts, refs = [d for d, _ in items], [a for _, a in items]
        out.append(Scores(provider, lang, len(items), round(sum(d == a for d, a in items) / len(items), 3),
                          round(CHRF().corpus_score(drafts, [refs]).score, 1),
                          round(TER().corpus_score(drafts, [refs]).score, 1)))
    return out


def report(workspace: Workspace, since: dt.date | None = None) -> list[Scores]:
    """Scores per provider and language over the approvals recorded on or after ``since``; an approval
    recorded twice (a replayed run) counts once."""
    latest: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
    for line in _lines(workspace, since):
        try:
            key = (str(line["item"]), str(line["lang"]), str(line["request"]))
            pair = (str(line["provider"]), str(line["draft"]), str(line["approved"]))
        except KeyError:
            continue
        latest.setdefault(key, [])
        if pair not in latest[key]:
            latest[key].append(pair)
    by_lang: dict[str, list[tuple[str, str, str]]] = {}
    for (_item, lang, _request), found in latest.items():
        by_lang.setdefault(lang, []).extend(found)
    return [s for lang, found in sorted(by_lang.items()) for s in score(lang, found)]


def _lines(workspace: Workspace, since: dt.date | None) -> list[dict]:
    """The post-edit record's lines on or after ``since`` (a line it cannot read is skipped)."""
    kept = []
    for line in read_jsonl(workspace.state_dir / POST_EDIT_LOG):
        try:
            day = dt.datetime.fromisoformat(str(line["at"])).date()
        except (KeyError, ValueError):
            continue
        if since is None or day >= since:
            kept.append(line)
    return kept


@dataclass(frozen=True)
class RiskScores:
    """Whether a band deserves its name: of the segments drafted in ``band`` that a reviewer read one by one,
    the share they changed and the mean chrF of the draft against what they approved."""

    provider: str
    lang: str
    band: str
    segments: int  # reviewed one by one
    changed: float
    mean_chrf: float
    accepted_in_bulk: int  # accepted with the low-risk ones, not read one by one: not in the figures

    def as_dict(self) -> dict:
        return asdict(self)


BAND_ORDER = {"high": 0, "medium": 1, "low": 2}


def risk_report(workspace: Workspace, since: dt.date | None = None) -> list[RiskScores]:
    """Post-edit figures per provider, language and risk band over the approvals since ``since`` (pairs recorded
    before drafts carried a band are left out; an approval recorded twice counts once)."""
    from sacrebleu.metrics import CHRF

    seen: set[tuple] = set()
    groups: dict[tuple[str, str, str], list[tuple[str, str, bool]]] = {}
    for line in _lines(workspace, since):
        band = line.get("band")
        key = (line.get("item"), line.get("lang"), line.get("request"), line.get("draft"), line.get("approved"))
        if band not in BAND_ORDER or key in seen:
            continue
        seen.add(key)
        groups.setdefault((str(line.get("provider")), str(line.get("lang")), band), []).append(
            (str(line.get("draft")), str(line.get("approved")), bool(line.get("accepted_in_bulk"))))
    chrf = CHRF()
    rows = []
    for (provider, lang, band), items in groups.items():
        read = [(d, a) for d, a, bulk in items if not bulk]
        rows.append(RiskScores(provider, lang, band, len(read),
                               round(sum(d != a for d, a in read) / len(read), 3) if read else 0.0,
                               round(sum(chrf.sentence_score(d, [a]).score for d, a in read) / len(read), 1)
                               if read else 0.0,
                               len(items) - len(read)))
    return sorted(rows, key=lambda r: (r.provider, r.lang, BAND_ORDER[r.band]))
