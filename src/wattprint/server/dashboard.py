"""The dashboard: server-rendered pages (Jinja2), no JavaScript build step.

Sign-in is a password form (argon2 hashes, :mod:`wattprint.server.security`)
that sets the signed session cookie (HttpOnly, SameSite=Lax). The sign-in
form carries a CSRF token matched against a short-lived cookie of its own
(double submit); the forms of a signed-in person carry the session's token.
Pages live under ``/ui``; a caller that may not see a page gets the same 403
page whether the id is foreign or unknown, and an anonymous one is sent to
the sign-in page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from wattprint.errors import MissingDependencyError
from wattprint.server import models as m
from wattprint.server import pages
from wattprint.server.access import Principal, check_csrf
from wattprint.server.deps import Caller, Db
from wattprint.server.live import live_state
from wattprint.server.regions import regions_page
from wattprint.server.run_figures import energy_range, mass_range, number_text
from wattprint.server.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    check_password,
    same_secret,
    sign_session,
)
from wattprint.units_format import duration_text, energy_text, mass_text, si, water_text

HERE = Path(__file__).parent
SIGNIN_COOKIE = "wattprint_signin"  # the sign-in form's CSRF token (double submit)
SIGNIN_MAX_AGE_S = 3600
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

router = APIRouter(include_in_schema=False)


def _power(watts: float | None) -> str:
    return "—" if watts is None else si(watts, "W")


def install(app: FastAPI) -> None:
    """Add the dashboard's pages and its static files to ``app``."""
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(
        energy=energy_text, mass=mass_text, water=water_text, duration=duration_text,
        power=_power, number=number_text, mass_range=mass_range, energy_range=energy_range,
    )  # fmt: skip
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)


def _render(request: Request, who: Principal, name: str, context: dict[str, Any],
            status_code: int = 200) -> Response:  # fmt: skip
    page = request.app.state.templates.TemplateResponse(
        request, name, {"who": who, **context}, status_code=status_code
    )
    page.headers["Content-Security-Policy"] = CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Cache-Control"] = "no-store"
    return page  # type: ignore[no-any-return]


def _page(request: Request, who: Principal, name: str,
          build: Callable[[], dict[str, Any]]) -> Response:  # fmt: skip
    """Render ``name`` with ``build()``; refusals become the sign-in redirect or the 403 page."""
    try:
        context = build()
    except HTTPException as err:
        return _refused(request, who, err)
    return _render(request, who, name, context)


def _refused(request: Request, who: Principal, err: HTTPException) -> Response:
    """Return the sign-in redirect (anonymous) or the 403 page for a refusal; re-raise others."""
    if err.status_code not in (401, 403):
        raise err
    if who.kind == "anonymous":
        return RedirectResponse("/signin", status_code=303)
    return _render(request, who, "error.html", {"message": err.detail}, status_code=403)


@router.get("/", response_class=HTMLResponse)
def root() -> Response:
    """Send people to the dashboard."""
    return RedirectResponse("/ui", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, who: Caller) -> Response:
    """Show the sign-in form, with a fresh CSRF token."""
    return signin_page(request, who, "", 200)


def signin_page(request: Request, who: Principal, message: str, status_code: int) -> Response:
    """Return the sign-in page showing ``message`` (its form gets a fresh CSRF token)."""
    token = secrets.token_urlsafe(24)
    oidc = request.app.state.settings.oidc
    page = _render(request, who, "signin.html", {"csrf": token, "message": message,
                   "oidc_name": oidc.display_name if oidc else None},
                   status_code=status_code)  # fmt: skip
    page.set_cookie(SIGNIN_COOKIE, token, max_age=SIGNIN_MAX_AGE_S, httponly=True,
                    samesite="strict", secure=request.app.state.settings.secure_cookies,
                    path="/signin")  # fmt: skip
    return page


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    who: Caller,
    db: Db,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
) -> Response:
    """Check the password and set the session cookie; refuse a form that came from elsewhere."""
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not same_secret(csrf, expected):
        return signin_page(request, who, "The form expired or came from elsewhere; try again.",
                           403)
    user = db.execute(select(m.User).where(m.User.email == email.strip())).scalar_one_or_none()
    if user is None or not check_password(user.password_hash, password):
        return signin_page(request, who, "Wrong email or password.", 401)
    answer = start_session(request, user.id)
    answer.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return answer


def start_session(request: Request, user_id: str) -> Response:
    """Return the redirect to the dashboard that sets ``user_id``'s session cookie."""
    answer = RedirectResponse("/ui", status_code=303)
    answer.set_cookie(SESSION_COOKIE, sign_session(request.app.state.session_key, user_id),
                      max_age=SESSION_MAX_AGE_S, httponly=True, samesite="lax",
                      secure=request.app.state.settings.secure_cookies, path="/")  # fmt: skip
    return answer


@router.post("/signout")
def signout(who: Caller, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    """End the session (the form must carry the session's CSRF token)."""
    check_csrf(who, csrf)
    answer = RedirectResponse("/signin", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/ui", response_class=HTMLResponse)
def home(request: Request, who: Caller, db: Db) -> Response:
    """List the caller's organisations."""
    if who.kind == "anonymous":
        return RedirectResponse("/signin", status_code=303)
    return _render(request, who, "home.html", {"orgs": pages.organisations(db, who)})


@router.get("/ui/orgs/{organisation_id}", response_class=HTMLResponse)
def org(request: Request, who: Caller, db: Db, organisation_id: str) -> Response:
    """Show an organisation: totals across its projects, projects ranked."""
    return _page(request, who, "org.html", lambda: pages.org_page(db, who, organisation_id))


def _lost_after_s(request: Request) -> float:
    return float(request.app.state.settings.lost_after_s)


@router.get("/ui/projects/{project_id}", response_class=HTMLResponse)
def project(
    request: Request,
    who: Caller,
    db: Db,
    project_id: str,
    experiment: str | None = None,
    status: str | None = None,
) -> Response:
    """Show a project: totals, last run, experiments and its runs (filtered)."""
    return _page(request, who, "project.html", lambda: pages.project_page(
        db, who, project_id, lost_after_s=_lost_after_s(request),
        experiment=experiment or None, status=status or None))  # fmt: skip


@router.get("/ui/projects/{project_id}/runs.{fmt}")
def export_runs(
    request: Request,
    who: Caller,
    db: Db,
    project_id: str,
    fmt: str,
    experiment: str | None = None,
    status: str | None = None,
) -> Response:
    """Return a project's runs as CSV or JSON (the page's filters apply)."""
    if fmt not in ("csv", "json"):
        raise HTTPException(status_code=404, detail="Export as runs.csv or runs.json")
    text = pages.runs_export(db, who, project_id, lost_after_s=_lost_after_s(request), fmt=fmt,
                             experiment=experiment or None, status=status or None)  # fmt: skip
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    disposition = f'attachment; filename="runs-{project_id.lower()[:36]}.{fmt}"'
    return Response(text, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/ui/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, who: Caller, db: Db, run_id: str) -> Response:
    """Show a run: power over time by component, its numbers, methodology and tasks."""
    lost_after_s = _lost_after_s(request)
    return _page(
        request, who, "run.html", lambda: pages.run_page(db, who, run_id, lost_after_s=lost_after_s)
    )


@router.get("/ui/compare", response_class=HTMLResponse)
def compare(
    request: Request, who: Caller, db: Db, run: Annotated[list[str] | None, Query()] = None
) -> Response:
    """Show several runs side by side (``?run=ID&run=ID``; the first is the reference)."""
    lost_after_s = _lost_after_s(request)
    return _page(
        request,
        who,
        "compare.html",
        lambda: pages.compare_page(db, who, run or [], lost_after_s=lost_after_s),
    )


@router.get("/ui/projects/{project_id}/regions", response_class=HTMLResponse)
def regions(request: Request, who: Caller, db: Db, project_id: str) -> Response:
    """Show the project's energy as it would have emitted in every country and cloud region."""
    return _page(request, who, "regions.html", lambda: regions_page(db, who, project_id))


@router.get("/ui/runs/{run_id}/live.json")
def run_live(
    request: Request,
    who: Caller,
    db: Db,
    run_id: str,
    v: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Return a run's news since version ``v``, for its page's live view (JSON)."""
    news = live_state(db, who, run_id, lost_after_s=_lost_after_s(request), known=v)
    return JSONResponse(news, headers={"Cache-Control": "no-store"})


def _signing_key(request: Request, db: Any) -> Any:
    from wattprint.server.signed_reports import signing_key

    state = request.app.state
    if getattr(state, "signing_key", None) is None:
        state.signing_key = signing_key(db, state.settings.signing_key)
    return state.signing_key


@router.get("/ui/runs/{run_id}/report.json")
def run_report(request: Request, who: Caller, db: Db, run_id: str) -> Response:
    """Download the run's report, signed by this server (``wattprint verify`` checks it)."""
    from wattprint.server.signed_reports import run_report as build

    try:
        key = _signing_key(request, db)
    except MissingDependencyError as err:
        raise HTTPException(status_code=501, detail=str(err)) from err
    try:
        text, name = build(db, who, run_id, lost_after_s=_lost_after_s(request), private_key=key)
    except HTTPException as err:
        return _refused(request, who, err)
    return Response(text, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})  # fmt: skip


@router.get("/signing-key.pub")
def signing_key_pub(request: Request, db: Db) -> Response:
    """Return the public key that checks the reports this server signs (PEM)."""
    from wattprint.report.signing import public_pem

    try:
        key = _signing_key(request, db)
    except MissingDependencyError as err:
        raise HTTPException(status_code=501, detail=str(err)) from err
    return Response(public_pem(key), media_type="application/x-pem-file",
                    headers={"Content-Disposition": 'attachment; filename="wattprint-server.pub"'})
