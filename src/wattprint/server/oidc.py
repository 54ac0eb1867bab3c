"""Sign-in through an OpenID Connect provider (optional; authlib's Starlette client).

The flow, on two routes:

1. ``GET /oidc/login`` reads the provider's discovery document
   (``{issuer}/.well-known/openid-configuration``, cached per worker) and
   sends the browser to its authorization endpoint: the authorization-code
   flow with PKCE (S256), a random ``state`` and a random ``nonce``.
2. ``GET /oidc/callback`` checks ``state`` against the sign-in begun in
   this browser, trades the code for tokens at the token endpoint (with the
   client secret and the PKCE verifier), and verifies the ID token: its
   signature against the provider's JWKS, ``iss``, ``aud`` (this client),
   ``exp``, and ``nonce``. The person it names gets the same session cookie
   as a password sign-in (:mod:`wattprint.server.oidc_accounts` says which
   account that is).

State, nonce and PKCE verifier travel in a signed cookie of their own
(``wattprint_oidc``: HttpOnly, SameSite=Lax, path ``/oidc``, 10 minutes),
so any worker or host can finish a sign-in another began. Every failure
(provider unreachable, bad state, a token that does not verify, an
unverified email) answers the sign-in page with a message saying what went
wrong, and one log line; the client secret is never shown or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from wattprint import _log
from wattprint.errors import MissingDependencyError
from wattprint.server.access import Principal
from wattprint.server.config import OidcSettings
from wattprint.server.dashboard import signin_page, start_session
from wattprint.server.deps import Caller
from wattprint.server.oidc_accounts import Identity, SignInRefused, account_for

logger = _log.get("wattprint.server.oidc")

FLOW_COOKIE = "wattprint_oidc"
FLOW_MAX_AGE_S = 600  # a sign-in must come back from the provider within this. Units: s.
HTTP_TIMEOUT_S = 10.0  # each request to the provider. Units: s.
SCOPES = "openid email profile"

router = APIRouter(include_in_schema=False)


def install(app: FastAPI, oidc: OidcSettings) -> None:
    """Add the OIDC routes to ``app``, and the cookie that carries a sign-in in progress.

    Raises:
        MissingDependencyError: authlib or httpx is not installed.
    """
    try:
        import authlib.deprecate  # type: ignore[import-untyped]  # noqa: F401  (its filters first)

        with warnings.catch_warnings():
            # authlib 1.9 prefers httpx2 (Python 3.11+) and says so once per process; it uses
            # httpx just as well, and this server supports Python 3.10: not the operator's to fix
            warnings.filterwarnings("ignore", message="The httpx module is deprecated")
            from authlib.integrations.starlette_client import (  # type: ignore[import-untyped]
                OAuth,
            )
    except ImportError as err:
        raise MissingDependencyError(err.name or "authlib", "server") from err
    from starlette.middleware.sessions import SessionMiddleware

    client_kwargs: dict[str, Any] = {
        "scope": SCOPES, "code_challenge_method": "S256", "timeout": HTTP_TIMEOUT_S,
    }  # fmt: skip
    if oidc.client_secret is None:  # a public client: PKCE alone
        client_kwargs["token_endpoint_auth_method"] = "none"
    oauth = OAuth()
    oauth.register("wattprint", client_id=oidc.client_id, client_secret=oidc.client_secret,
                   server_metadata_url=oidc.discovery_url, client_kwargs=client_kwargs)  # fmt: skip
    app.state.oidc_client = oauth.create_client("wattprint")
    # Its own key, derived from the session key: a flow cookie never passes as a session.
    flow_key = hmac.new(app.state.session_key.encode(), b"wattprint-oidc-flow", hashlib.sha256)
    app.add_middleware(
        SessionMiddleware,
        secret_key=flow_key.hexdigest(),
        session_cookie=FLOW_COOKIE,
        max_age=FLOW_MAX_AGE_S,
        path="/oidc",
        same_site="lax",  # the provider's redirect back is a top-level navigation
        https_only=app.state.settings.secure_cookies,
    )
    app.include_router(router)


def _http_errors() -> tuple[type[Exception], ...]:
    """Return the HTTP client's errors: httpx's, and httpx2's where authlib uses that."""
    import importlib

    import httpx

    found: list[type[Exception]] = [httpx.HTTPError]
    try:
        found.append(importlib.import_module("httpx2").HTTPError)
    except ImportError:
        pass
    return tuple(found)


def _http_problem(err: Exception, oidc: OidcSettings) -> str:
    """Say in words what went wrong talking to the provider."""
    response = getattr(err, "response", None) if type(err).__name__ == "HTTPStatusError" else None
    if response is not None:
        return (f"The identity provider answered HTTP {response.status_code} to "
                f"{response.request.url}; check the issuer URL ({oidc.issuer}).")  # fmt: skip
    return (f"Could not reach the identity provider at {oidc.issuer} ({type(err).__name__}); "
            "try again later.")  # fmt: skip


def _refuse(request: Request, who: Principal, message: str, status_code: int) -> Response:
    logger.warning("wattprint server: OIDC sign-in refused (%s): %s", status_code, message)
    return signin_page(request, who, message, status_code)


async def _metadata(request: Request) -> dict[str, Any]:
    """Return the provider's discovery document, refusing one that names another issuer."""
    oidc: OidcSettings = request.app.state.settings.oidc
    metadata: dict[str, Any] = await request.app.state.oidc_client.load_server_metadata()
    if metadata.get("issuer") != oidc.issuer:
        raise SignInRefused(f"The identity provider's discovery document names the issuer "
                            f"{metadata.get('issuer')!r}, not {oidc.issuer!r}.", 502)  # fmt: skip
    return metadata


@router.get("/oidc/login")
async def oidc_login(request: Request, who: Caller) -> Response:
    """Send the browser to the provider (code flow, PKCE, state and nonce)."""
    oidc: OidcSettings = request.app.state.settings.oidc
    redirect_uri = oidc.redirect_url or str(request.url_for("oidc_callback"))
    try:
        await _metadata(request)
        answer: Response = await request.app.state.oidc_client.authorize_redirect(
            request, redirect_uri
        )
    except SignInRefused as err:
        return _refuse(request, who, err.message, err.status_code)
    except _http_errors() as err:
        return _refuse(request, who, _http_problem(err, oidc), 502)
    except (ValueError, KeyError, RuntimeError) as err:
        return _refuse(request, who, f"The identity provider's discovery document could not be "
                       f"used ({err}).", 502)  # fmt: skip
    return answer


@router.get("/oidc/callback")
async def oidc_callback(request: Request, who: Caller) -> Response:
    """Finish the sign-in: check state, trade the code, verify the ID token, set the session."""
    try:
        claims = await _verified_claims(request)
        identity = Identity.from_claims(claims)
        user_id = await run_in_threadpool(_account, request, identity)
    except SignInRefused as err:
        return _refuse(request, who, err.message, err.status_code)
    logger.info("wattprint server: %s signed in through OIDC", identity.email or identity.subject)
    return start_session(request, user_id)


def _account(request: Request, identity: Identity) -> str:
    with request.app.state.sessions() as db:
        return account_for(db, request.app.state.settings.oidc, identity)


async def _verified_claims(request: Request) -> dict[str, Any]:
    """Return the ID token's claims (completed from userinfo when they lack the email).

    Raises:
        SignInRefused: saying what failed, for every failure of the exchange.
    """
    from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
    from authlib.integrations.base_client import (  # type: ignore[import-untyped]
        MismatchingStateError,
    )
    from joserfc.errors import JoseError

    oidc: OidcSettings = request.app.state.settings.oidc
    client = request.app.state.oidc_client
    try:
        metadata = await _metadata(request)
        # authlib checks iss by default but aud only through azp: name both (OIDC Core 3.1.3.7)
        must = {"iss": {"essential": True, "values": [oidc.issuer]},
                "aud": {"essential": True, "values": [oidc.client_id]}}  # fmt: skip
        token = await client.authorize_access_token(request, claims_options=must)
        if not token.get("userinfo"):
            raise SignInRefused("The identity provider sent no ID token.", 502)
        claims: dict[str, Any] = dict(token["userinfo"])
        if not claims.get("email") and metadata.get("userinfo_endpoint"):
            claims = _completed(claims, dict(await client.userinfo(token=token)))
    except MismatchingStateError as err:
        raise SignInRefused(
            "This sign-in was not started in this browser, or took longer than "
            "10 minutes (the state did not match); start again.",
            400,
        ) from err
    except JoseError as err:
        raise SignInRefused(_token_problem(err, oidc), 401) from err
    except AuthlibBaseError as err:
        said = f"{err.error}: {err.description}" if err.description else str(err.error)
        raise SignInRefused(f"The identity provider refused the sign-in ({said[:300]}).",
                            401) from err  # fmt: skip
    except _http_errors() as err:
        raise SignInRefused(_http_problem(err, oidc), 502) from err
    except (ValueError, KeyError, RuntimeError) as err:
        raise SignInRefused(f"The identity provider's answer could not be read ({err}).",
                            502) from err  # fmt: skip
    return claims


def _completed(claims: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """Return the ID token's ``claims`` with the email and name that userinfo gave."""
    if info.get("sub") != claims.get("sub"):  # OpenID Connect Core 1.0, section 5.3.2
        raise SignInRefused("The identity provider's userinfo names another person than its "
                            "ID token (sub differs).", 502)  # fmt: skip
    extra: dict[str, Any] = {k: info[k] for k in ("email", "email_verified", "name") if k in info}
    return {**claims, **extra}


def _token_problem(err: Exception, oidc: OidcSettings) -> str:
    """Say in words why the ID token was refused."""
    from joserfc.errors import (
        BadSignatureError,
        ClaimError,
        ExpiredTokenError,
        InvalidKeyIdError,
    )

    if isinstance(err, ExpiredTokenError):
        return ("The identity provider's ID token has expired (check the clocks of this server "
                "and of the provider).")  # fmt: skip
    if isinstance(err, (BadSignatureError, InvalidKeyIdError)):
        return ("The identity provider's ID token is not signed by any of the keys it publishes "
                "(JWKS): refused.")  # fmt: skip
    if isinstance(err, ClaimError):
        said = {
            "aud": f"was issued for another client, not {oidc.client_id!r} (audience)",
            "nonce": "does not carry the nonce of this sign-in (a replayed or mixed-up answer)",
            "iss": f"was not issued by {oidc.issuer!r}",
        }.get(err.claim, f"has a bad or missing claim {err.claim!r}")
        return f"The identity provider's ID token {said}: refused."
    return f"The identity provider's ID token could not be verified ({err}): refused."
