"""The first start: an organisation, a project and an owner account, and how to sign in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wattprint.server import models as m
from wattprint.server.security import hash_password
from wattprint.server.store import now_utc


@dataclass(frozen=True, slots=True)
class FirstOwner:
    """The account made at the first start (its password is shown once)."""

    email: str
    password: str
    organisation_id: str


def ensure_owner(db: Session, *, email: str = "owner@localhost") -> FirstOwner | None:
    """Make the first owner, organisation and project if there are no users yet."""
    if db.execute(select(func.count(m.User.id))).scalar_one():
        return None
    password = secrets.token_urlsafe(12)
    now = now_utc()
    user = m.User(id=m.new_id(), email=email, name="Owner", password_hash=hash_password(password),
                  created_at=now)  # fmt: skip
    org = db.execute(select(m.Organisation).order_by(m.Organisation.created_at).limit(1)).scalar()
    if org is None:
        org = m.Organisation(id=m.new_id(), name="My organisation", description="", created_at=now)
        db.add(org)
        db.add(m.Project(id=m.new_id(), organisation_id=org.id, name="default", description="",
                         public=False, created_at=now))  # fmt: skip
    db.add(user)
    db.flush()  # the membership points at the user and the organisation: write them first
    db.add(m.Membership(user_id=user.id, organisation_id=org.id, role="owner"))
    db.commit()
    return FirstOwner(email=email, password=password, organisation_id=org.id)


def add_user(
    db: Session, organisation_id: str, email: str, password: str, role: str = "member"
) -> m.User:
    """Make a local account with a role in an organisation."""
    user = m.User(id=m.new_id(), email=email, name=email.split("@")[0],
                  password_hash=hash_password(password), created_at=now_utc())  # fmt: skip
    db.add(user)
    db.flush()  # the membership points at the user: write it first
    db.add(m.Membership(user_id=user.id, organisation_id=organisation_id, role=role))
    db.commit()
    return user
