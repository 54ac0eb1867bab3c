"""An organisation's people, at CodeCarbon's paths: list them, add one, remove one.

``GET /organizations/{id}/users`` and ``POST /organizations/{id}/add-user``
are CodeCarbon's (its ``OrganizationUser`` fields, ``is_admin`` meaning
owner); ``add-user`` takes wattprint's ``role`` too, and sets the role of a
person already in the organisation. A person is added by the email of an
account that exists: one made at the first start, or by a first OIDC
sign-in (which joins no organisation unless the server's settings name one).
Only owners add and remove; the last owner cannot be removed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from wattprint.server import models as m
from wattprint.server.access import Principal, check_org, forbidden
from wattprint.server.deps import Caller, Db

router = APIRouter(tags=["organisations"])


class AddUser(BaseModel):
    """Who to add to an organisation, and with which role (CodeCarbon sends only the email)."""

    model_config = ConfigDict(extra="ignore")
    email: Annotated[str, Field(min_length=3, max_length=320)]
    role: Literal["viewer", "member", "owner"] = "member"


def _organisation(who: Principal, db: Db, organisation_id: str, least: str) -> m.Organisation:
    org = db.get(m.Organisation, organisation_id.lower())
    if org is None:
        raise forbidden()
    check_org(who, org.id, least=least)
    return org


@router.get("/organizations/{organisation_id}/users")
def list_users(organisation_id: str, who: Caller, db: Db) -> list[dict[str, Any]]:
    """List an organisation's people with their roles (its members see it)."""
    org = _organisation(who, db, organisation_id, "viewer")
    rows = db.execute(
        select(m.User, m.Membership.role)
        .join(m.Membership, m.Membership.user_id == m.User.id)
        .where(m.Membership.organisation_id == org.id)
        .order_by(m.User.email)
    ).all()
    return [
        {"id": user.id, "name": user.name, "email": user.email, "organizations": [org.id],
         "is_active": True, "organization_id": org.id, "is_admin": role == "owner",
         "role": role}
        for user, role in rows
    ]  # fmt: skip


@router.post("/organizations/{organisation_id}/add-user")
def add_user(organisation_id: str, body: AddUser, who: Caller, db: Db) -> dict[str, str]:
    """Add the person with ``email`` to the organisation, or set their role (owners only)."""
    org = _organisation(who, db, organisation_id, "owner")
    email = body.email.strip()
    user = db.execute(
        select(m.User).where(func.lower(m.User.email) == email.lower())
    ).scalar_one_or_none()
    if user is None:
        raise HTTPException(status_code=404, detail=f"No account has the email {email!r}: the "
                            "person signs in once (through OIDC) to have one")  # fmt: skip
    membership = db.get(m.Membership, (user.id, org.id))
    if membership is None:
        db.add(m.Membership(user_id=user.id, organisation_id=org.id, role=body.role))
    else:
        if membership.role == "owner" and body.role != "owner":
            _keep_an_owner(db, org.id)
        membership.role = body.role
    db.commit()
    return {"status": "ok", "user_id": user.id, "role": body.role}


@router.delete("/organizations/{organisation_id}/users/{user_id}", status_code=204)
def remove_user(organisation_id: str, user_id: str, who: Caller, db: Db) -> Response:
    """Take a person out of the organisation (owners only; not its last owner)."""
    org = _organisation(who, db, organisation_id, "owner")
    membership = db.get(m.Membership, (user_id.lower(), org.id))
    if membership is None:
        raise forbidden()
    if membership.role == "owner":
        _keep_an_owner(db, org.id)
    db.delete(membership)
    db.commit()
    return Response(status_code=204)


def _keep_an_owner(db: Db, organisation_id: str) -> None:
    owners = db.execute(
        select(func.count()).where(
            m.Membership.organisation_id == organisation_id, m.Membership.role == "owner"
        )
    ).scalar_one()
    if owners <= 1:
        raise HTTPException(status_code=409, detail="An organisation keeps at least one owner")
