"""Who an OIDC sign-in is: the provider's claims mapped to one of the server's people.

An identity is keyed by the provider's issuer and ``sub`` (stable, never
reused), not by email, which people change. The first sign-in of an
identity needs an email address the provider has verified
(``email_verified`` true): it is linked to the account with that email if
there is one (so an owner made with a password can also sign in through the
provider), else a new account is made without a password. A new account
joins the organisation the settings name with their role, or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wattprint import _log
from wattprint.server import models as m
from wattprint.server.config import OidcSettings
from wattprint.server.store import now_utc

logger = _log.get("wattprint.server.oidc")


class SignInRefused(Exception):
    """An OIDC sign-in that is refused; ``message`` is shown to the person (it names no secret)."""

    def __init__(self, message: str, status_code: int = 403) -> None:
        self.message = message
        self.status_code = status_code
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Identity:
    """What the provider says about the person (from the verified ID token, or userinfo).

    Attributes:
        subject: the ``sub`` claim: the person's stable id at the provider.
        email: the ``email`` claim, or "" when the provider sent none.
        email_verified: the ``email_verified`` claim (False when absent).
        name: the ``name`` claim, or "".
    """

    subject: str
    email: str
    email_verified: bool
    name: str

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        """Return the identity in ``claims``; refuse claims without a ``sub``."""
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise SignInRefused("The identity provider sent no usable 'sub' (subject).", 502)
        email = claims.get("email")
        name = claims.get("name")
        return cls(
            subject=subject,
            email=email.strip() if isinstance(email, str) else "",
            email_verified=claims.get("email_verified") is True,
            name=name.strip()[:200] if isinstance(name, str) else "",
        )


def account_for(db: Session, oidc: OidcSettings, who: Identity) -> str:
    """Return the id of the person ``who`` is, linking or making the account on first sign-in.

    Raises:
        SignInRefused: no verified email on a first sign-in, or the settings
            name an organisation that does not exist.
    """
    for _attempt in range(2):  # a second try when a concurrent first sign-in won the race
        try:
            return _account_for(db, oidc, who)
        except IntegrityError:
            db.rollback()
    raise SignInRefused("The sign-in collided with another one; try again.", 409)


def _account_for(db: Session, oidc: OidcSettings, who: Identity) -> str:
    now = now_utc()
    known = db.get(m.OidcIdentity, (oidc.issuer, who.subject))
    if known is not None:
        known.last_signed_in_at = now
        if who.email:
            known.email = who.email[:320]
        db.commit()
        return known.user_id
    if not who.email:
        raise SignInRefused(
            "The identity provider sent no email address; this server needs "
            "one (ask for the 'email' scope, or give the account an email)."
        )
    if not who.email_verified:
        raise SignInRefused(f"The identity provider has not verified the email address "
                            f"{who.email}; verify it there, then sign in again.")  # fmt: skip
    user = db.execute(
        select(m.User).where(func.lower(m.User.email) == who.email.lower())
    ).scalar_one_or_none()
    if user is None:
        user = _new_account(db, oidc, who)
        logger.info("wattprint server: new account %s from OIDC (%s)", who.email, oidc.issuer)
    else:
        logger.info("wattprint server: OIDC identity of %s linked to its account", who.email)
    db.add(m.OidcIdentity(issuer=oidc.issuer, subject=who.subject, user_id=user.id,
                          email=who.email[:320], created_at=now,
                          last_signed_in_at=now))  # fmt: skip
    db.commit()
    return user.id


def _new_account(db: Session, oidc: OidcSettings, who: Identity) -> m.User:
    if oidc.organisation_id is not None and db.get(m.Organisation, oidc.organisation_id) is None:
        logger.error("wattprint server: the OIDC setting WATTPRINT_SERVER_OIDC_ORG=%s names no "
                     "organisation; new accounts cannot be made", oidc.organisation_id)  # fmt: skip
        raise SignInRefused("This server's sign-in settings name an organisation that does not "
                            "exist; tell its administrator.", 503)  # fmt: skip
    user = m.User(id=m.new_id(), email=who.email[:320], name=who.name or who.email.split("@")[0],
                  password_hash=m.NO_PASSWORD, created_at=now_utc())  # fmt: skip
    db.add(user)
    db.flush()  # the identity and the membership point at the user: write it first
    if oidc.organisation_id is not None:
        db.add(m.Membership(user_id=user.id, organisation_id=oidc.organisation_id,
                            role=oidc.role))  # fmt: skip
    return user
