"""A translator in a real browser (Debian's Chromium driven by Playwright): log in, correct and approve
every segment of the sample's French draft with the keyboard, send it for publication, and find the
correction on the published French page. Screenshots of the queue and the review page are kept in
test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tarjama.desk.reviewers import save_reviewer
from tests.conftest import REPO, SAMPLE, free_port, make_workspace, start_sample_run
from tests.support.waiting import wait_for

CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "test-artifacts" / "screenshots"
SLUG = SAMPLE.stem
CORRECTION = "Correction de la traductrice : M. Hicham Mellati a participé le jeudi 30 janvier 2025 à la table ronde."
WITHOUT_DATE = "Correction de la traductrice : M. Hicham Mellati a participé à la table ronde."



@contextmanager
def running_desk(ws, prefect_harness):
    """`tarjama desk` on ``ws`` in its own process, talking to the session's Prefect server."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    save_reviewer(ws.root / "reviewers.toml", "Amina", ["fr"], "correct horse battery")
    port = free_port()
    env = {**os.environ, "PREFECT_API_URL": prefect_harness}
    log = open(ws.root / "desk.log", "wb")  # noqa: SIM115 - closed when the desk stops
    proc = subprocess.Popen([sys.executable, "-m", "cli", "desk", "--port", str(port), "--workspace", str(ws.root)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def listening() -> bool:
            assert proc.poll() is None, (ws.root / "desk.log").read_text()
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, 60, "the desk to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def desk_url(served, prefect_harness, tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("browser") / "ws", SAMPLE.name)
    assert start_sample_run(ws, SAMPLE.name).state.name == "Suspended"
    with running_desk(ws, prefect_harness) as url:
        yield url, ws


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def log_in(browser, url: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}/login")
    page.get_by_label("Name").fill("Amina")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    return page


def test_translator_reviews_the_sample_and_publishes_french(desk_url, browser) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # bounds a hang only: a loaded machine may take seconds per round trip
    url, ws = desk_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/login")
    page.get_by_label("Name").fill("Amina")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Waiting for review")).to_be_visible()
    expect(page.get_by_role("link", name=SLUG)).to_be_visible()
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    page.get_by_role("link", name=SLUG).click()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")  # desk.js has attached its keys
    expect(page.locator("#count-reviewed")).to_have_text("0")
    segments = page.locator("li.segment")
    assert segments.count() == 4
    expect(segments.first.locator(".source")).to_have_attribute("dir", "rtl")
    for index in range(4):
        row = segments.nth(index)
        box = row.locator("textarea")
        if index == 0:  # a correction that loses the date: the save answers with the finding, live
            box.fill(WITHOUT_DATE)
            box.focus()
            page.keyboard.press("Control+s")
            expect(row.locator('li.finding[data-check="dates"]')).to_be_visible()
            expect(row.locator('li.finding[data-check="numbers"]')).to_be_visible()
            # the bar counts what the rows show, right after the save (no reload)
            shown = page.locator("li.finding").count()
            blocking = page.locator("li.finding.critical:not(.overridden)").count()
            assert blocking >= 2
            expect(page.locator("#count-findings")).to_have_text(str(shown))
            expect(page.locator("#count-blocking")).to_have_text(str(blocking))
            box.fill(CORRECTION)
        box.focus()
        page.keyboard.press("Control+Enter")  # save as reviewed and move to the next segment
        expect(row.locator(".badge")).to_have_text("reviewed")
        expect(row.locator('li.finding.critical')).to_have_count(0)
        expect(page.locator("#count-reviewed")).to_have_text(str(index + 1))
        expect(page.locator("#count-blocking")).to_have_text(str(page.locator("li.finding.critical:not(.overridden)").count()))
        if index < 3:
            expect(segments.nth(index + 1).locator("textarea")).to_be_focused()
    segments.first.locator("textarea").focus()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "review.png"), full_page=False)
    assert (SHOTS / "queue.png").stat().st_size > 5000 and (SHOTS / "review.png").stat().st_size > 5000

    page.get_by_role("button", name="Send for publication").click(timeout=120_000)  # answered once published
    expect(page.locator(".outcome")).to_have_text("fr approved by Amina and published", timeout=120_000)
    page.locator("#published-link").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("article")).to_contain_text(CORRECTION)
    assert CORRECTION in (ws.published / "fr" / f"{SLUG}.html").read_text(encoding="utf-8")



GLOSSARY = ("ar,fr,en,note\n"
            "الاتجار بالبشر,la traite des êtres humains,human trafficking,\n"
            "المرصد الوطني للهجرة,l'Observatoire national de la migration,the National Observatory of Migration,\n")
REMEMBERED = "Mémoire : la table ronde a entendu l'exposé de la représentante du secrétariat permanent."
ALTERNATIVE = "Version DeepL : la rencontre a réuni des responsables de plusieurs secteurs."


@pytest.fixture(scope="module")
def workbench(served, prefect_harness, tmp_path_factory):
    """The sample in review, with a glossary, a close match in the memory and another engine's alternative."""
    import json

    import polib

    from tarjama.catalog import APPROVED_AT, APPROVED_BY
    from tarjama.machine_drafts import machine_drafts_path
    from tarjama.memory import remember

    ws = make_workspace(tmp_path_factory.mktemp("workbench") / "ws", SAMPLE.name)
    (ws.root / "glossary.csv").write_text(GLOSSARY, encoding="utf-8")
    assert start_sample_run(ws, SAMPLE.name).state.name == "Suspended"
    po = polib.pofile(str(ws.catalog_path(SLUG, "fr")))
    sources = {e.msgctxt: e.msgid for e in po}
    older = polib.POFile()
    older.metadata = {APPROVED_BY: "Karim", APPROVED_AT: "2026-10-01T10:00:00+00:00"}
    older.append(polib.POEntry(msgctxt="p4.s1", msgid=sources["p2.s1"].replace("عرضا", "تقريرا"), msgstr=REMEMBERED))
    remember(ws, "older-item", "fr", older)
    record = machine_drafts_path(ws.catalog_path(SLUG, "fr"))
    drafts = json.loads(record.read_text(encoding="utf-8"))
    drafts[sources["p3.s1"]]["alternatives"] = {"deepl": ALTERNATIVE}
    record.write_text(json.dumps(drafts, ensure_ascii=False), encoding="utf-8")
    with running_desk(ws, prefect_harness) as url:
        yield url, ws


def test_the_workbench_suggests_checks_guards_stale_edits_and_takes_overrides(workbench, browser) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    url, ws = workbench
    page = log_in(browser, url)
    page.goto(f"{url}/review/{SLUG}/fr")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    rows = page.locator("li.segment")
    first, memory_row, last = rows.nth(0), rows.nth(2), rows.nth(3)

    # side by side on a wide screen
    source_box, target_box = first.locator(".source-pane").bounding_box(), first.locator(".target-pane").bounding_box()
    assert source_box["x"] < target_box["x"] and abs(source_box["y"] - target_box["y"]) < 5

    # suggestions: a glossary term at the cursor (Alt+1), a memory match and an alternative as the whole translation
    term = first.locator("li.term button.insert").first
    rendering = term.get_attribute("data-insert")
    assert rendering in ("la traite des êtres humains", "l'Observatoire national de la migration")
    box = first.locator("textarea")
    box.fill("Début ")
    box.press("End")
    box.press("Alt+1")
    expect(box).to_have_value("Début " + rendering)
    match = memory_row.locator("li.memory")
    expect(match).to_contain_text("approved by Karim")
    expect(match.locator(".origin")).to_contain_text("{+")  # what differs in the source
    match.locator("button.insert").click()
    expect(memory_row.locator("textarea")).to_have_value(REMEMBERED)
    expect(last.locator("li.alternative")).to_contain_text("deepl")
    last.locator("li.alternative button.insert").click()
    expect(last.locator("textarea")).to_have_value(ALTERNATIVE)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "workbench.png"), full_page=False)

    # keys: Alt+N to the next unreviewed, Alt+F to the next finding
    box.fill(CORRECTION.replace("2025", "2052"))  # a wrong year: critical findings
    box.focus()
    page.keyboard.press("Control+Enter")
    expect(first.locator(".badge")).to_have_text("reviewed")
    expect(first.locator('li.finding[data-check="numbers"]')).to_be_visible()
    box.focus()
    page.keyboard.press("Alt+n")
    expect(rows.nth(1).locator("textarea")).to_be_focused()
    page.keyboard.press("Alt+f")
    assert page.evaluate("document.activeElement.closest('li.segment').querySelector('li.finding') !== null")

    # a stale edit: both versions, then take theirs
    other = log_in(browser, url, width=600)
    other.goto(f"{url}/review/{SLUG}/fr")
    expect(other.locator("body")).to_have_attribute("data-ready", "1")
    narrow = other.locator("li.segment").nth(0)  # stacked on a narrow screen
    assert narrow.locator(".source-pane").bounding_box()["y"] < narrow.locator(".target-pane").bounding_box()["y"]
    theirs = other.locator("li.segment").nth(3)
    theirs.locator("textarea").fill("Leur version de la phrase.")
    theirs.locator("textarea").focus()
    other.keyboard.press("Control+s")
    expect(theirs.locator(".result")).to_have_text("saved")
    last.locator("textarea").focus()
    page.keyboard.press("Control+s")
    expect(last.locator(".newer")).to_contain_text("Leur version de la phrase.")
    expect(last.locator(".newer")).to_contain_text(ALTERNATIVE)
    last.get_by_role("button", name="Take theirs").click()
    expect(last.locator("textarea")).to_have_value("Leur version de la phrase.")

    # every segment reviewed, the wrong year refused with a link to its row, then let pass with a reason
    for index in (1, 2, 3):
        rows.nth(index).locator("textarea").focus()
        page.keyboard.press("Control+Enter")
        expect(rows.nth(index).locator(".badge")).to_have_text("reviewed")
    page.get_by_role("button", name="Send for publication").click(timeout=120_000)
    expect(page.locator("p.error")).to_contain_text("cannot approve")
    expect(page.locator("a.blocker-link").first).to_have_attribute("href", f"/review/{SLUG}/fr#seg-p1.s1")
    page.locator("a.blocker-link").first.click()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    page.locator("#overrides summary").click()
    reasons = page.locator("#overrides input")
    assert reasons.count() >= 1
    for n in range(reasons.count()):
        reasons.nth(n).fill("year as given by the ministry")
    page.get_by_role("button", name="Send for publication").click(timeout=120_000)
    expect(page.locator(".outcome")).to_have_text("fr approved by Amina and published", timeout=120_000)
    catalog = ws.catalog_path(SLUG, "fr").read_text(encoding="utf-8")
    assert "qa-override numbers" in catalog and "year as given by the ministry (Amina)" in catalog
