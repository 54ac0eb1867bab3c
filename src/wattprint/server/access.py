"""Who is asking, and what they may see: the admin token, project tokens, signed-in people.

Unknown ids and other organisations' ids answer the same (403), so a caller
learns nothing of what it may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from fastapi import HTTPException, Request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from wattprint.server import models as m
from wattprint.server.config import ROLES
from wattprint.server.security import (
    READ,
    SESSION_COOKIE,
    WRITE,
    read_session,
    same_secret,
    token_sha256,
)

FORBIDDEN = "Not allowed to perform this action"
LAST_USED_EVERY_S = 300.0  # last_used is written at most this often per token. Units: s.


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: an admin, a project token or a person.

    Attributes:
        kind: ``admin``, ``token``, ``user`` or ``anonymous``.
        user_id: the person, when signed in.
        project_id: the token's project.
        access: the token's access bits (1 read, 2 write).
        roles: the person's role per organisation id.
        csrf: the session's CSRF token (forms must send it back).
        rate_key: what the rate limit counts by.
    """

    kind: str
    user_id: str | None = None
    project_id: str | None = None
    access: int = 0
    roles: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    rate_key: str = ""


def forbidden(message: str = FORBIDDEN) -> HTTPException:
    """Return the one refusal for missing rights and unknown ids alike."""
    return HTTPException(status_code=403, detail=message)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """Return ``value`` with a time zone (SQLite hands back naive UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def identify(request: Request, db: Session) -> Principal:
    """Return who sent ``request``: bearer or ``x-api-token``, else the session cookie."""
    state = request.app.state
    header = request.headers.get("x-api-token")
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    given = header or bearer
    if given:
        admin = state.settings.admin_token
        if admin and same_secret(given, admin):
            return Principal(kind="admin", rate_key="admin")
        return _token_principal(db, given)
    session = read_session(state.session_key, request.cookies.get(SESSION_COOKIE))
    if session is not None:
        rows = db.execute(
            select(m.Membership.organisation_id, m.Membership.role).where(
                m.Membership.user_id == session.user_id
            )
        ).all()
        if db.get(m.User, session.user_id) is not None:
            return Principal(
                kind="user",
                user_id=session.user_id,
                roles={org: role for org, role in rows},
                csrf=session.csrf,
                rate_key="user:" + session.user_id,
            )
    return Principal(
        kind="anonymous", rate_key="ip:" + (request.client.host if request.client else "")
    )


_TOKEN_BY_HASH = select(
    m.ProjectToken.id, m.ProjectToken.project_id, m.ProjectToken.access,
    m.ProjectToken.revoked, m.ProjectToken.expires_at, m.ProjectToken.last_used,
).where(m.ProjectToken.token_sha256 == bindparam("digest"))  # fmt: skip


def _token_principal(db: Session, given: str) -> Principal:
    # one indexed read of the columns needed, below the ORM (this runs on every request)
    token = db.connection().execute(_TOKEN_BY_HASH, {"digest": token_sha256(given)}).first()
    now = _now()
    if token is None or token.revoked:
        raise forbidden("Not allowed to perform this action: unknown or revoked token")
    if token.expires_at is not None and aware(token.expires_at) <= now:
        raise forbidden("Not allowed to perform this action: the token has expired")
    if token.last_used is None or aware(token.last_used) < now - timedelta(
        seconds=LAST_USED_EVERY_S
    ):
        db.execute(
            update(m.ProjectToken).where(m.ProjectToken.id == token.id).values(last_used=now)
        )
        db.commit()
    return Principal(
        kind="token", project_id=token.project_id, access=token.access, rate_key="t:" + token.id
    )


def require_signed_in(who: Principal) -> None:
    """Refuse anonymous callers (401)."""
    if who.kind == "anonymous":
        raise HTTPException(status_code=401, detail="Sign in, or send a token")


def org_role(who: Principal, organisation_id: str) -> str | None:
    """Return the caller's role in an organisation (``owner`` for the admin), or None."""
    if who.kind == "admin":
        return "owner"
    return who.roles.get(organisation_id)


def check_org(who: Principal, organisation_id: str, *, least: str = "viewer") -> None:
    """Refuse unless the caller holds at least role ``least`` in the organisation."""
    role = org_role(who, organisation_id)
    if role is None or ROLES.index(role) < ROLES.index(least):
        raise forbidden()


def project_of(db: Session, project_id: str) -> m.Project:
    """Return a project, or refuse as forbidden if there is none."""
    project = db.get(m.Project, project_id)
    if project is None:
        raise forbidden()
    return project


def check_project(
    who: Principal, db: Session, project_id: str, *, write: bool = False
) -> m.Project:
    """Return the project if the caller may read it (or write to it); else refuse (403)."""
    project = project_of(db, project_id)
    if who.kind == "token":
        if who.project_id != project_id or not who.access & (WRITE if write else READ):
            raise forbidden()
        return project
    if who.kind == "anonymous" and not write and project.public:
        return project
    check_org(who, project.organisation_id, least="member" if write else "viewer")
    return project


def check_write(who: Principal, db: Session, project_id: str) -> None:
    """Refuse unless the caller may write to the project (a token is checked without a query).

    For the ingest paths, where ``project_id`` comes from a stored run or
    is the token's own (a project's tokens go with it), so it exists.
    """
    if who.kind == "token":
        if who.project_id != project_id or not who.access & WRITE:
            raise forbidden()
        return
    check_project(who, db, project_id, write=True)


def check_csrf(who: Principal, given: str | None) -> None:
    """Refuse a form whose CSRF token is not the session's."""
    if who.kind != "user" or not given or not same_secret(given, who.csrf):
        raise forbidden("The form expired or came from elsewhere; reload the page")
