"""Review decisions in the domain, without Prefect: requests recorded first, taken by the item's run, checked
against the catalog, published or failed, each sender told their own outcome; what status shows."""

from __future__ import annotations

import datetime as dt
import threading

import polib
import pytest

from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.errors import InputError
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.review import events as review_log
from tarjama.review.decisions import (
    ApprovalRefused,
    NotWaiting,
    claim_item,
    open_review,
    publish_if_missing,
    record_timeout,
    republish,
    take_pending,
)
from tarjama.review.events import Channel, Outcome, Published, PublishFailed
from tarjama.review.report import DecisionReport, ExitStatus, Verdict
from tarjama.review.state import ReviewState, item_review, request_result, waiting_in_run
from tarjama.status import collect_status
from tests.conftest import settings_for
from tests.support.review import ask, clear_fuzzy, precheck

SLUG = "000_220f3de444a27c17"


@pytest.fixture
def drafted(workspace, sample, libre):
    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr", "en"], MTEngine(settings_for(libre)))
    return workspace


def in_review(ws, run_id: str = "run-1", langs=("fr", "en"), timeout=dt.timedelta(days=7)):
    claim_item(ws, SLUG, run_id, "digest", list(langs), ["libre"])
    return open_review(ws, SLUG, run_id, list(langs), timeout)


def report(ws, request_id: str) -> DecisionReport:
    result = request_result(review_log.read(ws, SLUG), request_id)
    return DecisionReport(result.request, result)


def test_requests_are_checked_against_the_catalog_and_each_gets_its_own_outcome(drafted) -> None:
    ws = drafted
    opened = in_review(ws)
    assert in_review(ws).deadline == opened.deadline  # the same run replaying gets the same deadline
    early = ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)
    changes = ask(ws, SLUG, "en", "request_changes", "John", "noms propres", channel=Channel.DESK)
    assert waiting_in_run(review_log.read(ws, SLUG), "run-1")[1] == ["fr", "en"]  # recorded, not yet taken
    taken = take_pending(Context.load(ws), SLUG, "run-1")
    assert [(m.request, m.outcome) for m in taken.decided] == [(early.request, Outcome.REFUSED),
                                                                 (changes.request, Outcome.CHANGES_REQUESTED)]
    assert report(ws, early.request).verdict is Verdict.REFUSED and "p1.s1: not reviewed (fuzzy)" in report(
        ws, early.request).blockers
    assert report(ws, changes.request).summary(SLUG) == "en: changes requested by John (noms propres)"

    clear_fuzzy(ws, SLUG, "fr")
    approval = ask(ws, SLUG, "fr", "approve", "Amina", "vu", channel=Channel.DESK)
    take_pending(Context.load(ws), SLUG, "run-1")
    done = report(ws, approval.request)
    assert done.verdict is Verdict.PUBLISHED and done.exit_status is ExitStatus.OK
    assert done.published_paths(ws) == [f"content/published/{lang}/{SLUG}.{ext}" for lang in ("fr", "ar")
                                        for ext in ("html", "md", "json")]
    header = polib.pofile(str(ws.catalog_path(SLUG, "fr"))).metadata
    assert (header["X-Tarjama-Approved-By"], header["X-Tarjama-Review-Note"]) == ("Amina", "vu")
    assert waiting_in_run(review_log.read(ws, SLUG), "run-1")[1] == ["en"]
    states = item_review(ws, SLUG).langs
    assert states["fr"].state is ReviewState.PUBLISHED and states["fr"].reviewer == "Amina"
    assert states["en"].state is ReviewState.CHANGES_REQUESTED

    late = ask(ws, SLUG, "fr", "approve", "Someone", channel=Channel.PREFECT_UI)  # fr waits no more
    take_pending(Context.load(ws), SLUG, "run-1")
    assert report(ws, late.request).verdict is Verdict.IGNORED
    assert take_pending(Context.load(ws), SLUG, "run-1").decided == []  # every request is taken once


def test_many_reviewers_at_once_lose_nothing_and_read_their_own_outcomes(drafted) -> None:
    ws = drafted
    in_review(ws)
    clear_fuzzy(ws, SLUG, "fr")
    ids: dict[str, str] = {}
    barrier = threading.Barrier(12)

    def decide(n: int) -> None:
        barrier.wait()
        lang, choice = ("fr", "approve") if n == 0 else (("fr", "en")[n % 2], "request_changes")
        ids[f"r{n}"] = ask(ws, SLUG, lang, choice, f"r{n}", f"note {n}", channel=Channel.DESK).request

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    take_pending(Context.load(ws), SLUG, "run-1")
    for name, request_id in ids.items():
        result = report(ws, request_id)
        assert result.request.reviewer == name and result.verdict is not Verdict.IN_PROGRESS
    assert report(ws, ids["r0"]).verdict is Verdict.PUBLISHED


def test_a_failed_publication_is_recorded_never_reported_as_published_and_can_be_redone(drafted, monkeypatch) -> None:
    ws = drafted
    in_review(ws)
    clear_fuzzy(ws, SLUG, "fr")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("tarjama.publish.site.publish_item", broken)
    request = ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)
    take_pending(Context.load(ws), SLUG, "run-1")
    failed = report(ws, request.request)
    assert failed.verdict is Verdict.PUBLISH_FAILED and failed.exit_status is ExitStatus.FAILED
    assert failed.published_paths(ws) == [] and not (ws.published / "fr").exists()
    assert "publication failed: OSError: disk full" in failed.summary(SLUG)
    assert f"tarjama publish {SLUG} --lang fr" in failed.summary(SLUG)
    fr = {r.lang: r for r in collect_status(ws)}["fr"]
    assert fr.review_state == "publication failed" and "disk full" in fr.review

    monkeypatch.undo()  # the cause is fixed
    event = republish(Context.load(ws), SLUG, "fr")
    assert isinstance(event, Published) and all((ws.root / p).is_file() for p in event.paths)
    assert {r.lang: r for r in collect_status(ws)}["fr"].review_state == "published"
    with pytest.raises(InputError, match="not approved"):
        republish(Context.load(ws), SLUG, "en")


def test_an_unchanged_approved_language_needs_no_new_decision(drafted) -> None:
    ws = drafted
    in_review(ws)
    clear_fuzzy(ws, SLUG, "fr")
    ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)
    take_pending(Context.load(ws), SLUG, "run-1")
    again = in_review(ws, "run-2")  # the item is run again and nothing changed in fr
    assert again.langs == ["en"] and again.already_approved == ["fr"]
    assert publish_if_missing(Context.load(ws), SLUG, "fr", "run-2") is None  # published already: nothing to do
    (ws.published / "fr" / f"{SLUG}.html").unlink()
    assert isinstance(publish_if_missing(Context.load(ws), SLUG, "fr", "run-2"), Published)

    def edit(po):
        po[0].msgstr = "Une correction après approbation."
    clear_fuzzy(ws, SLUG, "fr", edit)  # changed since its approval: a new run asks again
    assert in_review(ws, "run-3").langs == ["fr", "en"]


def test_a_superseded_runs_timeout_never_shows_over_the_newer_outcome(drafted) -> None:
    ws = drafted
    in_review(ws, "old-run")
    in_review(ws, "new-run")
    clear_fuzzy(ws, SLUG, "fr")
    ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.DESK)
    take_pending(Context.load(ws), SLUG, "new-run")
    late = ask(ws, SLUG, "en", "approve", "John", channel=Channel.CLI)
    assert take_pending(Context.load(ws), SLUG, "old-run").decided == []  # a superseded run takes no request
    assert request_result(review_log.read(ws, SLUG), late.request).decision is None
    record_timeout(ws, SLUG, "old-run", ["fr", "en"])  # the old run's deadline passes a week later
    review = item_review(ws, SLUG)
    assert review.current_run == "new-run" and "old-run" in review.superseded
    assert review.langs["fr"].state is ReviewState.PUBLISHED and review.langs["en"].state is ReviewState.WAITING


def test_overdue_reviews_show_in_status(drafted) -> None:
    claim_item(drafted, SLUG, "old", "digest", ["en"], ["libre"])
    open_review(drafted, SLUG, "old", ["en"], dt.timedelta(hours=1), now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    en = item_review(drafted, SLUG).langs["en"]
    assert en.overdue and en.describe(SLUG).endswith("(overdue)")


def test_precheck_refuses_what_the_run_would(drafted) -> None:
    with pytest.raises(NotWaiting, match="no run is waiting for review"):
        precheck(drafted, SLUG, "fr", "approve", "Amina")
    in_review(drafted)
    with pytest.raises(ApprovalRefused) as info:
        precheck(drafted, SLUG, "fr", "approve", "Amina")
    assert info.value.blockers[0] == "p1.s1: not reviewed (fuzzy)"
    precheck(drafted, SLUG, "fr", "request_changes", "Amina")  # always allowed while waiting
    with pytest.raises(InputError, match="reviewer's name"):
        precheck(drafted, SLUG, "fr", "approve", "  ")
    with pytest.raises(InputError, match="decision must be one of"):
        precheck(drafted, SLUG, "fr", "publish", "Amina")
    with pytest.raises(InputError, match="no catalog"):
        precheck(drafted, SLUG, "de", "approve", "Amina")
    assert not any(isinstance(e, PublishFailed) for e in review_log.read(drafted, SLUG))


def _ednote(ws, lang: str) -> str:
    import json

    return json.loads((ws.root / "content" / "published" / lang / f"{SLUG}.json").read_text(encoding="utf-8"))["ednote"]


def test_each_approval_records_its_channel_where_people_read_it(drafted) -> None:
    ws = drafted
    in_review(ws)
    clear_fuzzy(ws, SLUG, "fr")
    clear_fuzzy(ws, SLUG, "en")
    ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)
    ask(ws, SLUG, "en", "approve", "John", channel=Channel.DESK)
    assert [m.outcome for m in take_pending(Context.load(ws), SLUG, "run-1").decided] == [Outcome.APPROVED] * 2
    assert polib.pofile(str(ws.catalog_path(SLUG, "fr"))).metadata["X-Tarjama-Approved-Via"] == "cli"
    rows = {r.lang: r for r in collect_status(ws)}
    assert (rows["fr"].channel, rows["en"].channel) == ("cli", "desk")
    assert "approved by Amina (cli, not verified)" in rows["fr"].review
    assert "approved by John (desk)" in rows["en"].review
    assert _ednote(ws, "fr").endswith("(name given through the CLI, not verified).")
    assert _ednote(ws, "en").endswith("(authenticated in the review desk).")
    front = (ws.root / "content" / "published" / "en" / f"{SLUG}.md").read_text(encoding="utf-8")
    assert "reviewed_via: desk" in front


def test_require_authenticated_refuses_approvals_that_name_an_unverified_reviewer(drafted) -> None:
    ws = drafted
    ws.config_file.write_text("[review]\nrequire_authenticated = true\n", encoding="utf-8")
    in_review(ws)
    clear_fuzzy(ws, SLUG, "fr")
    with pytest.raises(ApprovalRefused, match=r"only from reviewers logged in to the review desk"):
        precheck(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)
    precheck(ws, SLUG, "fr", "request_changes", "Amina", channel=Channel.CLI)  # asking for changes is fine
    precheck(ws, SLUG, "fr", "approve", "Amina", channel=Channel.DESK)
    # the run applies the rule itself, whatever wrote the request (a UI Resume is recorded by the run)
    typed = ask(ws, SLUG, "fr", "approve", "Anyone", channel=Channel.PREFECT_UI)
    cli = ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)
    desk = ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.DESK)
    outcomes = {m.request: m for m in take_pending(Context.load(ws), SLUG, "run-1").decided}
    assert outcomes[typed.request].outcome is Outcome.REFUSED
    assert "review.require_authenticated" in outcomes[typed.request].blockers[0]
    assert outcomes[cli.request].outcome is Outcome.REFUSED
    assert outcomes[desk.request].outcome is Outcome.APPROVED
    assert report(ws, cli.request).verdict is Verdict.REFUSED
    assert polib.pofile(str(ws.catalog_path(SLUG, "fr"))).metadata["X-Tarjama-Approved-Via"] == "desk"
    assert item_review(ws, SLUG).langs["fr"].state is ReviewState.PUBLISHED
