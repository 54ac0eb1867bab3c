"""A stand-in OpenID Connect provider for the tests: small, but real HTTP on a loopback port.

It serves what a real provider serves to a web client: the discovery
document, the JWKS, ``/authorize`` (which approves its one configured person
at once: there is no login form), ``/token`` (which checks the client's
secret, the code, the redirect URI and the PKCE verifier) and ``/userinfo``.
Its ID tokens are RS256, signed with an RSA key made at start; the JWS is
written here by hand with ``cryptography``, so the verification on the
wattprint side (authlib, joserfc) shares no code with the signer.

``fault`` turns one thing wrong at a time, as a broken or hostile provider
(or a man in the middle) would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

Fault = Literal[
    "wrong_state",  # /authorize answers with another state than it was given
    "wrong_nonce",  # the ID token carries another nonce
    "other_key",  # signed with a key the JWKS does not hold, under the published kid
    "unknown_kid",  # signed with a key the JWKS does not hold, under a kid it does not know
    "wrong_audience",  # issued for another client
    "wrong_audience_with_azp",  # issued for another client, naming this one as azp
    "expired",  # expired an hour ago
    "wrong_issuer",  # names another issuer
    "email_in_userinfo_only",  # the ID token has no email; /userinfo has it
    "deny",  # the person declines: /authorize answers error=access_denied
    "no_id_token",  # /token answers an access token alone (plain OAuth 2.0)
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def sign_rs256(key: rsa.RSAPrivateKey, kid: str, claims: dict[str, Any]) -> str:
    """Return a compact JWS (RS256) of ``claims``."""
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    ).encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input.decode() + "." + b64url(signature)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64url(_int_bytes(numbers.n)), "e": b64url(_int_bytes(numbers.e))}  # fmt: skip


@dataclass
class Person:
    """The one person the provider signs in."""

    sub: str = "stand-in-user-1"
    email: str = "ada@example.org"
    email_verified: bool = True
    name: str = "Ada Lovelace"

    def claims(self) -> dict[str, Any]:
        return {"sub": self.sub, "email": self.email, "email_verified": self.email_verified,
                "name": self.name}  # fmt: skip


@dataclass
class StandInProvider:
    """The provider; ``start()`` serves it with uvicorn on a free loopback port."""

    client_id: str = "wattprint-tests"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person: Person = field(default_factory=Person)
    fault: Fault | None = None
    issuer: str = ""
    kid: str = "stand-in-key-1"
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    other_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    # --- the endpoints ------------------------------------------------------------

    def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        })  # fmt: skip

    def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [public_jwk(self.key, self.kid)]})

    def authorize(self, request: Request) -> Response:
        q = request.query_params
        problems = [
            name for name, ok in (
                ("client_id", q.get("client_id") == self.client_id),
                ("response_type", q.get("response_type") == "code"),
                ("scope", "openid" in q.get("scope", "").split()),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", bool(q.get("code_challenge"))),
                ("redirect_uri", bool(q.get("redirect_uri"))),
                ("state", bool(q.get("state"))),
                ("nonce", bool(q.get("nonce"))),
            ) if not ok
        ]  # fmt: skip
        if problems:
            return JSONResponse({"error": "invalid_request", "bad": problems}, status_code=400)
        state = q["state"]
        if self.fault == "deny":
            answer = {"error": "access_denied", "error_description": "The person said no",
                      "state": state}  # fmt: skip
            return RedirectResponse(q["redirect_uri"] + "?" + urlencode(answer), status_code=302)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"redirect_uri": q["redirect_uri"], "challenge": q["code_challenge"],
                            "nonce": q["nonce"], "person": self.person.claims()}  # fmt: skip
        if self.fault == "wrong_state":
            state = secrets.token_urlsafe(20)
        return RedirectResponse(
            q["redirect_uri"] + "?" + urlencode({"code": code, "state": state}), status_code=302
        )

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            given_id, _, given_secret = base64.b64decode(auth[6:]).decode().partition(":")
            method = "client_secret_basic"
        else:
            given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
            method = "client_secret_post"
        self.token_requests.append({"method": method, **{k: str(v) for k, v in form.items()}})
        if given_id != self.client_id or not secrets.compare_digest(
            str(given_secret), self.client_secret
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        grant = self.codes.pop(str(form.get("code", "")), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant",
                                 "error_description": "PKCE verifier does not match"},
                                status_code=400)  # fmt: skip
        access_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = grant["person"]
        answer = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                  "scope": "openid email profile"}  # fmt: skip
        if self.fault != "no_id_token":
            answer["id_token"] = self.id_token(grant, access_token)
        return JSONResponse(answer)

    def id_token(self, grant: dict[str, Any], access_token: str) -> str:
        now = int(time.time())
        digest = hashlib.sha256(access_token.encode()).digest()
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": grant["person"]["sub"], "aud": self.client_id,
            "iat": now, "exp": now + 300, "nonce": grant["nonce"],
            "at_hash": b64url(digest[:16]), **grant["person"],
        }  # fmt: skip
        key, kid = self.key, self.kid
        if self.fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(20)
        elif self.fault == "other_key":
            key = self.other_key
        elif self.fault == "unknown_kid":
            key, kid = self.other_key, "not-published"
        elif self.fault == "wrong_audience":
            claims["aud"] = "another-client"
        elif self.fault == "wrong_audience_with_azp":
            claims["aud"], claims["azp"] = "another-client", self.client_id
        elif self.fault == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.fault == "wrong_issuer":
            claims["iss"] = "https://impostor.example.org"
        elif self.fault == "email_in_userinfo_only":
            for name in ("email", "email_verified", "name"):
                claims.pop(name)
        return sign_rs256(key, kid, claims)

    def userinfo(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        person = self.access_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if person is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(person)

    # --- serving ------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo),
        ])  # fmt: skip

    def start(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self._server.started:
            raise RuntimeError("the stand-in OIDC provider did not start")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
