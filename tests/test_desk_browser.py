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



@pytest.fixture(scope="module")
def desk_url(served, prefect_harness, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    ws = make_workspace(tmp_path_factory.mktemp("browser") / "ws", SAMPLE.name)
    assert start_sample_run(ws, SAMPLE.name).state.name == "Suspended"
    save_reviewer(ws.root / "reviewers.toml", "Amina", ["fr"], "correct horse battery")
    port = free_port()
    env = {**os.environ, "PREFECT_API_URL": prefect_harness}
    log = open(ws.root / "desk.log", "wb")  # noqa: SIM115 - closed when the desk stops
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "desk", "--port", str(port), "--workspace", str(ws.root)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def listening() -> bool:
            assert proc.poll() is None, (ws.root / "desk.log").read_text()
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, 60, "the desk to listen")
        yield f"http://127.0.0.1:{port}", ws
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


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
            box.fill(CORRECTION)
        box.focus()
        page.keyboard.press("Control+Enter")  # save as reviewed and move to the next segment
        expect(row.locator(".badge")).to_have_text("reviewed")
        expect(row.locator('li.finding.critical')).to_have_count(0)
        expect(page.locator("#count-reviewed")).to_have_text(str(index + 1))
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

