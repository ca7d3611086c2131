"""Review by exception: a reviewer accepts the low-risk segments of a language together, in one action.

Only where the newsroom chose it (``[review] policy = "by-exception"``), only segments still unreviewed and banded
low at the moment of acceptance (checked under the catalog's lock, so a segment edited meanwhile is looked at
again), and never without a person: the reviewer's action is the decision. Each accepted segment keeps a line in
its translator comments (``low-risk accepted by Samia 2026-12-04 18:50 UTC``, shown by every PO editor), the
catalog's audit log has the change, and the review log records who, when, the policy and each segment's band and
reasons as they were. Approving the language stays a separate decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tarjama.catalog import FUZZY
from tarjama.catalog_store import Edit, update_catalog
from tarjama.channels import Channel
from tarjama.clock import now_utc
from tarjama.context import Context
from tarjama.errors import InputError
from tarjama.post_edit import ACCEPTED_IN_BULK
from tarjama.qa.risk import Band
from tarjama.review import events as review_log
from tarjama.review.events import LowRiskAccepted

BY_EXCEPTION = "by-exception"


@dataclass(frozen=True)
class Accepted:
    segments: list[str]
    event: LowRiskAccepted | None

    def summary(self, slug: str, lang: str) -> str:
        if not self.segments:
            return f"{slug} {lang}: no unreviewed low-risk segment to accept"
        return (f"{slug} {lang}: accepted the {len(self.segments)} low-risk segment(s) ({', '.join(self.segments)}); "
                "the others are reviewed one by one, then the language approved")


def low_risk_unreviewed(ctx: Context, slug: str, lang: str) -> list[str]:
    """The segments of ``lang`` a by-exception acceptance would take now."""
    risks = ctx.risks(slug, [lang], unreviewed_only=True).get(lang, {})
    return [segment for segment, risk in risks.items() if risk.band is Band.LOW]


def accept_low_risk(ctx: Context, slug: str, lang: str, reviewer: str, channel: Channel,
                    expected: Sequence[str] | None = None) -> Accepted:
    """Mark the unreviewed low-risk segments of ``lang`` reviewed, for ``reviewer``. ``expected`` is what the
    reviewer was shown (the desk): if any of them is no longer unreviewed and low, nothing is accepted and the
    refusal says to look again; without it (the CLI), the segments low now are taken and listed."""
    policy = ctx.settings.review.policy
    if policy != BY_EXCEPTION:
        raise InputError(f'this newsroom reviews every segment (review.policy = "{policy}"): set policy = '
                         f'"{BY_EXCEPTION}" under [review] in tarjama.toml to accept low-risk segments together')
    if not reviewer.strip():
        raise InputError("--reviewer: give your name; it is recorded with the segments accepted")
    path = ctx.workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"no catalog for {slug} in {lang}: see `tarjama status` for what is translated")
    now = now_utc()

    def change(edit: Edit) -> list[dict]:
        if edit.po is None:
            return []
        risks = ctx.risks(slug, [lang], replace={lang: edit.po}, unreviewed_only=True).get(lang, {})
        low = {segment: risk for segment, risk in risks.items() if risk.band is Band.LOW}
        if expected is not None:
            changed = [segment for segment in expected if segment not in low]
            if changed:
                raise InputError(f"{slug} {lang}: {', '.join(changed[:5])} changed since the page was loaded (no longer "
                                 "unreviewed and low risk); nothing was accepted: reload the page and look again")
            low = {segment: low[segment] for segment in expected}
        stamp = now.strftime("%Y-%m-%d %H:%M UTC")
        accepted = []
        for entry in edit.po:
            risk = low.get(entry.msgctxt or "")
            if entry.obsolete or risk is None:
                continue
            entry.flags = [f for f in entry.flags if f != FUZZY]
            entry.tcomment = "\n".join([*(entry.tcomment or "").splitlines(), f"{ACCEPTED_IN_BULK}{reviewer} {stamp}"])
            accepted.append({"id": entry.msgctxt, "band": risk.band.value, "reasons": [r.text for r in risk.reasons]})
            edit.audit.append({"at": now.isoformat(), "reviewer": reviewer, "segment": entry.msgctxt,
                               "before": {"fuzzy": True}, "after": {"fuzzy": False}, "policy": policy,
                               "risk": risk.summary()})
        if accepted:
            edit.po.metadata["Last-Translator"] = reviewer
            edit.po.metadata["PO-Revision-Date"] = now.strftime("%Y-%m-%d %H:%M+0000")
            edit.changed = True
        return accepted

    accepted = update_catalog(path, change)
    if not accepted:
        return Accepted([], None)
    event = LowRiskAccepted(at=now, lang=lang, reviewer=reviewer, channel=channel, policy=policy, segments=accepted)
    review_log.append(ctx.workspace, slug, event)
    return Accepted([s["id"] for s in accepted], event)
