"""The whole loop through a served deployment on a real Prefect server: drafts, suspension, decisions as
durable requests, publication (and its failures), one live run per item, no MT request after a resume."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading

import polib
import pytest

from operations.run_api import LIVE, RETRIED
from tarjama.context import Context
from tarjama.review import events as review_log
from tarjama.review.events import Channel
from tarjama.review.report import Verdict
from tarjama.review.request import DecisionRequest
from tarjama.review.state import item_review
from tests.conftest import REPO, SAMPLE, make_workspace, runs_of, settle, start_run
from tests.support.review import clear_fuzzy
from tests.support.waiting import wait_for

SLUG = "000_220f3de444a27c17"


@pytest.fixture(scope="module")
def loop(served, tmp_path_factory):
    """A workspace of its own for this module's runs, and the served deployment's LibreTranslate."""
    ws = make_workspace(tmp_path_factory.mktemp("loop") / "ws", SAMPLE.name, "slow-review.txt", "race.txt",
                        "corrected.txt", "remind-me.txt")
    for n, name in enumerate(("slow-review.txt", "race.txt", "corrected.txt", "remind-me.txt"), start=1):  # texts of their own: the
        path = ws.inbox / name  # same text already in review under another name is refused (one review per text)
        path.write_text(path.read_text(encoding="utf-8") + f"\nوأضاف المتحدث أن الملف رقم {n} سيدرس قريبا.\n",
                        encoding="utf-8")
    served.reset()
    return ws, served


def start(ws, name: str, **params):
    return start_run({"request": {"item_path": str(ws.inbox / name), "targets": ["fr", "en"], "providers": ["libre"]},
                      "workspace": str(ws.root), **params}, name=name.rsplit(".", 1)[0])


def decide(ws, slug: str, lang: str, decision: str, reviewer: str, note: str = ""):
    from operations.delivery import submit_decision

    return submit_decision(Context.load(ws), DecisionRequest.make(slug, lang, decision, reviewer, note,
                                                                  channel=Channel.CLI), wait=180)


def tarjama(ws, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args, "--workspace", str(ws.root)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=REPO)


def sample_requests(libre, ws) -> list[dict]:
    """Requests for the sample's sentences (the session's inbox burst drafts other texts meanwhile)."""
    from tarjama.ingest import load_item
    from tarjama.segment import segment_item

    sentences = {segment.text for segment in segment_item(load_item(ws.inbox / SAMPLE.name, ws))}
    return [r for r in libre.requests if r.get("q") in sentences]


def test_drafts_suspend_then_decisions_publish_languages_independently(loop) -> None:
    ws, libre = loop
    created = start(ws, SAMPLE.name)
    assert created.name == SLUG  # named after its item from the moment it exists, not when it starts
    run = settle(created.id)
    assert run.state.name == "Suspended", run.state
    assert len(sample_requests(libre, ws)) == 8  # 4 segments x 2 languages, once

    refused = decide(ws, SLUG, "fr", "request_changes", "Amina", "relire le titre")
    assert refused.verdict is Verdict.CHANGES_REQUESTED and refused.request.reviewer == "Amina"
    clear_fuzzy(ws, SLUG, "fr", lambda po: setattr(po[0], "msgstr", "Texte corrigé par la traductrice le 30 janvier 2025."))
    approved = decide(ws, SLUG, "fr", "approve", "Amina", "relu")
    assert approved.verdict is Verdict.PUBLISHED, approved.summary(SLUG)
    assert approved.published_paths(ws) == [f"content/published/{lang}/{SLUG}.{ext}" for lang in ("fr", "ar")
                                            for ext in ("html", "md", "json")]
    fr_page = ws.published / "fr" / f"{SLUG}.html"
    assert "Texte corrigé par la traductrice le 30 janvier 2025." in fr_page.read_text(encoding="utf-8")
    assert not (ws.published / "en").exists()
    assert settle(run.id).state.name == "Suspended"  # English still waits

    clear_fuzzy(ws, SLUG, "en")
    done = decide(ws, SLUG, "en", "approve", "John")
    assert done.verdict is Verdict.PUBLISHED
    final = wait_for(lambda: (r := settle(run.id)).state.completed and r, 120, "the run to complete")
    assert final.state.completed, final.state
    assert 'hreflang="en"' in fr_page.read_text(encoding="utf-8")  # fr links to the new English version
    assert len(sample_requests(libre, ws)) == 8  # no MT request after any resume
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:  # how much each approval's drafts were edited, for operators
        edits = client.read_artifacts(artifact_filter=ArtifactFilter(  # this run's: other modules publish the sample too
            key=ArtifactFilterKey(any_=[f"post-edit-{SLUG.replace('_', '-')}-fr"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    assert edits and "| libre | 4 | 75% |" in edits[0].data  # one segment of four corrected

    outcomes = [(e.lang, e.outcome.value) for e in review_log.read(ws, SLUG) if isinstance(e, review_log.DecisionMade)]
    assert outcomes == [("fr", "changes-requested"), ("fr", "approved"), ("en", "approved")]


def test_two_reviewers_deciding_at_once_ten_times_lose_nothing_and_hear_their_own_outcome(loop) -> None:
    """fr and en decided in the same instant, ten rounds in a row: every request is taken once, each sender
    is told the outcome of their own request (never the other reviewer's), and the last round publishes both."""
    ws, _ = loop
    slug = "race"
    assert settle(start(ws, "race.txt").id).state.name == "Suspended"
    for round_ in range(10):
        last = round_ == 9
        if last:
            clear_fuzzy(ws, slug, "fr")
            clear_fuzzy(ws, slug, "en")
        reports: dict[str, object] = {}
        barrier = threading.Barrier(2)

        def send(lang: str, reviewer: str, round_=round_, last=last, reports=reports, barrier=barrier) -> None:
            barrier.wait()
            reports[lang] = decide(ws, slug, lang, "approve" if last else "request_changes", reviewer,
                                   f"round {round_} from {reviewer}")

        threads = [threading.Thread(target=send, args=(lang, who)) for lang, who in (("fr", "Amina"), ("en", "John"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for lang, who in (("fr", "Amina"), ("en", "John")):
            report = reports[lang]
            assert report.request.reviewer == who and report.request.lang == lang
            expected = Verdict.PUBLISHED if last else Verdict.CHANGES_REQUESTED
            assert report.verdict is expected, (round_, lang, report.summary(slug))
            if not last:
                assert report.summary(slug) == f"{lang}: changes requested by {who} (round {round_} from {who})"
    made = [e for e in review_log.read(ws, slug) if isinstance(e, review_log.DecisionMade)]
    requested = [e for e in review_log.read(ws, slug) if isinstance(e, review_log.DecisionRequested)]
    assert len(requested) == 20 and sorted(e.request for e in made) == sorted(e.request for e in requested)
    assert (ws.published / "fr" / f"{slug}.html").is_file() and (ws.published / "en" / f"{slug}.html").is_file()


def test_review_timeout_fails_the_run_naming_the_waiting_languages(loop) -> None:
    from flows.runs import read_run

    ws, _ = loop
    run = start(ws, "slow-review.txt", review_timeout_hours=3 / 3600)
    assert settle(run.id).state.name == "Suspended"
    state = wait_for(lambda: (s := read_run(run.id).state).is_failed() and s, 60, "the review to time out")
    assert "Review timed out" in state.message and "still waiting for: fr, en" in state.message
    assert item_review(ws, "slow-review").langs["fr"].state.value == "timed out"


def test_a_review_near_its_deadline_reminds_its_reviewers_once(loop) -> None:
    from tarjama.review.events import ReminderSent
    from tarjama.review.state import request_result
    from tests.support.review import ask

    ws, _ = loop
    run = start(ws, "remind-me.txt", review_timeout_hours=0.5)  # reminders come 60 min before: due at once
    assert settle(run.id).state.name == "Suspended"

    def reminders() -> list[ReminderSent]:
        return [e for e in review_log.read(ws, "remind-me") if isinstance(e, ReminderSent)]

    wait_for(reminders, 120, "the review watcher to remind the reviewers")
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:  # the Resume description carries each language's risk bands
        review = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["review-remind-me"]), flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    assert review and "| to review: high / medium / low risk |" in review[0].data
    assert re.search(r"\| fr \| 0/\d+ \| \d+ \| \d+ / \d+ / \d+ \|", review[0].data), review[0].data
    # the watcher's later rounds (one wakes the run for a request nobody delivered) do not remind again
    asked = ask(ws, "remind-me", "fr", "request_changes", "Amina", "plus tard")
    wait_for(lambda: request_result(review_log.read(ws, "remind-me"), asked.request).decision is not None, 180,
             "the watcher to wake the run for the undelivered request")
    assert [(e.run_id, e.langs) for e in reminders()] == [(run.id, ["fr", "en"])]


def test_cli_hands_items_over_decides_reports_failed_publications_and_republishes(loop, prefect_harness,
                                                                                 tmp_path) -> None:
    _, libre = loop
    ws = make_workspace(tmp_path / "cli", "cli-item.txt")  # nothing published here yet
    env = {**os.environ, "PREFECT_API_URL": prefect_harness, "TARJAMA_LIBRE_URL": libre.url}
    item = ws.inbox / "cli-item.txt"
    started = tarjama(ws, env, "translate", str(item), "--provider", "libre")
    assert started.returncode == 0, started.stderr
    assert "started on the served deployment" in started.stdout and "run state: Suspended" in started.stdout
    assert "tarjama approve cli-item --lang fr" in started.stdout
    again = tarjama(ws, env, "translate", str(item), "--provider", "libre")
    assert again.returncode == 0 and "already in review with this text" in again.stdout  # no second run
    assert "run state: Suspended" in again.stdout

    early = tarjama(ws, env, "approve", "cli-item", "--lang", "fr", "--reviewer", "Amina")
    assert early.returncode == 1 and "cannot approve cli-item fr: p1.s1: not reviewed (fuzzy)" in early.stderr
    assert early.stderr.count("\n") == 1

    clear_fuzzy(ws, "cli-item", "fr")
    blocked = ws.published
    blocked.write_text("not a folder: publishing cannot write here\n")  # the cause of the failure
    failed = tarjama(ws, env, "approve", "cli-item", "--lang", "fr", "--reviewer", "Amina", "--note", "ok")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "fr approved by Amina, but publication failed" in failed.stderr and "published:" not in failed.stdout
    assert "tarjama publish cli-item --lang fr" in failed.stderr
    rows = {(r["slug"], r["lang"]): r for r in json.loads(tarjama(ws, env, "status", "--json").stdout)}
    assert rows[("cli-item", "fr")]["review_state"] == "publication failed"

    blocked.unlink()  # fixed
    republished = tarjama(ws, env, "publish", "cli-item", "--lang", "fr")
    assert republished.returncode == 0, republished.stderr
    assert "published: content/published/fr/cli-item.html" in republished.stdout
    assert (ws.published / "fr" / "cli-item.html").is_file()

    asked = tarjama(ws, env, "request-changes", "cli-item", "--lang", "en", "--reviewer", "John", "--note", "names")
    assert asked.returncode == 0 and "en: changes requested by John (names)" in asked.stdout
    done_twice = tarjama(ws, env, "approve", "cli-item", "--lang", "fr", "--reviewer", "Amina")
    assert done_twice.returncode == 1 and "is not waiting for a decision: published v1" in done_twice.stderr

    rows = {(r["slug"], r["lang"]): r for r in json.loads(tarjama(ws, env, "status", "--json").stdout)}
    assert rows[("cli-item", "fr")]["review"].startswith("published v1")
    assert rows[("cli-item", "en")]["review"].startswith("changes requested by John")
    # the command returns once the outcome is recorded; the run suspends again a moment later
    wait_for(lambda: {(r["slug"], r["lang"]): r for r in json.loads(tarjama(ws, env, "status", "--json").stdout)}[
        ("cli-item", "en")]["run_state"] == "Suspended", 120, "the run to wait for review again")

    nothing = tarjama(ws, env, "approve", "no-such-item", "--lang", "fr", "--reviewer", "Amina")
    assert nothing.returncode == 2 and "no catalog" in nothing.stderr


def test_a_new_run_takes_the_place_of_the_waiting_one_and_an_approved_unchanged_item_needs_no_review(loop) -> None:
    from flows.runs import read_run

    ws, _ = loop
    slug = "corrected"
    first = settle(start(ws, "corrected.txt").id)
    assert first.state.name == "Suspended"
    path = ws.inbox / "corrected.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nوأضاف المتحدث أن العمل سيستمر.\n", encoding="utf-8")
    second = settle(start(ws, "corrected.txt").id)
    assert second.state.name == "Suspended"
    old = read_run(first.id).state
    assert old.is_cancelled() and f"superseded by run {second.id}" in old.message
    assert item_review(ws, slug).current_run == str(second.id)

    for lang in ("fr", "en"):
        clear_fuzzy(ws, slug, lang)
        assert decide(ws, slug, lang, "approve", "Amina").verdict is Verdict.PUBLISHED
    third = settle(start(ws, "corrected.txt").id)  # the same, unchanged item again
    assert third.state.completed, third.state  # nothing to review: it does not wait
    published = [e for e in review_log.read(ws, slug) if isinstance(e, review_log.Waiting) and e.run_id == str(third.id)]
    assert published[0].langs == [] and published[0].already_approved == ["fr", "en"]


def test_a_flash_item_is_published_before_review_then_replaced_by_its_reviewed_version(loop) -> None:
    """An item marked ``urgency: flash`` goes out as a labelled machine translation before the run waits; the
    approval publishes the reviewed version as the next one; the run's artifact says what the flash path did."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    ws, _ = loop
    slug = "breaking"
    text = (ws.inbox / SAMPLE.name).read_text(encoding="utf-8").split("\n", 2)[2]
    (ws.inbox / "breaking.md").write_text(f"---\nurgency: flash\nslug: {slug}\n---\n\n{text}\n"
                                          "وأضاف المتحدث أن الاجتماع المقبل سيعقد قريبا.\n", encoding="utf-8")
    run = settle(start(ws, "breaking.md").id)
    assert run.state.name == "Suspended", run.state
    page = ws.published / "fr" / f"{slug}.html"
    assert "Traduction automatique de l&#39;arabe, en cours de relecture" in page.read_text(encoding="utf-8")
    flash = [(e.lang, e.version, e.reviewed) for e in review_log.read(ws, slug) if isinstance(e, review_log.Published)]
    assert sorted(flash) == [("en", 1, False), ("fr", 1, False)]
    waiting = next(e for e in review_log.read(ws, slug) if isinstance(e, review_log.Waiting))
    assert (waiting.urgency, waiting.remind_before_minutes) == ("flash", 60)
    assert 100 < (waiting.deadline - waiting.at).total_seconds() / 60 <= 120  # [review.flash] deadline_minutes
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[f"flash-{slug}"]), flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    assert artifacts and "| fr | yes, version 1 | - |" in artifacts[0].data

    clear_fuzzy(ws, slug, "fr")
    approved = decide(ws, slug, "fr", "approve", "Amina")
    assert approved.verdict is Verdict.PUBLISHED, approved.summary(slug)
    html = page.read_text(encoding="utf-8")
    assert "en cours de relecture" not in html and "relu par Amina" in html and "(version 1)" in html
    assert json.loads((ws.published / "fr" / f"{slug}.json").read_text(encoding="utf-8"))["version"] == "2"
    assert settle(run.id).state.name == "Suspended"  # English still waits


def test_items_in_the_inbox_before_serve_started_or_as_it_started_all_get_runs(served, served_workspace) -> None:
    """The session's `tarjama serve` started with a burst already in its inbox and one more dropped while it
    was starting (see conftest): each gets a run, and an item ingest refuses is logged, not started."""
    ws = served_workspace
    expected = sorted(p.stem for p in ws.inbox.glob("*.txt") if p.stem != "not-arabic")

    def all_suspended():
        names = sorted({r.name for r in runs_of(None, ws) if r.state.name == "Suspended"})
        return names if names == expected else None

    wait_for(all_suspended, 240, f"runs for {expected}")
    for slug in expected:
        po = polib.pofile(str(ws.catalog_path(slug, "fr")))
        assert len(po) == 4 and po.percent_translated() == 0  # drafts are fuzzy
    serve_log = (ws.root / "serve.log").read_text()
    assert "inbox: not-arabic.txt: not started:" in serve_log and "the text is not Arabic" in serve_log
    assert not (ws.translations / "not-arabic").exists()
    # the refusal is where people look: a row in `tarjama status`, and an event (which `tarjama notify` posts)
    status = tarjama(ws, {**os.environ}, "status")
    row = next(line for line in status.stdout.splitlines() if "not-arabic.txt" in line)
    assert row.startswith("content/inbox/not-arabic.txt") and "not started" in row and "not Arabic" in row

    def refused_event():
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            found = client.request("POST", "/events/filter", json={
                "filter": {"event": {"name": ["tarjama.inbox.refused"]}}, "limit": 50}).json()["events"]
        return [e for e in found if e["payload"].get("file") == "content/inbox/not-arabic.txt"] or None

    event = wait_for(refused_event, 60, "the inbox refusal's event")[0]
    assert "not Arabic" in event["payload"]["text"] and "not Arabic" in event["payload"]["reason"]
    shutil.copy(SAMPLE, ws.inbox / "dropped-later.txt")
    first = wait_for(lambda: next((r for r in runs_of("dropped-later", ws) if r.state.name == "Suspended"), None),
                     120, "a run for an item dropped later")

    # corrected while serve runs, and handed over with `translate` at the same moment: one run, not two
    item = ws.inbox / "dropped-later.txt"
    item.write_text(item.read_text(encoding="utf-8") + "\nوأضاف المتحدث أن العمل سيستمر.\n", encoding="utf-8")
    env = {**os.environ, "TARJAMA_LIBRE_URL": served.url}
    handed = tarjama(ws, env, "translate", str(item))
    assert handed.returncode == 0, handed.stderr

    def one_new_run():
        live = runs_of("dropped-later", ws)
        return live if len(live) == 1 and live[0].id != first.id and live[0].state.name == "Suspended" else None

    live = wait_for(one_new_run, 120, "a single live run for the corrected item")
    assert item_review(ws, "dropped-later").current_run == live[0].id
    runs = runs_of("dropped-later", ws, LIVE | {"CANCELLED"})
    assert len(runs) == 2  # the first (superseded) and the one for the corrected text, whoever started it


def test_translate_hands_an_item_over_while_a_run_drafts_it_and_the_new_run_waits_its_turn(served,
                                                                                         served_workspace) -> None:
    """A run drafting the item (its lock held, here by the test) is no refusal when the item is handed over to the
    served deployment: the new run waits for the lock, then drafts; the command reports it once it settles."""
    from tarjama.drafting import item_run_lock

    ws = served_workspace
    item = ws.root / "desk-items" / "held-by-a-run.txt"  # outside the inbox: only this command starts its run
    item.parent.mkdir(exist_ok=True)
    text = SAMPLE.read_text(encoding="utf-8").replace("وقد عرفت", "وقد سجلت")
    item.write_text(text, encoding="utf-8")
    env = {**os.environ, "TARJAMA_LIBRE_URL": served.url}
    with item_run_lock(ws, "held-by-a-run"):
        handing = subprocess.Popen([sys.executable, "-m", "cli", "translate", str(item), "--workspace", str(ws.root)],
                                   env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        def handed_over() -> list | None:
            assert handing.poll() is None, handing.communicate()[1]  # refused while the run drafts: the old fault
            return runs_of("held-by-a-run", ws) or None

        try:
            wait_for(handed_over, 120, "the handed-over run to be created while the item's lock is held")
        except BaseException:
            handing.kill()
            raise
    out, err = handing.communicate(timeout=300)
    assert handing.returncode == 0, err
    assert "Traceback" not in err and "being written by another run" not in err and "held-by-a-run" in out, out
    [run] = runs_of("held-by-a-run", ws)
    assert settle(run.id).state.name == "Suspended"
    assert len(polib.pofile(str(ws.catalog_path("held-by-a-run", "fr")))) == 4


def test_the_served_deployments_run_form_is_the_editors_one(served) -> None:
    from prefect.client.orchestration import get_client

    from flows.names import DEPLOYMENT

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
    schema = deployment.parameter_openapi_schema
    assert list(schema["properties"]) == ["request"]
    properties = schema["definitions"]["RunRequest"]["properties"]
    fields = ("item_path", "headline", "body", "targets", "providers", "suggest_from", "urgency")
    assert set(properties) == set(fields)
    assert [properties[k]["title"] for k in fields] == [
        "Item file", "Headline", "Body", "Languages", "MT providers", "Alternatives from", "Urgency"]
    choices = [option for part in properties["urgency"].get("anyOf", [properties["urgency"]]) for option in
               part.get("enum", [])]
    assert choices == ["flash", "urgent", "normal"]
    assert "workspace" in deployment.parameters  # decided by the deployment, not shown in the form


def run_logs(run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        return [entry.message for entry in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))]


def test_a_failed_run_says_one_line_in_the_ui_and_a_retry_or_other_options_start_a_new_run(loop, prefect_harness,
                                                                                          tmp_path) -> None:
    _, libre = loop
    ws = make_workspace(tmp_path / "retry", "retry-item.txt")
    env = {**os.environ, "PREFECT_API_URL": prefect_harness, "TARJAMA_LIBRE_URL": libre.url}
    item = str(ws.inbox / "retry-item.txt")
    failed = tarjama(ws, env, "translate", item, "--provider", "deepl")  # no DeepL key: the run fails
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "run state: Failed" in failed.stdout and "deepl" in failed.stderr.lower()
    first = [r for r in runs_of("retry-item", ws, RETRIED)]
    assert len(first) == 1 and "\n" not in first[0].state.message
    wait_for(lambda: any("Finished in state Failed" in m for m in run_logs(first[0].id)), 60, "the failed run's logs")
    logs = run_logs(first[0].id)
    assert not [m for m in logs if "Engine execution exited" in m or "Traceback" in m or "FailedRun" in m], logs

    again = tarjama(ws, env, "translate", item, "--provider", "deepl")  # the same options: a new run, not the old one
    assert again.returncode == 1 and "run state: Failed" in again.stdout
    assert len(runs_of("retry-item", ws, RETRIED)) == 2

    fixed = tarjama(ws, env, "translate", item, "--provider", "libre")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "run state: Suspended" in fixed.stdout and len(runs_of("retry-item", ws)) == 1

    other = tarjama(ws, env, "translate", item, "--provider", "libre", "--to", "de")
    assert other.returncode == 2 and other.stderr.count("\n") == 1
    assert "in review for fr, en" in other.stderr and "--to de,fr,en" in other.stderr
    assert len(runs_of("retry-item", ws)) == 1  # nothing merged, nothing started


def test_a_pasted_item_its_run_saves_into_the_watched_inbox_gets_no_second_run(served, served_workspace) -> None:
    """A pasted item (the Run form) is saved into the inbox by its run, which claims it and then drafts: the inbox
    watcher sees the file while that run drafts and leaves it to it. And a run the review log says was taken over
    while it was on its way to the gate (found running, so not cancelled) is cancelled by the review watcher, not
    left Suspended for a review that is no longer its."""
    ws = served_workspace
    before = set(ws.inbox.glob("pasted-*.md"))
    held = threading.Event()
    served.hold = held  # the run's MT requests wait: it has saved and claimed the item, and drafts
    try:
        run = start_run({"request": {"headline": "برنامج جديد للشباب",
                                     "body": "أعلنت الوزارة اليوم عن برنامج جديد للطلاب. وسيبدأ في الربيع."},
                         "workspace": str(ws.root)}, name="pasted")
        saved = wait_for(lambda: next(iter(set(ws.inbox.glob("pasted-*.md")) - before), None), 120,
                         "the pasted item saved into the inbox")
        wait_for(lambda: item_review(ws, saved.stem).current_run == str(run.id), 60, "the run's claim")
        line = f"inbox: {saved.name}: already being drafted by run {run.id}"
        wait_for(lambda: line in (ws.root / "serve.log").read_text(errors="replace"), 60,
                 "the inbox watcher leaving the pasted item to its run")
    finally:
        served.hold = None
        held.set()
    assert settle(run.id).state.name == "Suspended"
    everyone = LIVE | {"CANCELLED", "COMPLETED", "FAILED", "CRASHED"}
    assert [r.id for r in runs_of(saved.stem, ws, everyone)] == [str(run.id)]

    review_log.append(ws, saved.stem, review_log.Superseded(run_id=str(run.id), by="a-newer-run"))
    stopped = wait_for(lambda: next((r for r in runs_of(saved.stem, ws, everyone) if r.state.type == "CANCELLED"),
                                    None), 60, "the review watcher cancelling the superseded run")
    assert "superseded by run a-newer-run" in (stopped.state.message or "")

