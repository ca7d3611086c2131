"""A reviewer in a real browser (Debian's Chromium driven by Playwright) works by exception: the queue counts the
segments per risk band, the review page puts the high-risk one first and filters by band, and one click accepts the
low-risk ones. The desk runs in this process on loopback (uvicorn), its decisions taken without Prefect; a
screenshot of the risk view is kept in test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import threading
from pathlib import Path

import polib
import pytest
import uvicorn

from tarjama.desk.app import create_app
from tarjama.desk.reviewers import save_reviewer
from tarjama.review import events as review_log
from tarjama.review.events import LowRiskAccepted
from tests.conftest import REPO, free_port
from tests.support.review import InProcessChannel
from tests.support.risk_item import PASSWORD, SLUG, drafted, set_policy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration  # a browser: the full suite's tier, not test-fast's
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture
def desk(workspace, engine):
    drafted(workspace, engine)
    set_policy(workspace, 'policy = "by-exception"')
    save_reviewer(workspace.root / "reviewers.toml", "Amina", ["fr"], PASSWORD)
    app = create_app(workspace, workspace.root / "reviewers.toml", InProcessChannel("run-1"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, 60, "the desk to listen")
        yield f"http://127.0.0.1:{port}", workspace
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_reviewer_sees_the_risky_segment_first_and_accepts_the_low_risk_ones_in_one_click(desk) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # bounds a hang only
    url, ws = desk
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/login")
        page.get_by_label("Name").fill("Amina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        row = page.locator("table.queue tbody tr").filter(has_text=SLUG)
        expect(row.locator(".risk.band-high")).to_have_text("1 high")
        expect(row.locator(".risk.band-low")).to_have_text("3 low")
        row.get_by_role("link", name=SLUG).click()

        page.locator("#order-risk").click()
        segments = page.locator("li.segment")
        expect(segments.first).to_have_attribute("data-segment", "p1.s1")
        expect(segments.first.locator(".risk.band-high")).to_have_text("risk high")
        expect(segments.first.locator(".risk-reasons")).to_have_text("negation")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "risk-view.png"), full_page=True)

        page.locator("#filter-high").click()
        expect(segments).to_have_count(1)
        page.locator("#filter-low").click()
        expect(segments).to_have_count(3)

        page.get_by_role("button", name="Accept the 3 low-risk segments").click()
        expect(page.locator("#message")).to_contain_text("accepted the 3 low-risk segment(s)")
        page.get_by_role("link", name="Back to the review").click()
        expect(page.locator("#risk-count-low")).to_have_text("0 low")
        expect(page.locator("#accept-low-risk")).to_have_count(0)
        browser.close()

    fr = {e.msgctxt: e for e in polib.pofile(str(ws.catalog_path(SLUG, "fr")))}
    assert fr["p1.s1"].fuzzy and not any(fr[s].fuzzy for s in ("headline", "p2.s1", "p3.s1"))
    accepted = [e for e in review_log.read(ws, SLUG) if isinstance(e, LowRiskAccepted)]
    assert len(accepted) == 1 and accepted[0].reviewer == "Amina" and len(accepted[0].segments) == 3
