"""The review desk's web app: server-rendered pages, a little JavaScript, no build step.

Reviewers log in and see only their languages. Every state-changing request
must come from the desk's own pages (``Origin``), carry the session's CSRF
token and be a strict URL-encoded UTF-8 form; every text goes through
Jinja2's autoescaping. Edits go through :mod:`tarjama.editing` (the catalog
store the flow uses); decisions go to the item's run through the
:class:`ReviewChannel` the application passes in (the same path as the CLI),
so this package never talks to Prefect itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException

from tarjama.context import Context
from tarjama.desk.aids import page_aids, segment_findings
from tarjama.desk.forms import FormError, parse_form
from tarjama.desk.queue import waiting_queue
from tarjama.desk.reviewers import Reviewer, dummy_hash, load_reviewers, verify_password
from tarjama.desk.sessions import COOKIE, MAX_AGE_SECONDS, Session, SessionStore
from tarjama.editing import StaleEditError, save_segment, segment_views, view_dict
from tarjama.errors import InputError, TarjamaError
from tarjama.publish.site import html_pages
from tarjama.qa.item_risk import HIGH_FIRST, band_counts
from tarjama.review.decisions import ApprovalRefused, precheck_decision
from tarjama.review.events import Channel, Decision
from tarjama.review.low_risk import BY_EXCEPTION, accept_low_risk
from tarjama.review.report import DecisionReport, ExitStatus
from tarjama.review.request import DecisionRequest
from tarjama.review.state import item_review
from tarjama.workspace import Workspace

HERE = Path(__file__).parent
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
LOGIN_MESSAGES = {"expired": "Your session ended: please log in again.", "wrong": "Wrong name or password."}


class ReviewChannel(Protocol):
    """What the desk needs from the orchestration layer."""

    def decide(self, ctx: Context, request: DecisionRequest) -> DecisionReport:
        """Check ``request`` (:func:`~tarjama.review.decisions.precheck_decision`), record it, have it taken."""

    def run_states(self, run_ids: list[str]) -> dict[str, str]: ...


@dataclass(frozen=True)
class OfflineChannel:
    """A desk with no orchestration behind it: edits work, decisions are refused with a clear message."""

    def decide(self, ctx: Context, request: DecisionRequest) -> DecisionReport:
        precheck_decision(ctx, request)  # a refusal is worth saying even without a review loop
        raise TarjamaError("no Prefect server: decisions need the review loop (`make demo` or `tarjama serve`)")

    def run_states(self, run_ids: list[str]) -> dict[str, str]:
        return {}


class SecurityHeaders:
    """Pure ASGI middleware: security headers on the desk's own pages, no-store on everything."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        desk_page = not scope["path"].startswith("/published/")

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if desk_page:
                    for name, value in _SECURITY_HEADERS.items():
                        headers.setdefault(name, value)
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


class PublishedFiles(StaticFiles):
    """The published folder, which exists only once something is published: until then, 404 (not a 500)."""

    async def check_config(self) -> None:
        if self.directory is not None and os.path.isdir(self.directory):
            await super().check_config()

    async def get_response(self, path: str, scope) -> Response:
        if self.directory is None or not os.path.isdir(self.directory):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


class Denied(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


def create_app(workspace: Workspace, reviewers_path: Path, channel: ReviewChannel | None = None,
               sessions: SessionStore | None = None) -> FastAPI:
    channel = channel or OfflineChannel()
    app = FastAPI(title="tarjama review desk", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    sessions = sessions or SessionStore(workspace.state_dir / "desk-sessions.sqlite")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/published", PublishedFiles(directory=str(workspace.published), check_dir=False, follow_symlink=True),
              name="published")
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied):
        if _wants_json(request):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        title = {404: "Not found", 400: "Not accepted", 409: "Not done"}.get(exc.status, "Not allowed")
        return templates.TemplateResponse(request, "message.html", {"title": title, "message": exc.message,
                                                                    "reviewer": None, "csrf": ""}, status_code=exc.status)

    def reviewers() -> dict[str, Reviewer]:
        return load_reviewers(reviewers_path)

    def current(request: Request) -> tuple[Session | None, Reviewer | None]:
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None or session.reviewer is None:
            return session, None
        return session, reviewers().get(session.reviewer)

    def require(request: Request, lang: str | None = None) -> tuple[Session, Reviewer]:
        session, reviewer = current(request)
        if session is None or reviewer is None:
            raise Denied(401, "Please log in.")
        if lang is not None and not reviewer.may_review(lang):
            raise Denied(403, f"{reviewer.name} does not review {lang}.")
        return session, reviewer

    async def checked_form(request: Request, session: Session) -> dict[str, str]:
        """The form of a state-changing request: from this desk, strict, with the session's CSRF token."""
        if not _same_origin(request):
            raise Denied(403, "This request did not come from the desk's own pages.")
        try:
            form = parse_form(request.headers.get("content-type"), await request.body())
        except FormError as error:
            raise Denied(error.status, error.message) from None
        token = request.headers.get("X-CSRF-Token") or form.get("csrf")
        if not session.csrf_ok(token):
            raise Denied(403, "Missing or wrong CSRF token: reload the page and try again.")
        return form

    def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, error: str | None = None):
        session, reviewer = current(request)
        if reviewer is not None:
            return RedirectResponse("/", status_code=303)
        sid, session = (request.cookies.get(COOKIE), session) if session else sessions.new()
        response = render(request, "login.html", {"csrf": session.csrf, "error": LOGIN_MESSAGES.get(error or ""),
                                                  "reviewer": None})
        _set_cookie(response, sid)
        return response

    @app.post("/login")
    async def login(request: Request):
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse("/login?error=expired", status_code=303)
        form = await checked_form(request, session)
        reviewer = reviewers().get(form.get("name", "").strip())
        stored = reviewer.password_hash if reviewer is not None else dummy_hash()  # the same work for unknown names
        valid = await run_in_threadpool(verify_password, form.get("password", ""), stored)
        if reviewer is None or not valid:
            return render(request, "login.html", {"csrf": session.csrf, "error": LOGIN_MESSAGES["wrong"],
                                                  "reviewer": None, "name": form.get("name", "")[:80]}, status=401)
        sessions.drop(request.cookies.get(COOKIE))
        sid, _ = sessions.new(reviewer.name)
        response = RedirectResponse("/", status_code=303)
        _set_cookie(response, sid)
        return response

    @app.post("/logout")
    async def logout(request: Request):
        session, _ = require(request)
        await checked_form(request, session)
        sessions.drop(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    async def queue(request: Request, lang: str | None = None):
        session, reviewer = current(request)
        if reviewer is None:
            return RedirectResponse("/login", status_code=303)
        rows = await run_in_threadpool(waiting_queue, workspace, reviewer.languages, lang, channel.run_states)
        return render(request, "queue.html", {"rows": rows, "reviewer": reviewer, "csrf": session.csrf,
                                               "lang_filter": lang})

    @app.get("/review/{slug}/{lang}", response_class=HTMLResponse)
    async def review_page(request: Request, slug: str, lang: str, band: str | None = None, order: str | None = None):
        session, reviewer = require(request, lang)
        try:
            if not workspace.item_dir(slug).is_dir():
                raise InputError(f"There is no item {slug!r}: the queue lists the items waiting for review.")
            if not workspace.catalog_path(slug, lang).is_file():
                raise InputError(f"{slug} has no {lang} translation: the queue lists the items waiting for review.")
            segments, counts, meta = await run_in_threadpool(segment_views, workspace, slug, lang)
            state = item_review(workspace, slug).langs.get(lang)
        except TarjamaError as error:
            raise Denied(404, str(error)) from None
        published = (workspace.published / lang / f"{slug}.html").exists()
        aids = await run_in_threadpool(page_aids, workspace, slug, lang)
        blocking = [f for aid in aids.values() for f in aid.findings if f["blocks"]]
        ctx = Context.load(workspace)
        risks = (await run_in_threadpool(ctx.risks, slug, [lang])).get(lang, {})
        view = risk_view(segments, risks, band, order)
        return render(request, "review.html", {**view, "policy": ctx.settings.review.policy,
                                               "by_exception": ctx.settings.review.policy == BY_EXCEPTION,
            "slug": slug, "lang": lang, "counts": counts, "reviewer": reviewer,
            "csrf": session.csrf, "state": state, "state_text": state.describe(slug) if state else None,
            "published": published, "approved_by": meta.get("X-Tarjama-Approved-By"), "aids": aids,
            "findings": sum(len(a.findings) for a in aids.values()), "blocking": blocking,
        })

    @app.post("/review/{slug}/{lang}/segments/{segment_id}")
    async def save(request: Request, slug: str, lang: str, segment_id: str):
        session, reviewer = require(request, lang)
        form = await checked_form(request, session)
        try:
            view, counts = await run_in_threadpool(
                save_segment, workspace, slug, lang, segment_id, text=form.get("text", ""),
                comment=form.get("comment", ""), reviewed=form.get("reviewed") in ("1", "true", "on"),
                base=form.get("base", ""), reviewer=reviewer.name,
            )
        except StaleEditError as stale:
            payload = {"error": str(stale), "current": view_dict(stale.current)}
            if _wants_json(request):
                return JSONResponse(payload, status_code=409)
            return render(request, "message.html", {"title": "Not saved", "message": str(stale), "reviewer": reviewer,
                                                    "csrf": session.csrf, "newer": stale.current,
                                                    "back": f"/review/{slug}/{lang}#seg-{segment_id}"}, status=409)
        except InputError as error:
            raise Denied(400, str(error)) from None
        except TarjamaError as error:
            raise Denied(409, str(error)) from None
        if _wants_json(request):
            findings = await run_in_threadpool(segment_findings, workspace, slug, lang, segment_id)
            return JSONResponse({"segment": view_dict(view), "counts": counts.__dict__, "aids": {"findings": findings}})
        return RedirectResponse(f"/review/{slug}/{lang}#seg-{segment_id}", status_code=303)

    @app.post("/review/{slug}/{lang}/accept-low-risk", response_class=HTMLResponse)
    async def accept_low(request: Request, slug: str, lang: str):
        session, reviewer = require(request, lang)
        form = await checked_form(request, session)
        shown = [s for s in form.get("segments", "").split(",") if s]
        if not shown:
            raise Denied(400, "No segment was shown as low risk: reload the page.")
        try:
            accepted = await run_in_threadpool(accept_low_risk, Context.load(workspace), slug, lang, reviewer.name,
                                               Channel.DESK, shown)
        except InputError as error:
            raise Denied(409, str(error)) from None
        return render(request, "message.html", {"title": "Low-risk segments accepted", "reviewer": reviewer,
                                                "csrf": session.csrf, "message": accepted.summary(slug, lang), "ok": True,
                                                "back": f"/review/{slug}/{lang}", "back_text": "Back to the review"})

    @app.post("/review/{slug}/{lang}/decision", response_class=HTMLResponse)
    async def decision(request: Request, slug: str, lang: str):
        session, reviewer = require(request, lang)
        form = await checked_form(request, session)
        choice = form.get("decision", "")
        if choice not in {d.value for d in Decision}:
            raise Denied(400, f"decision must be one of {', '.join(d.value for d in Decision)}")
        context = {"slug": slug, "lang": lang, "reviewer": reviewer, "csrf": session.csrf, "report": None,
                   "error": None, "blockers": [], "links": []}
        overrides = {key.removeprefix("override:"): value for key, value in form.items()
                     if key.startswith("override:") and value.strip()}
        try:
            asked = DecisionRequest.make(slug, lang, choice, reviewer.name, form.get("note", ""), channel=Channel.DESK,
                                         overrides=overrides)
            report = await run_in_threadpool(channel.decide, Context.load(workspace), asked)
            context.update(report=report, summary=report.summary(slug), verdict=report.verdict.value,
                           blockers=report.blockers, links=_published_links(workspace, report.published_paths(workspace)))
        except ApprovalRefused as refused:
            context["error"], context["blockers"] = str(refused), refused.blockers
        except TarjamaError as error:
            context["error"] = str(error)
        report = context["report"]
        status = 409 if report is None else {ExitStatus.OK: 200, ExitStatus.IN_PROGRESS: 202}.get(report.exit_status, 409)
        return render(request, "decision.html", context, status=status)

    app.state.sessions = sessions
    return app


BANDS = tuple(b.value for b in HIGH_FIRST)


def risk_view(segments: list, risks: dict, band: str | None, order: str | None) -> dict:
    """The review page's segments as the reviewer asked for them (one band only; highest risk first), with the
    counts per band of the unreviewed ones and the low-risk ones a by-exception acceptance would take."""
    unreviewed = [s for s in segments if s.state == "fuzzy" and s.id in risks]
    counts = band_counts({s.id: risks[s.id] for s in unreviewed})
    shown = [s for s in segments if band not in BANDS or (s.id in risks and risks[s.id].band.value == band)]
    if order == "risk":
        shown = sorted(shown, key=lambda s: -risks[s.id].band.rank if s.id in risks else 1)
    return {"segments": shown, "risks": risks, "risk_counts": counts, "band_filter": band if band in BANDS else None,
            "order": "risk" if order == "risk" else None,
            "low_unreviewed": [s.id for s in unreviewed if risks[s.id].band.value == "low"]}


def _published_links(workspace: Workspace, paths: list[str]) -> list[tuple[str, str]]:
    """Desk links to the published pages among ``paths`` (files that exist), the translation first."""
    return [(f"/published/{page}", page) for page in html_pages(workspace, paths)]


def _same_origin(request: Request) -> bool:
    """A browser's state-changing request must come from the desk's own origin (Origin, else Referer);
    requests without either (command-line clients) rely on the CSRF token alone."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return claimed is None
    return urlsplit(claimed).netloc == request.headers.get("host", "")


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _set_cookie(response: Response, sid: str | None) -> None:
    if sid:
        response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/", max_age=MAX_AGE_SECONDS)
