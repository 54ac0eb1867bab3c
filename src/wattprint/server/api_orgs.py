"""Organisations, projects and project tokens, at CodeCarbon's paths (``/`` and ``/api``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import delete, select

from wattprint.server import models as m
from wattprint.server import queries as q
from wattprint.server import schemas as s
from wattprint.server.access import (
    Principal,
    check_org,
    check_project,
    forbidden,
    require_signed_in,
)
from wattprint.server.deps import Caller, Db
from wattprint.server.security import SHOWN_PREFIX_CHARS, new_token, token_sha256
from wattprint.server.store import now_utc, utc

router = APIRouter(tags=["organisations"])


def cc_org(org: m.Organisation) -> dict[str, Any]:
    """Return an organisation as CodeCarbon's ``Organization``."""
    return {"id": org.id, "name": org.name, "description": org.description}


def cc_project(p: m.Project) -> dict[str, Any]:
    """Return a project as CodeCarbon's ``Project``."""
    return {"id": p.id, "name": p.name, "description": p.description,
            "organization_id": p.organisation_id, "experiments": [],
            "public": p.public}  # fmt: skip


def _people_only(who: Principal) -> None:
    require_signed_in(who)
    if who.kind == "token":
        raise forbidden("Not allowed to perform this action with a project token")


def _org(who: Principal, db: Db, organisation_id: str, least: str = "viewer") -> m.Organisation:
    org = db.get(m.Organisation, organisation_id.lower())
    if org is None:
        raise forbidden()
    check_org(who, org.id, least=least)
    return org


@router.get("/organizations", response_model=list[s.Organization])
def list_orgs(who: Caller, db: Db) -> list[dict[str, Any]]:
    """List the caller's organisations, oldest first."""
    _people_only(who)
    query = select(m.Organisation).order_by(m.Organisation.created_at)
    if who.kind != "admin":
        query = query.where(m.Organisation.id.in_(list(who.roles)))
    return [cc_org(o) for o in db.execute(query).scalars()]


@router.post("/organizations", status_code=201, response_model=s.Organization)
def create_org(body: s.OrganizationCreate, who: Caller, db: Db) -> dict[str, Any]:
    """Create an organisation; its creator becomes its owner."""
    _people_only(who)
    org = m.Organisation(id=m.new_id(), name=body.name, description=body.description,
                         created_at=now_utc())  # fmt: skip
    db.add(org)
    if who.user_id is not None:
        db.add(m.Membership(user_id=who.user_id, organisation_id=org.id, role="owner"))
    db.commit()
    return cc_org(org)


@router.get("/organizations/{organisation_id}", response_model=s.Organization)
def get_org(organisation_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """Return an organisation."""
    return cc_org(_org(who, db, organisation_id))


@router.patch("/organizations/{organisation_id}", response_model=s.Organization)
def patch_org(
    organisation_id: str, body: s.OrganizationCreate, who: Caller, db: Db
) -> dict[str, Any]:
    """Rename an organisation (owners)."""
    org = _org(who, db, organisation_id, least="owner")
    org.name, org.description = body.name, body.description
    db.commit()
    return cc_org(org)


@router.get("/organizations/{organisation_id}/sums")
def org_sums(organisation_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """Return CodeCarbon's report of an organisation."""
    org = _org(who, db, organisation_id)
    start, end = q.window(None, None)
    query = q.sums_query(start, end).join(m.Run, m.Run.id == m.Sample.run_id)
    query = query.join(m.Project, m.Project.id == m.Run.project_id)
    sums = q.sums_of(db, query.where(m.Project.organisation_id == org.id))
    return {"organization_id": org.id, "name": org.name, "description": org.description, **sums}


@router.get("/organizations/{organisation_id}/projects", response_model=list[s.Project])
def org_projects(organisation_id: str, who: Caller, db: Db) -> list[dict[str, Any]]:
    """List an organisation's projects."""
    org = _org(who, db, organisation_id)
    rows = db.execute(
        select(m.Project).where(m.Project.organisation_id == org.id).order_by(m.Project.created_at)
    )
    return [cc_project(p) for p in rows.scalars()]


@router.post("/projects", status_code=201, response_model=s.Project)
def create_project(body: s.ProjectCreate, who: Caller, db: Db) -> dict[str, Any]:
    """Create a project in an organisation (members and owners)."""
    _people_only(who)
    org = _org(who, db, body.organization_id, least="member")
    project = m.Project(id=m.new_id(), organisation_id=org.id, name=body.name,
                        description=body.description, public=False,
                        created_at=now_utc())  # fmt: skip
    db.add(project)
    db.commit()
    return cc_project(project)


@router.get("/projects/{project_id}", response_model=s.Project)
def get_project(project_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """Return a project."""
    return cc_project(check_project(who, db, project_id.lower()))


@router.patch("/projects/{project_id}", response_model=s.Project)
def patch_project(project_id: str, body: s.ProjectPatch, who: Caller, db: Db) -> dict[str, Any]:
    """Change a project's name, description or visibility (members and owners)."""
    _people_only(who)
    project = check_project(who, db, project_id.lower(), write=True)
    for name in ("name", "description", "public"):
        value = getattr(body, name)
        if value is not None:
            setattr(project, name, value)
    db.commit()
    return cc_project(project)


@router.delete("/projects/{project_id}", status_code=204)
def delete_project(project_id: str, who: Caller, db: Db) -> Response:
    """Delete a project and all it holds (owners)."""
    _people_only(who)
    project = check_project(who, db, project_id.lower())
    check_org(who, project.organisation_id, least="owner")
    runs = select(m.Run.id).where(m.Run.project_id == project.id)
    db.execute(delete(m.Sample).where(m.Sample.run_id.in_(runs)))
    db.execute(delete(m.Run).where(m.Run.project_id == project.id))
    db.execute(delete(m.Experiment).where(m.Experiment.project_id == project.id))
    db.execute(delete(m.ProjectToken).where(m.ProjectToken.project_id == project.id))
    db.delete(project)
    db.commit()
    return Response(status_code=204)


def _token_out(t: m.ProjectToken, token: str | None = None) -> dict[str, Any]:
    return {"id": t.id, "project_id": t.project_id, "name": t.name, "token": token,
            "prefix": t.prefix, "last_used": t.last_used, "expires_at": t.expires_at,
            "access": t.access, "revoked": t.revoked}  # fmt: skip


@router.post("/projects/{project_id}/api-tokens", status_code=201, response_model=s.ProjectToken)
def create_token(
    project_id: str, body: s.ProjectTokenCreate, who: Caller, db: Db
) -> dict[str, Any]:
    """Make a project token; the answer is the only time it is shown."""
    _people_only(who)
    project = check_project(who, db, project_id.lower(), write=True)
    if body.expires_at is not None and utc(body.expires_at) <= now_utc():
        raise HTTPException(status_code=422, detail="expires_at: must be in the future")
    token = new_token()
    row = m.ProjectToken(
        id=m.new_id(), project_id=project.id, name=body.name or "",
        prefix=token[:SHOWN_PREFIX_CHARS],
        token_sha256=token_sha256(token), access=body.access, revoked=False,
        expires_at=body.expires_at and utc(body.expires_at), created_at=now_utc(),
    )  # fmt: skip
    db.add(row)
    db.commit()
    return _token_out(row, token)


@router.get("/projects/{project_id}/api-tokens", response_model=list[s.ProjectToken])
def list_tokens(project_id: str, who: Caller, db: Db) -> list[dict[str, Any]]:
    """List a project's tokens (never the tokens themselves)."""
    _people_only(who)
    project = check_project(who, db, project_id.lower(), write=True)
    rows = db.execute(
        select(m.ProjectToken).where(m.ProjectToken.project_id == project.id)
        .order_by(m.ProjectToken.created_at)
    )  # fmt: skip
    return [_token_out(t) for t in rows.scalars()]


@router.delete("/projects/{project_id}/api-tokens/{token_id}", status_code=204)
def revoke_token(project_id: str, token_id: str, who: Caller, db: Db) -> Response:
    """Revoke a project token (it is kept, marked revoked, and refused from now on)."""
    _people_only(who)
    project = check_project(who, db, project_id.lower(), write=True)
    row = db.get(m.ProjectToken, token_id.lower())
    if row is None or row.project_id != project.id:
        raise forbidden()
    row.revoked = True
    db.commit()
    return Response(status_code=204)
