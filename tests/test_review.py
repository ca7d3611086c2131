"""Review decisions in the domain, without Prefect: what is accepted, what is recorded, what status shows."""

from __future__ import annotations

import datetime as dt

import polib
import pytest

from tarjama.drafts import draft_item
from tarjama.errors import InputError
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.review import ApprovalRefused, decide, open_review, pending_in_run, precheck_decision, review_states
from tests.conftest import settings_for

SLUG = "000_220f3de444a27c17"


@pytest.fixture
def drafted(workspace, sample, libre):
    draft_item(workspace, load_item(sample, workspace), ["fr", "en"], MTEngine(settings_for(libre)))
    return workspace


def test_decisions_are_checked_against_the_catalog_and_recorded(drafted) -> None:
    ws = drafted
    deadline = open_review(ws, SLUG, "run-1", ["fr", "en"], dt.timedelta(days=7))
    assert open_review(ws, SLUG, "run-1", ["fr", "en"], dt.timedelta(days=1)) == deadline  # stable on replay
    refused = decide(ws, SLUG, "fr", "approve", "Amina", waiting=["fr", "en"], run_id="run-1", key="review-1")
    assert refused.outcome == "refused" and len(refused.blockers) == 4
    ignored = decide(ws, SLUG, "de", "approve", "Amina", waiting=["fr", "en"], run_id="run-1", key="review-2")
    assert ignored.outcome == "ignored" and "de is not waiting" in ignored.blockers[0]
    path = ws.catalog_path(SLUG, "fr")
    po = polib.pofile(str(path))
    for entry in po:
        entry.flags = []
    po.save(str(path))
    approved = decide(ws, SLUG, "fr", "approve", "Amina", "vu", waiting=["fr", "en"], run_id="run-1", key="review-3")
    assert approved.accepted
    header = polib.pofile(str(path)).metadata
    assert (header["X-Tarjama-Approved-By"], header["X-Tarjama-Review-Note"]) == ("Amina", "vu")
    assert pending_in_run(ws, SLUG, "run-1") == (deadline, ["en"])
    states = review_states(ws, SLUG)
    assert states["fr"].state == "approved" and states["fr"].reviewer == "Amina" and states["en"].state == "waiting"


def test_overdue_reviews_show_in_status(drafted) -> None:
    past = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    open_review(drafted, SLUG, "old-run", ["en"], dt.timedelta(hours=1), now=past)
    assert review_states(drafted, SLUG)["en"].state == "waiting (overdue)"


def test_precheck_refuses_what_the_flow_would(drafted) -> None:
    with pytest.raises(ApprovalRefused) as info:
        precheck_decision(drafted, SLUG, "fr", "approve", "Amina")
    assert info.value.blockers[0] == "p1.s1: not reviewed (fuzzy)"
    precheck_decision(drafted, SLUG, "fr", "request_changes", "Amina")  # always allowed
    with pytest.raises(InputError, match="reviewer's name"):
        precheck_decision(drafted, SLUG, "fr", "approve", "  ")
    with pytest.raises(InputError, match="decision must be one of"):
        precheck_decision(drafted, SLUG, "fr", "publish", "Amina")
    with pytest.raises(InputError, match="no catalog"):
        precheck_decision(drafted, SLUG, "de", "approve", "Amina")
