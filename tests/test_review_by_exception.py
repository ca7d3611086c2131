"""Review by exception: every drafted segment gets a risk band and its reasons (catalog, check --json, desk, Resume
description), a reviewer may accept the low-risk ones together where the newsroom chose it (recorded in the review
log and the catalog), four-eyes items need two different reviewers, reminders go out once, and `report --risk` says
whether "low" deserved its name."""

from __future__ import annotations

import datetime as dt
import json
import re

import polib
import pytest
from fastapi.testclient import TestClient

from cli.main import app as cli_app
from tarjama.context import Context
from tarjama.desk.app import create_app
from tarjama.desk.reviewers import save_reviewer
from tarjama.drafting import draft_item
from tarjama.editing import read_audit
from tarjama.errors import InputError
from tarjama.ingest import load_item
from tarjama.machine_drafts import read_machine_drafts
from tarjama.post_edit import risk_report
from tarjama.review import events as review_log
from tarjama.review.decisions import ApprovalRefused, take_pending
from tarjama.review.events import Channel, LowRiskAccepted, Outcome, ReminderSent
from tarjama.review.low_risk import accept_low_risk
from tarjama.review.reminders import record_reminder, reminder_due
from tarjama.review.report import DecisionReport, Verdict
from tarjama.review.state import ReviewState, item_review, request_result
from tarjama.settings import load_settings
from tarjama.workspace import Workspace
from tests.support.review import InProcessChannel, ask, clear_fuzzy, precheck
from tests.support.risk_item import ANSWERS, PASSWORD, S1, SLUG, drafted, set_policy, write_item


def test_every_drafted_segment_has_a_band_and_reasons_in_the_catalog_the_record_and_check_json(workspace, engine):
    results = drafted(workspace, engine)
    assert results["fr"].risk == {"high": 1, "medium": 0, "low": 3} and results["en"].risk == {"high": 0, "medium": 0,
                                                                                               "low": 4}
    fr = polib.pofile(str(workspace.catalog_path(SLUG, "fr")))
    notes = {e.msgctxt: [line for line in e.comment.splitlines() if line.startswith("risk: ")] for e in fr}
    assert notes["p1.s1"] == ["risk: high (negation)"] and notes["p2.s1"] == ["risk: low"]
    assert all(len(lines) == 1 for lines in notes.values())  # one risk line per entry, in every entry
    assert "#. risk: high (negation)\n" in workspace.catalog_path(SLUG, "fr").read_text(encoding="utf-8")
    record = read_machine_drafts(workspace.catalog_path(SLUG, "fr"))
    assert record[S1]["risk"]["band"] == "high" and record[S1]["risk"]["reasons"][0]["signal"] == "negation"

    # a re-run leaves a reviewed entry as its reviewer saved it and writes no second risk line
    clear_fuzzy(workspace, SLUG, "en")
    before = workspace.catalog_path(SLUG, "en").read_bytes()
    draft_item(Context.load(workspace), load_item(workspace.inbox / f"{SLUG}.md", workspace), ["fr", "en"], engine,
               run_id="run-2")
    assert workspace.catalog_path(SLUG, "en").read_bytes() == before

    out = CliRunnerResult.run("check", SLUG, "--json", workspace=workspace)
    data = json.loads(out.stdout)
    assert data["risk"]["fr"]["p1.s1"]["band"] == "high" and data["risk"]["fr"]["p1.s1"]["reasons"][0]["text"] == "negation"
    assert data["unreviewed_bands"] == {"fr": {"high": 1, "medium": 0, "low": 3}, "en": {"high": 0, "medium": 0, "low": 0}}
    text = CliRunnerResult.run("check", SLUG, workspace=workspace).stdout
    assert "fr p1.s1 risk high (negation)" in text and "fr: 4 unreviewed segment(s): 1 high, 0 medium, 3 low" in text


class CliRunnerResult:
    """The tarjama command in this process (its refusals are one line, never a traceback)."""

    @staticmethod
    def run(*args: str, workspace: Workspace):
        from typer.testing import CliRunner

        result = CliRunner().invoke(cli_app, [*args, "--workspace", str(workspace.root)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result


def test_low_risk_segments_are_accepted_together_only_by_exception_policy_and_recorded(workspace, engine):
    drafted(workspace, engine)
    refused = CliRunnerResult.run("accept-low-risk", SLUG, "--lang", "fr", "--reviewer", "Amina", workspace=workspace)
    assert refused.exit_code == 2 and 'review.policy = "every-segment"' in refused.stderr
    assert refused.stderr.count("\n") == 1 and polib.pofile(str(workspace.catalog_path(SLUG, "fr"))).fuzzy_entries()

    set_policy(workspace, 'policy = "by-exception"')
    ctx = Context.load(workspace)
    with pytest.raises(InputError, match=r"p1\.s1 changed since the page was loaded"):
        accept_low_risk(ctx, SLUG, "fr", "Amina", Channel.DESK, expected=["p1.s1", "p2.s1"])  # p1.s1 is high
    done = CliRunnerResult.run("accept-low-risk", SLUG, "--lang", "fr", "--reviewer", "Amina", workspace=workspace)
    assert done.exit_code == 0, done.stderr
    assert "accepted the 3 low-risk segment(s) (headline, p2.s1, p3.s1)" in done.stdout
    fr = {e.msgctxt: e for e in polib.pofile(str(workspace.catalog_path(SLUG, "fr")))}
    assert fr["p1.s1"].fuzzy and not any(fr[s].fuzzy for s in ("headline", "p2.s1", "p3.s1"))  # never the high one
    assert re.fullmatch(r"low-risk accepted by Amina \d{4}-\d\d-\d\d \d\d:\d\d UTC", fr["p2.s1"].tcomment)
    event = next(e for e in review_log.read(workspace, SLUG) if isinstance(e, LowRiskAccepted))
    assert (event.reviewer, event.channel, event.policy, event.lang) == ("Amina", Channel.CLI, "by-exception", "fr")
    assert [s["id"] for s in event.segments] == ["headline", "p2.s1", "p3.s1"]
    assert all(s["band"] == "low" for s in event.segments)
    audit = read_audit(workspace, SLUG, "fr")
    assert {a["segment"] for a in audit} == {"headline", "p2.s1", "p3.s1"} and audit[0]["risk"].startswith("low")

    again = accept_low_risk(Context.load(workspace), SLUG, "fr", "Amina", Channel.CLI)  # nothing left to accept
    assert again.segments == [] and "no unreviewed low-risk segment" in again.summary(SLUG, "fr")


def test_a_four_eyes_item_needs_two_different_reviewers_and_credits_both(workspace, engine):
    drafted(workspace, engine, review="four-eyes")
    clear_fuzzy(workspace, SLUG, "fr", edit=lambda po: setattr(po.find("p1.s1", "msgctxt"), "msgstr", ANSWERS[
        (S1, "fr")].replace("signerait", "ne signerait pas")))
    ctx = Context.load(workspace)

    def decide(reviewer: str) -> DecisionReport:
        asked = ask(workspace, SLUG, "fr", "approve", reviewer, channel=Channel.DESK)
        take_pending(Context.load(workspace), SLUG, "run-1")
        return DecisionReport(asked, request_result(review_log.read(workspace, SLUG), asked.request))

    first = decide("Amina")
    assert first.verdict is Verdict.FIRST_APPROVAL and first.exit_status == 0
    assert "a second, different reviewer's approval" in first.summary(SLUG)
    state = item_review(workspace, SLUG).langs["fr"]
    assert state.state is ReviewState.WAITING and "approved by Amina, a second reviewer must approve" in state.describe()
    assert not (workspace.published / "fr" / f"{SLUG}.html").exists()
    with pytest.raises(ApprovalRefused, match="Amina approved first"):  # said before anything is recorded
        precheck(workspace, SLUG, "fr", "approve", "AMINA")
    same = decide("amina ")  # and refused by the run, should a request get there
    assert same.verdict is Verdict.REFUSED and "two different reviewers (four-eyes): Amina approved first" in same.summary(SLUG)
    second = decide("Karim")
    assert second.verdict is Verdict.PUBLISHED
    page = (workspace.published / "fr" / f"{SLUG}.html").read_text(encoding="utf-8")
    assert "relu par Amina et Karim" in page
    ninjs = json.loads((workspace.published / "fr" / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in ninjs["infosources"] if s["role"] == "reviewer"] == ["Amina", "Karim"]
    assert ctx.settings.review.four_eyes_sections == []


def test_a_four_eyes_first_approval_does_not_survive_a_change_of_the_catalog(workspace, engine):
    drafted(workspace, engine, review="four-eyes")
    clear_fuzzy(workspace, SLUG, "en")
    asked = ask(workspace, SLUG, "en", "approve", "John")
    take_pending(Context.load(workspace), SLUG, "run-1")
    clear_fuzzy(workspace, SLUG, "en", edit=lambda po: setattr(po.find("p3.s1", "msgctxt"), "msgstr",
                                                                  "He said the next meeting would be in the capital."))
    later = ask(workspace, SLUG, "en", "approve", "Karim")
    take_pending(Context.load(workspace), SLUG, "run-1")
    outcomes = {e.request: e.outcome for e in review_log.read(workspace, SLUG) if hasattr(e, "outcome")}
    assert outcomes[asked.request] is Outcome.FIRST_APPROVAL and outcomes[later.request] is Outcome.FIRST_APPROVAL
    assert item_review(workspace, SLUG).langs["en"].first_approval == "Karim"


def test_a_front_matter_review_policy_other_than_the_known_ones_is_one_clear_line(workspace):
    write_item(workspace, review="three-eyes")
    with pytest.raises(InputError, match=r"accord.md: front matter field 'review' is 'three-eyes'; write one of "
                                         r"standard, four-eyes"):
        load_item(workspace.inbox / f"{SLUG}.md", workspace)


def test_a_reminder_is_due_once_at_its_point_before_the_deadline(workspace):
    set_policy(workspace, "remind_before_minutes = 30")
    settings = load_settings(workspace.config_file)
    deadline = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    due = lambda events, now, waiting=("fr",): reminder_due(events, "run-1", deadline, list(waiting), settings, now)  # noqa: E731
    assert not due([], deadline - dt.timedelta(minutes=31))
    assert due([], deadline - dt.timedelta(minutes=29))
    assert not due([], deadline - dt.timedelta(minutes=29), waiting=())  # nothing waits: nobody to remind
    assert not due([], deadline)  # past the deadline it is overdue, not a reminder
    record_reminder(workspace, SLUG, "run-1", ["fr"], deadline)
    events = review_log.read(workspace, SLUG)
    assert isinstance(events[-1], ReminderSent) and not due(events, deadline - dt.timedelta(minutes=10))
    assert due([*events[:-1], ReminderSent(run_id="run-0", langs=["fr"], deadline=deadline)],
               deadline - dt.timedelta(minutes=10))  # another run's reminder is not this one's
    set_policy(workspace, "remind_before_minutes = 0")
    assert not reminder_due([], "run-1", deadline, ["fr"], load_settings(workspace.config_file),
                            deadline - dt.timedelta(minutes=1))


def test_report_risk_says_per_band_what_reviewers_changed_and_leaves_bulk_acceptances_out(workspace, engine):
    drafted(workspace, engine)
    set_policy(workspace, 'policy = "by-exception"')
    accept_low_risk(Context.load(workspace), SLUG, "fr", "Amina", Channel.CLI)
    clear_fuzzy(workspace, SLUG, "fr", edit=lambda po: setattr(po.find("p1.s1", "msgctxt"), "msgstr", ANSWERS[
        (S1, "fr")].replace("signerait", "ne signerait pas")))
    channel = InProcessChannel("run-1")
    from tarjama.review.request import DecisionRequest

    report = channel.decide(Context.load(workspace), DecisionRequest.make(SLUG, "fr", "approve", "Amina", "",
                                                                           channel=Channel.DESK))
    assert report.verdict is Verdict.PUBLISHED
    rows = {(r.lang, r.band): r for r in risk_report(workspace)}
    assert rows[("fr", "high")].segments == 1 and rows[("fr", "high")].changed == 1.0
    assert rows[("fr", "high")].mean_chrf < 100
    assert rows[("fr", "low")].segments == 0 and rows[("fr", "low")].accepted_in_bulk == 3
    shown = CliRunnerResult.run("report", "--risk", workspace=workspace).stdout
    assert re.search(r"libre\s+fr\s+high\s+1\s+100%", shown) and "in bulk" in shown


def _login(app, name: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = lambda html: re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # noqa: E731
    page = client.get("/login")
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token(page.text)}, follow_redirects=False)
    return client, token(client.get("/").text)


def test_the_desk_shows_bands_filters_and_sorts_by_them_and_accepts_the_low_ones_in_one_action(workspace, engine):
    drafted(workspace, engine)
    reviewers = workspace.root / "reviewers.toml"
    save_reviewer(reviewers, "Amina", ["fr"], PASSWORD)
    app = create_app(workspace, reviewers, InProcessChannel("run-1"))
    client, csrf = _login(app, "Amina")
    queue = client.get("/").text
    assert re.search(r'band-high">1 high</span>\s*<span class="risk band-medium">0 medium</span>\s*'
                     r'<span class="risk band-low">3 low</span>', queue)

    page = client.get(f"/review/{SLUG}/fr").text
    assert 'data-segment="p1.s1" data-findings="0" data-risk="high"' in page and "risk high</span>" in page
    assert "accept-low-risk" not in page  # every-segment policy: no bulk acceptance offered
    ordered = client.get(f"/review/{SLUG}/fr?order=risk").text
    assert re.findall(r'data-segment="([^"]+)"', ordered)[0] == "p1.s1"
    only_high = client.get(f"/review/{SLUG}/fr?band=high").text
    assert re.findall(r'data-segment="([^"]+)"', only_high) == ["p1.s1"]

    set_policy(workspace, 'policy = "by-exception"')
    page = client.get(f"/review/{SLUG}/fr").text
    assert "Accept the 3 low-risk segments" in page
    shown = re.search(r'name="segments" value="([^"]+)"', page).group(1)
    refused = client.post(f"/review/{SLUG}/fr/accept-low-risk", data={"segments": shown})
    assert refused.status_code == 403  # no CSRF token, nothing accepted
    done = client.post(f"/review/{SLUG}/fr/accept-low-risk", data={"segments": shown, "csrf": csrf})
    assert done.status_code == 200 and "accepted the 3 low-risk segment(s)" in done.text
    again = client.post(f"/review/{SLUG}/fr/accept-low-risk", data={"segments": shown, "csrf": csrf})
    assert again.status_code == 409 and "changed since the page was loaded" in again.text
    event = next(e for e in review_log.read(workspace, SLUG) if isinstance(e, LowRiskAccepted))
    assert event.channel is Channel.DESK and event.reviewer == "Amina"
    assert "Accept the" not in client.get(f"/review/{SLUG}/fr").text  # nothing low is left unreviewed
