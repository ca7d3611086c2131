"""The review desk over HTTP: every route, access rules, CSRF, stale edits, the audit log, and decisions
taken in process as the item's run takes them; the decision test runs once more against a real waiting flow run (the
served deployment on the session's Prefect server)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from fastapi.testclient import TestClient

from tarjama.context import Context
from tarjama.desk.app import create_app
from tarjama.desk.reviewers import save_reviewer
from tarjama.desk.sessions import COOKIE
from tarjama.editing import read_audit
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.review import events as review_log
from tarjama.review.events import DecisionMade, Outcome
from tests.conftest import make_workspace, settings_for, start_sample_run
from tests.support.mt_servers import LoopbackMTServer, pseudo_translate
from tests.support.review import InProcessChannel, in_review

SLUG = "desk-item"
PASSWORD = "correct horse battery"


def _reviewers(ws) -> Path:
    reviewers = ws.root / "reviewers.toml"
    save_reviewer(reviewers, "Amina", ["fr"], PASSWORD)
    save_reviewer(reviewers, "John", ["en"], PASSWORD)
    return reviewers


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """The desk's rules, in process: the sample drafted and waiting in a run, decisions taken as that run takes
    them (no Prefect)."""
    ws = make_workspace(tmp_path_factory.mktemp("desk") / "ws", f"{SLUG}.txt")
    with LoopbackMTServer("libre") as libre:
        in_review(Context.load(ws), load_item(ws.inbox / f"{SLUG}.txt", ws), ["fr", "en"],
                  MTEngine(settings_for(libre)), "desk-run")
    return ws, create_app(ws, _reviewers(ws), InProcessChannel("desk-run"))


@pytest.fixture(scope="module")
def served_desk(served, tmp_path_factory):
    """The same desk in front of a real waiting flow run on the served deployment."""
    from operations.desk_channel import PrefectChannel  # imports Prefect: only the served tier pays for it

    ws = make_workspace(tmp_path_factory.mktemp("served-desk") / "ws", f"{SLUG}.txt")
    run = start_sample_run(ws, f"{SLUG}.txt")
    assert run.state.name == "Suspended"
    return ws, create_app(ws, _reviewers(ws), PrefectChannel())


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(app, name: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    return client, csrf_of(client.get("/").text)


def rows(client: TestClient, lang: str = "fr") -> dict[str, dict]:
    html = client.get(f"/review/{SLUG}/{lang}").text
    found = re.findall(r'id="seg-([^"]+)".*?name="base" value="([^"]+)"', html, flags=re.S)
    return {seg: {"base": base} for seg, base in found}


def test_login_sets_a_strict_httponly_session_and_rotates_it(desk) -> None:
    _, app = desk
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    before = client.cookies.get(COOKIE)
    wrong = client.post("/login", data={"name": "Amina", "password": "nope", "csrf": csrf_of(page.text)})
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.text
    assert 'value="Amina"' in wrong.text  # the name stays; only the password is typed again
    hostile = client.post("/login", data={"name": '"><script>x</script>', "password": "nope", "csrf": csrf_of(page.text)})
    assert "<script>x</script>" not in hostile.text and "&lt;script&gt;" in hostile.text
    no_csrf = client.post("/login", data={"name": "Amina", "password": PASSWORD})
    assert no_csrf.status_code == 403
    ok = client.post("/login", data={"name": "Amina", "password": PASSWORD, "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert ok.status_code == 303 and client.cookies.get(COOKIE) != before
    assert "Content-Security-Policy" in client.get("/").headers


def test_queue_shows_only_the_reviewers_languages(desk) -> None:
    _, app = desk
    amina, _ = login(app, "Amina")
    queue = amina.get("/").text
    assert f'href="/review/{SLUG}/fr"' in queue and f'href="/review/{SLUG}/en"' not in queue
    assert "0 / 4" in queue and "not reviewed (fuzzy)" in queue and "Suspended" in queue
    assert f'href="/review/{SLUG}/fr"' not in amina.get("/?lang=en").text
    john, _ = login(app, "John")
    assert f'href="/review/{SLUG}/en"' in john.get("/").text


def test_another_languages_reviewer_is_refused(desk) -> None:
    _, app = desk
    amina, csrf = login(app, "Amina")
    assert amina.get(f"/review/{SLUG}/en").status_code == 403
    assert amina.post(f"/review/{SLUG}/en/segments/p1.s1", data={"text": "x", "base": "x", "csrf": csrf}).status_code == 403
    assert amina.post(f"/review/{SLUG}/en/decision", data={"decision": "approve", "csrf": csrf}).status_code == 403
    anonymous = TestClient(app)
    assert anonymous.post(f"/review/{SLUG}/fr/segments/p1.s1", data={"text": "x"}).status_code == 401


def test_review_page_shows_source_draft_and_machine_output(desk) -> None:
    _, app = desk
    amina, _ = login(app, "Amina")
    page = amina.get(f"/review/{SLUG}/fr").text
    assert 'class="source arabic" lang="ar" dir="rtl">شارك السيد هشام ملاطي' in page
    assert "Machine output (libre):" in page and page.count('class="segment state-fuzzy"') == 4
    missing = amina.get("/review/no-such-item/fr")
    assert missing.status_code == 404 and "There is no item &#39;no-such-item&#39;" in missing.text
    assert "Not allowed" not in missing.text and "Not found" in missing.text
    assert amina.get("/review/..%2F..%2Fetc/fr").status_code in (400, 404)


def test_edits_need_csrf_are_audited_and_stale_ones_are_refused(desk) -> None:
    ws, app = desk
    amina, csrf = login(app, "Amina")
    base = rows(amina)["p1.s2"]["base"]
    url = f"/review/{SLUG}/fr/segments/p1.s2"
    assert amina.post(url, data={"text": "x", "base": base}).status_code == 403
    assert amina.post(url, data={"text": "x", "base": base, "csrf": "forged"}).status_code == 403

    first = amina.post(url, data={"text": "Première correction.", "comment": "ok", "reviewed": "1", "base": base, "csrf": csrf},
                       headers={"Accept": "application/json"})
    assert first.status_code == 200
    body = first.json()
    assert body["segment"]["state"] == "reviewed" and body["counts"]["reviewed"] == 1

    john_late = amina.post(url, data={"text": "Édition concurrente", "base": base, "csrf": csrf},
                           headers={"Accept": "application/json"})
    assert john_late.status_code == 409
    assert john_late.json()["current"]["text"] == "Première correction." and "was not saved" in john_late.json()["error"]
    entry = polib.pofile(str(ws.catalog_path(SLUG, "fr"))).find("p1.s2", by="msgctxt")
    assert entry.msgstr == "Première correction." and not entry.fuzzy and entry.tcomment == "ok"

    form_post = amina.post(url, data={"text": "Édition concurrente", "base": base, "csrf": csrf}, follow_redirects=False)
    assert form_post.status_code == 409 and "Première correction." in form_post.text

    audit = read_audit(ws, SLUG, "fr")
    assert audit[-1]["reviewer"] == "Amina" and audit[-1]["segment"] == "p1.s2"
    assert audit[-1]["before"]["fuzzy"] is True and audit[-1]["after"] == {"text": "Première correction.", "fuzzy": False, "comment": "ok"}

    keep = amina.post(url, data={"text": "Brouillon gardé flou.", "reviewed": "0", "base": body["segment"]["fingerprint"],
                                 "csrf": csrf}, follow_redirects=False)
    assert keep.status_code == 303 and keep.headers["location"].endswith("#seg-p1.s2")
    assert polib.pofile(str(ws.catalog_path(SLUG, "fr"))).find("p1.s2", by="msgctxt").fuzzy


def test_hostile_text_is_shown_not_run(desk) -> None:
    _, app = desk
    amina, csrf = login(app, "Amina")
    base = rows(amina)["p3.s1"]["base"]
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    amina.post(f"/review/{SLUG}/fr/segments/p3.s1", data={"text": hostile, "comment": hostile, "base": base, "csrf": csrf})
    page = amina.get(f"/review/{SLUG}/fr").text
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_decisions_are_checked_taken_and_published(desk) -> None:
    decide_and_publish(*desk)


def test_decisions_go_to_the_waiting_run_and_publish(served_desk) -> None:
    decide_and_publish(*served_desk)


def decide_and_publish(_ws, app) -> None:
    """Refused while fuzzy, then blocked by a critical finding until overridden with a reason, then published;
    a request for changes answered with its own outcome."""
    amina, csrf = login(app, "Amina")
    refused = amina.post(f"/review/{SLUG}/fr/decision", data={"decision": "approve", "csrf": csrf})
    assert refused.status_code == 409 and "not reviewed (fuzzy)" in refused.text
    drafts = {e.msgctxt: pseudo_translate(e.msgid, "fr") for e in polib.pofile(str(_ws.catalog_path(SLUG, "fr")))}
    for seg, row in rows(amina).items():
        text = "Texte relu au bureau le 30 janvier 2052." if seg == "p1.s1" else f"{drafts[seg]} (relu)"
        saved = amina.post(f"/review/{SLUG}/fr/segments/{seg}", data={"text": text, "reviewed": "1", "base": row["base"],
                                                                       "csrf": csrf}, headers={"Accept": "application/json"})
        assert saved.status_code == 200
        checks = {f["check"] for f in saved.json()["aids"]["findings"]}
        assert ("numbers" in checks) == (seg == "p1.s1")  # the save answers with the segment's findings
    assert amina.post(f"/review/{SLUG}/fr/decision", data={"decision": "maybe", "csrf": csrf}).status_code == 400
    page = amina.get(f"/review/{SLUG}/fr").text
    assert 'name="override:p1.s1:numbers"' in page and 'data-check="numbers"' in page
    blocked = amina.post(f"/review/{SLUG}/fr/decision", data={"decision": "approve", "csrf": csrf})
    assert blocked.status_code == 409 and f'href="/review/{SLUG}/fr#seg-p1.s1"' in blocked.text  # links to the segment
    reason = "date confirmed by the ministry"
    published = amina.post(f"/review/{SLUG}/fr/decision", data={
        "decision": "approve", "note": "bon", "csrf": csrf, "override:p1.s1:numbers": reason,
        "override:p1.s1:numbers-across": reason, "override:p1.s1:dates": ""})
    assert published.status_code == 200, published.text
    assert "fr approved by Amina and published" in published.text and f'href="/published/fr/{SLUG}.html"' in published.text
    page = amina.get(f"/published/fr/{SLUG}.html")
    assert page.status_code == 200 and "Texte relu au bureau le 30 janvier 2052." in page.text
    made = [e for e in review_log.read(_ws, SLUG) if isinstance(e, DecisionMade) and e.outcome is Outcome.APPROVED]
    assert made[-1].overrides == {"p1.s1:numbers": reason, "p1.s1:numbers-across": reason}
    assert f'/published/fr/{SLUG}.html' in amina.get(f"/review/{SLUG}/fr").text

    john, john_csrf = login(app, "John")
    asked = john.post(f"/review/{SLUG}/en/decision", data={"decision": "request_changes", "note": "noms propres", "csrf": john_csrf})
    assert asked.status_code == 200 and "en: changes requested by John (noms propres)" in asked.text


def test_logout_needs_csrf_and_ends_the_session(desk) -> None:
    _, app = desk
    amina, csrf = login(app, "Amina")
    assert amina.post("/logout").status_code == 403
    assert amina.post("/logout", data={"csrf": csrf}, follow_redirects=False).headers["location"] == "/login"
    assert amina.get("/", follow_redirects=False).headers["location"] == "/login"


def test_published_pages_are_404_before_anything_is_published(tmp_path) -> None:
    ws = make_workspace(tmp_path / "empty")
    client = TestClient(create_app(ws, ws.root / "reviewers.toml"))
    missing = client.get(f"/published/fr/{SLUG}.html")
    assert missing.status_code == 404


def test_translations_that_cannot_be_stored_are_refused_with_a_4xx(desk) -> None:
    ws, app = desk
    amina, csrf = login(app, "Amina")
    path = ws.catalog_path(SLUG, "fr")
    before = path.read_bytes()
    base = rows(amina)["p2.s1"]["base"]
    url = f"/review/{SLUG}/fr/segments/p2.s1"
    json_accept = {"Accept": "application/json"}
    huge = amina.post(url, data={"text": "x" * 1_000_000, "base": base, "csrf": csrf}, headers=json_accept)
    assert huge.status_code in (400, 413)
    nul = amina.post(url, data={"text": "Texte\x00caché", "base": base, "csrf": csrf}, headers=json_accept)
    assert nul.status_code == 400 and "U+0000" in nul.json()["error"]
    invalid = amina.post(url, content=f"text=%FF%FE&base={base}&csrf={csrf}".encode(), headers={
        **json_accept, "Content-Type": "application/x-www-form-urlencoded"})
    assert invalid.status_code == 400 and "not valid UTF-8" in invalid.json()["error"]
    multipart = amina.post(url, files={"text": (None, "x")}, data={"base": base, "csrf": csrf}, headers=json_accept)
    assert multipart.status_code == 415
    assert path.read_bytes() == before


def test_state_changing_requests_from_another_origin_are_refused(desk) -> None:
    _, app = desk
    amina, csrf = login(app, "Amina")
    base = rows(amina)["p2.s1"]["base"]
    forged = amina.post(f"/review/{SLUG}/fr/segments/p2.s1", data={"text": "x", "base": base, "csrf": csrf},
                        headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "did not come from the desk" in forged.text
    own = amina.post(f"/review/{SLUG}/fr/segments/p2.s1", data={"text": "Texte.", "base": base, "csrf": csrf},
                     headers={"Origin": "http://testserver", "Accept": "application/json"})
    assert own.status_code == 200


def test_login_takes_the_same_work_for_unknown_names_and_shows_only_its_own_messages(desk, monkeypatch) -> None:
    """Unknown names are checked against a dummy hash (counted here, not timed), and ?error= shows no text."""
    import tarjama.desk.app as desk_app

    _, app = desk
    checked: list[str] = []
    real = desk_app.verify_password
    monkeypatch.setattr(desk_app, "verify_password", lambda password, stored: checked.append(stored) or
                        real(password, stored))
    client = TestClient(app)
    page = client.get("/login")
    for name in ("Amina", "Nobody-At-All"):
        answer = client.post("/login", data={"name": name, "password": "wrong password", "csrf": csrf_of(page.text)})
        assert answer.status_code == 401
    assert len(checked) == 2 and all(stored.startswith("scrypt$") for stored in checked)
    injected = client.get("/login?error=<b>Your+account+is+locked,+call+555-0100</b>")
    assert "locked" not in injected.text and "555-0100" not in injected.text
    assert "Your session ended" in client.get("/login?error=expired").text


def test_sessions_survive_a_desk_restart_and_expire(desk) -> None:
    from tarjama.desk.sessions import IDLE_SECONDS, SessionStore

    ws, _ = desk
    store_path = ws.root / ".tarjama" / "test-sessions.sqlite"
    first = create_app(ws, ws.root / "reviewers.toml", InProcessChannel("desk-run"), SessionStore(store_path))
    client, _ = login(first, "Amina")
    restarted = create_app(ws, ws.root / "reviewers.toml", InProcessChannel("desk-run"), SessionStore(store_path))
    again = TestClient(restarted)
    again.cookies.set(COOKIE, client.cookies.get(COOKIE))
    assert again.get("/", follow_redirects=False).status_code == 200  # still logged in after the restart
    assert client.cookies.get(COOKIE) not in store_path.read_bytes().decode("latin-1")  # only a hash is kept
    later = SessionStore(store_path, clock=lambda: __import__("time").time() + IDLE_SECONDS + 1)
    assert later.get(client.cookies.get(COOKIE)) is None
