"""The review desk's web app: server-rendered pages, a little JavaScript, no build step.

Reviewers log in and see only their languages. Every state-changing request
needs the session's CSRF token; every text goes through Jinja2's autoescaping.
Edits go through :mod:`tarjama.editing` (the catalog code the flow uses);
decisions go to the waiting flow run through the same path as the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders

from tarjama.desk.queue import waiting_queue
from tarjama.desk.reviewers import Reviewer, load_reviewers, verify_password
from tarjama.desk.sessions import COOKIE, Session, SessionStore
from tarjama.editing import StaleEditError, save_segment, segment_views, view_dict
from tarjama.errors import InputError, TarjamaError
from tarjama.review import DECISIONS, ApprovalRefused, precheck_decision, review_states
from tarjama.workspace import Workspace

HERE = Path(__file__).parent
Decider = Callable[[Workspace, str, str, str, str, str], Any]
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


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


class Denied(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


def default_decider(workspace: Workspace, slug: str, lang: str, decision: str, reviewer: str, note: str):
    from flows.control import submit_decision

    return submit_decision(workspace, slug, lang, decision, reviewer, note, wait=90)


def create_app(workspace: Workspace, reviewers_path: Path, decider: Decider = default_decider) -> FastAPI:
    app = FastAPI(title="tarjama review desk", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    sessions = SessionStore()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/published", StaticFiles(directory=str(workspace.published), check_dir=False, follow_symlink=True),
              name="published")

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied):
        if _wants_json(request):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return templates.TemplateResponse(request, "message.html", {"title": "Not allowed", "message": exc.message,
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

    async def form_with_csrf(request: Request, session: Session) -> dict[str, str]:
        form = {k: str(v) for k, v in (await request.form()).items()}
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
        response = render(request, "login.html", {"csrf": session.csrf, "error": error, "reviewer": None})
        _set_cookie(response, sid)
        return response

    @app.post("/login")
    async def login(request: Request):
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise Denied(403, "Your login form expired: reload the page and try again.")
        form = await form_with_csrf(request, session)
        reviewer = reviewers().get(form.get("name", "").strip())
        if reviewer is None or not verify_password(form.get("password", ""), reviewer.password_hash):
            return render(request, "login.html", {"csrf": session.csrf, "error": "Wrong name or password.",
                                                  "reviewer": None}, status=401)
        sessions.drop(request.cookies.get(COOKIE))
        sid, _ = sessions.new(reviewer.name)
        response = RedirectResponse("/", status_code=303)
        _set_cookie(response, sid)
        return response

    @app.post("/logout")
    async def logout(request: Request):
        session, _ = require(request)
        await form_with_csrf(request, session)
        sessions.drop(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    async def queue(request: Request, lang: str | None = None):
        session, reviewer = current(request)
        if reviewer is None:
            return RedirectResponse("/login", status_code=303)
        rows = await run_in_threadpool(waiting_queue, workspace, reviewer.languages, lang)
        return render(request, "queue.html", {"rows": rows, "reviewer": reviewer, "csrf": session.csrf,
                                               "lang_filter": lang})

    @app.get("/review/{slug}/{lang}", response_class=HTMLResponse)
    async def review_page(request: Request, slug: str, lang: str):
        session, reviewer = require(request, lang)
        try:
            segments, counts, meta = segment_views(workspace, slug, lang)
        except TarjamaError as error:
            raise Denied(404, str(error)) from None
        state = review_states(workspace, slug).get(lang)
        published = (workspace.published / lang / f"{slug}.html").exists()
        return render(request, "review.html", {
            "slug": slug, "lang": lang, "segments": segments, "counts": counts, "reviewer": reviewer,
            "csrf": session.csrf, "state": state, "published": published, "approved_by": meta.get("X-Tarjama-Approved-By"),
        })

    @app.post("/review/{slug}/{lang}/segments/{segment_id}")
    async def save(request: Request, slug: str, lang: str, segment_id: str):
        session, reviewer = require(request, lang)
        form = await form_with_csrf(request, session)
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
        if _wants_json(request):
            return JSONResponse({"segment": view_dict(view), "counts": counts.__dict__})
        return RedirectResponse(f"/review/{slug}/{lang}#seg-{segment_id}", status_code=303)

    @app.post("/review/{slug}/{lang}/decision", response_class=HTMLResponse)
    async def decision(request: Request, slug: str, lang: str):
        session, reviewer = require(request, lang)
        form = await form_with_csrf(request, session)
        choice = form.get("decision", "")
        if choice not in DECISIONS:
            raise Denied(400, f"decision must be one of {', '.join(DECISIONS)}")
        context = {"slug": slug, "lang": lang, "reviewer": reviewer, "csrf": session.csrf, "record": None,
                   "error": None, "blockers": []}
        try:
            precheck_decision(workspace, slug, lang, choice, reviewer.name)
            context["record"] = await run_in_threadpool(decider, workspace, slug, lang, choice, reviewer.name,
                                                        form.get("note", ""))
        except ApprovalRefused as refused:
            context["error"], context["blockers"] = str(refused), refused.blockers
        except TarjamaError as error:
            context["error"] = str(error)
        context["published"] = (workspace.published / lang / f"{slug}.html").exists()
        status = 200 if context["record"] is not None and context["error"] is None else 409
        return render(request, "decision.html", context, status=status)

    app.state.sessions = sessions
    return app


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _set_cookie(response: Response, sid: str | None) -> None:
    if sid:
        response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/", max_age=8 * 3600)
