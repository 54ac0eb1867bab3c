"""OIDC sign-in against a stand-in provider on loopback, on SQLite and PostgreSQL.

The provider (``oidc_provider.py``) and the wattprint server both run under
uvicorn on free loopback ports; an httpx client plays the browser, following
the redirects from wattprint to the provider and back. A new person gets an
account in the configured organisation as a viewer and the session cookie
works on the dashboard; each way a provider's answer can be wrong is refused
with a page saying why, a log line, and no session.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.server.conftest import ADMIN, Setup, free_port, make_setup, serving

httpx = pytest.importorskip("httpx", reason="needs wattprint[server-test]")
pytest.importorskip("authlib", reason="needs wattprint[server]")

from tests.server.oidc_provider import Person, StandInProvider  # noqa: E402

from wattprint.server.config import OidcSettings, ServerSettings  # noqa: E402

SESSION = "wattprint_session"


@pytest.fixture(scope="module")
def provider() -> Iterator[StandInProvider]:
    stand_in = StandInProvider()
    stand_in.start(free_port())
    yield stand_in
    stand_in.stop()


@pytest.fixture(autouse=True)
def _fresh(provider: StandInProvider) -> None:
    provider.fault = None
    provider.person = Person(sub="sub-" + uuid.uuid4().hex[:10],
                             email=f"p-{uuid.uuid4().hex[:8]}@example.org")  # fmt: skip


@dataclass
class Site:
    url: str
    app: Any
    setup: Setup


def _settings(db_target: tuple[str, str | None], oidc: OidcSettings) -> ServerSettings:
    url, schema = db_target
    return ServerSettings(db_url=url, db_schema=schema, admin_token=ADMIN, oidc=oidc)


@pytest.fixture(scope="module")
def site(db_target: tuple[str, str | None], app: Any, provider: StandInProvider) -> Iterator[Site]:
    """The wattprint server with OIDC on, live; new accounts join an organisation as viewers."""
    from fastapi.testclient import TestClient

    from wattprint.server import create_app

    setup = make_setup(TestClient(app))  # the plain app on the same database makes the org
    oidc = OidcSettings(issuer=provider.issuer, client_id=provider.client_id,
                        client_secret=provider.client_secret, name="Stand-in ID",
                        organisation_id=setup.org, role="viewer")  # fmt: skip
    oidc_app = create_app(_settings(db_target, oidc))
    with serving(oidc_app) as url:
        yield Site(url=url, app=oidc_app, setup=setup)


def _browser() -> Any:
    """Return a client that follows redirects across both servers, as a browser does."""
    return httpx.Client(follow_redirects=True, timeout=20)


def _sign_in(site: Site, browser: Any) -> Any:
    """Run the whole flow from the sign-in button; return the last answer."""
    return browser.get(site.url + "/oidc/login")


def _user(site: Site, email: str) -> Any:
    from sqlalchemy import select

    from wattprint.server import models as m

    with site.app.state.sessions() as db:
        return db.execute(select(m.User).where(m.User.email == email)).scalar_one_or_none()


def test_signin_page_offers_the_provider_only_when_configured(site: Site, client: Any) -> None:
    assert "Sign in with Stand-in ID" in httpx.get(site.url + "/signin").text
    assert "/oidc/login" not in client.get("/signin").text
    assert client.get("/oidc/login").status_code == 404


def test_first_sign_in_makes_a_viewer_account_whose_session_works(
    site: Site, provider: StandInProvider
) -> None:
    with _browser() as browser:
        answer = _sign_in(site, browser)
        assert answer.status_code == 200, answer.text
        assert urlsplit(str(answer.url)).path == "/ui"
        hops = [urlsplit(str(r.url)) for r in answer.history]
        assert [h.path for h in hops] == ["/oidc/login", "/authorize", "/oidc/callback"]
        assert f"{hops[1].hostname}:{hops[1].port}" == urlsplit(provider.issuer).netloc
        assert browser.cookies.get(SESSION)
        assert provider.token_requests[-1]["method"] == "client_secret_basic"
        assert provider.token_requests[-1]["code_verifier"]  # PKCE was used
        org = browser.get(f"{site.url}/ui/orgs/{site.setup.org}")
        assert org.status_code == 200 and "project-" in org.text
        project = browser.get(f"{site.url}/ui/projects/{site.setup.project}")
        assert project.status_code == 200
    user = _user(site, provider.person.email)
    assert user is not None and user.name == provider.person.name
    from wattprint.server import models as m

    with site.app.state.sessions() as db:
        assert db.get(m.Membership, (user.id, site.setup.org)).role == "viewer"
        identity = db.get(m.OidcIdentity, (provider.issuer, provider.person.sub))
        assert identity is not None and identity.user_id == user.id


def test_the_same_person_signs_in_again_to_the_same_account_even_with_a_new_email(
    site: Site, provider: StandInProvider
) -> None:
    with _browser() as first:
        assert _sign_in(site, first).status_code == 200
    user = _user(site, provider.person.email)
    provider.person.email = "renamed-" + provider.person.email
    with _browser() as second:
        assert _sign_in(site, second).status_code == 200
        me = second.get(site.url + "/api/organizations")
        assert [o["id"] for o in me.json()] == [site.setup.org]
    assert _user(site, provider.person.email) is None  # no second account
    from wattprint.server import models as m

    with site.app.state.sessions() as db:
        identity = db.get(m.OidcIdentity, (provider.issuer, provider.person.sub))
        assert identity.user_id == user.id and identity.email == provider.person.email


def test_the_button_signs_in_in_chromium(site: Site, provider: StandInProvider,
                                         tmp_path: Any) -> None:  # fmt: skip
    """Debian's Chromium clicks the button; the cookies and redirects work in a real browser."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="needs wattprint[server-test]")
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(site.url + "/signin")
            page.screenshot(path=str(tmp_path / "signin-oidc.png"))
            page.click("text=Sign in with Stand-in ID")
            page.wait_for_url(site.url + "/ui")
            page.click(f"a[href='/ui/orgs/{site.setup.org}']")
            page.wait_for_url(f"{site.url}/ui/orgs/{site.setup.org}")
            page.screenshot(path=str(tmp_path / "org-after-oidc.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert _user(site, provider.person.email) is not None


def test_an_oidc_account_has_no_password(site: Site, provider: StandInProvider) -> None:
    with _browser() as browser:
        assert _sign_in(site, browser).status_code == 200
    browser = httpx.Client(timeout=20)
    with browser:
        form = browser.get(site.url + "/signin")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        answer = browser.post(site.url + "/signin", data={
            "email": provider.person.email, "password": "!none", "csrf": csrf})  # fmt: skip
        assert answer.status_code == 401 and SESSION not in browser.cookies


def test_a_verified_email_links_the_local_account(site: Site, provider: StandInProvider) -> None:
    from wattprint.server.bootstrap import add_user

    with site.app.state.sessions() as db:
        local = add_user(db, site.setup.org, provider.person.email.upper(), "a long password",
                         role="member")  # fmt: skip
    with _browser() as browser:
        answer = _sign_in(site, browser)
        assert answer.status_code == 200
        users = browser.get(f"{site.url}/api/organizations/{site.setup.org}/users").json()
        assert {u["id"]: u["role"] for u in users}[local.id] == "member"
    assert _user(site, provider.person.email) is None  # linked, not made


def test_email_from_userinfo_when_the_id_token_has_none(
    site: Site, provider: StandInProvider
) -> None:
    provider.fault = "email_in_userinfo_only"
    with _browser() as browser:
        answer = _sign_in(site, browser)
    assert answer.status_code == 200, answer.text
    assert _user(site, provider.person.email) is not None


REFUSALS = [
    ("wrong_state", 400, "the state did not match"),
    ("wrong_nonce", 401, "does not carry the nonce of this sign-in"),
    ("other_key", 401, "not signed by any of the keys it publishes"),
    ("unknown_kid", 401, "not signed by any of the keys it publishes"),
    ("wrong_audience", 401, "was issued for another client"),
    ("wrong_audience_with_azp", 401, "was issued for another client"),
    ("expired", 401, "ID token has expired"),
    ("wrong_issuer", 401, "was not issued by"),
    ("deny", 401, "refused the sign-in (access_denied: The person said no)"),
    ("no_id_token", 502, "sent no ID token"),
]


@pytest.mark.parametrize(("fault", "status", "message"), REFUSALS)
def test_a_bad_answer_is_refused_with_a_clear_page(
    site: Site, provider: StandInProvider, caplog: pytest.LogCaptureFixture,
    fault: Any, status: int, message: str,
) -> None:  # fmt: skip
    provider.fault = fault
    with caplog.at_level(logging.WARNING, logger="wattprint.server.oidc"), _browser() as browser:
        answer = _sign_in(site, browser)
        assert answer.status_code == status, answer.text
        assert urlsplit(str(answer.url)).path == "/oidc/callback"
        assert message in answer.text.replace("&#39;", "'")
        assert "Sign in with Stand-in ID" in answer.text  # the page lets them try again
        assert SESSION not in browser.cookies
    assert _user(site, provider.person.email) is None
    assert any(message in r.getMessage() for r in caplog.records), caplog.text


def test_an_unverified_email_is_refused(site: Site, provider: StandInProvider) -> None:
    provider.person.email_verified = False
    with _browser() as browser:
        answer = _sign_in(site, browser)
        assert answer.status_code == 403
        assert f"has not verified the email address {provider.person.email}" in answer.text
        assert SESSION not in browser.cookies
    assert _user(site, provider.person.email) is None


def test_a_wrong_client_secret_is_refused(site: Site, provider: StandInProvider) -> None:
    real = provider.client_secret
    provider.client_secret = "another secret"
    try:
        with _browser() as browser:
            answer = _sign_in(site, browser)
            assert answer.status_code == 401 and "invalid_client" in answer.text
            assert SESSION not in browser.cookies
            assert real not in answer.text
    finally:
        provider.client_secret = real


def test_a_replayed_callback_is_refused(site: Site, provider: StandInProvider) -> None:
    with _browser() as browser:
        answer = _sign_in(site, browser)
        callback = str(answer.history[-1].url)
        browser.cookies.delete(SESSION)
        again = browser.get(callback)
        assert again.status_code == 400 and "the state did not match" in again.text
        assert SESSION not in browser.cookies


def test_another_worker_finishes_a_sign_in_begun_by_the_first(
    site: Site, provider: StandInProvider, db_target: tuple[str, str | None]
) -> None:
    """No state in the process: a second app on the same database takes the callback."""
    from fastapi.testclient import TestClient

    from wattprint.server import create_app

    browser = httpx.Client(follow_redirects=False, timeout=20)
    with browser:
        to_provider = browser.get(site.url + "/oidc/login")
        assert to_provider.status_code == 302
        back = browser.get(to_provider.headers["location"])
        callback = urlsplit(back.headers["location"])
        other = create_app(site.app.state.settings, migrate_db=False)
        with TestClient(other, base_url=site.url) as worker:
            worker.cookies = browser.cookies
            done = worker.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/ui"
        assert SESSION in done.cookies


def test_an_unreachable_provider_gives_a_clear_page(
    db_target: tuple[str, str | None], caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from wattprint.server import create_app

    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(_settings(db_target, OidcSettings(issuer=issuer, client_id="x")))
    with caplog.at_level(logging.WARNING, logger="wattprint.server.oidc"):
        answer = TestClient(app).get("/oidc/login", follow_redirects=False)
    assert answer.status_code == 502
    assert f"Could not reach the identity provider at {issuer}" in answer.text
    assert "Could not reach" in caplog.text


def test_a_discovery_document_naming_another_issuer_is_refused(
    db_target: tuple[str, str | None], provider: StandInProvider
) -> None:
    from fastapi.testclient import TestClient

    from wattprint.server import create_app

    configured = provider.issuer + "/"  # the same document; it names provider.issuer
    with TestClient(create_app(_settings(db_target, OidcSettings(
            issuer=configured, client_id=provider.client_id)))) as client:  # fmt: skip
        answer = client.get("/oidc/login", follow_redirects=False)
    assert answer.status_code == 502
    assert f"names the issuer '{provider.issuer}', not '{configured}'" in answer.text.replace(
        "&#39;", "'")
    wrong = provider.issuer + "/realms/none"  # no discovery document there
    with TestClient(create_app(_settings(db_target, OidcSettings(
            issuer=wrong, client_id=provider.client_id)))) as client:  # fmt: skip
        answer = client.get("/oidc/login", follow_redirects=False)
    assert answer.status_code == 502
    assert (f"answered HTTP 404 to {wrong}/.well-known/openid-configuration; check the issuer "
            f"URL") in answer.text


def test_owners_add_and_remove_people(site: Site, provider: StandInProvider) -> None:
    """An owner sets a signed-in person's role (CodeCarbon's add-user) and takes them out."""
    from fastapi.testclient import TestClient

    h = {"Authorization": f"Bearer {ADMIN}"}
    admin = TestClient(site.app)
    missing = admin.post(f"/api/organizations/{site.setup.org}/add-user",
                         json={"email": "nobody@example.org"}, headers=h)  # fmt: skip
    assert missing.status_code == 404 and "nobody@example.org" in missing.json()["detail"]
    with _browser() as browser:
        assert _sign_in(site, browser).status_code == 200
    user = _user(site, provider.person.email)
    added = admin.post(f"/api/organizations/{site.setup.org}/add-user",
                       json={"email": provider.person.email, "role": "owner"}, headers=h)
    assert added.status_code == 200 and added.json()["role"] == "owner"
    bad = admin.post(f"/api/organizations/{site.setup.org}/add-user",
                     json={"email": provider.person.email, "role": "boss"}, headers=h)
    assert bad.status_code == 422 and "role" in bad.text
    users = admin.get(f"/api/organizations/{site.setup.org}/users", headers=h).json()
    assert {u["id"]: u["is_admin"] for u in users}[user.id] is True
    gone = f"/api/organizations/{site.setup.org}/users/{user.id}"
    last = admin.delete(gone, headers=h)  # the organisation's only owner stays
    assert last.status_code == 409 and "at least one owner" in last.json()["detail"]
    from wattprint.server.bootstrap import add_user

    with site.app.state.sessions() as db:
        add_user(db, site.setup.org, f"o-{uuid.uuid4().hex[:8]}@example.org", "long password",
                 role="owner")  # fmt: skip
    assert admin.delete(gone, headers=h).status_code == 204
    assert admin.delete(gone, headers=h).status_code == 403  # not a member any more
    users = admin.get(f"/api/organizations/{site.setup.org}/users", headers=h).json()
    assert user.id not in {u["id"] for u in users}


def test_without_an_organisation_a_new_account_sees_none(
    db_target: tuple[str, str | None], provider: StandInProvider
) -> None:
    from fastapi.testclient import TestClient

    from wattprint.server import create_app

    oidc = OidcSettings(issuer=provider.issuer, client_id=provider.client_id,
                        client_secret=provider.client_secret)  # fmt: skip
    app = create_app(_settings(db_target, oidc))
    with serving(app) as url, httpx.Client(follow_redirects=True, timeout=20) as browser:
        answer = browser.get(url + "/oidc/login")
        assert answer.status_code == 200 and urlsplit(str(answer.url)).path == "/ui"
        assert browser.get(url + "/api/organizations").json() == []
    from wattprint.server import models as m

    with app.state.sessions() as db:
        user = db.query(m.User).filter(m.User.email == provider.person.email).one()
        assert db.query(m.Membership).filter(m.Membership.user_id == user.id).count() == 0
    assert TestClient(app).get("/signin").text.count("Sign in with 127.0.0.1") == 1
