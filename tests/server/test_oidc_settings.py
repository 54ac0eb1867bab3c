"""The OIDC settings: from the environment and ``wattprint serve``'s options, refused by name.

The client secret never shows in a repr, an error or the command's output.
"""

from __future__ import annotations

from typing import Any

import pytest

from wattprint.errors import ConfigError
from wattprint.server.config import OidcSettings, ServerSettings


def test_settings_from_the_environment_keep_the_secret_out_of_sight() -> None:
    env = {"WATTPRINT_SERVER_OIDC_ISSUER": "https://id.example.org/realms/team",
           "WATTPRINT_SERVER_OIDC_CLIENT_ID": "wattprint",
           "WATTPRINT_SERVER_OIDC_CLIENT_SECRET": "very-secret-value",
           "WATTPRINT_SERVER_OIDC_ORG": "6C1F0E0A-1D7C-4C39-9C53-2B1E0F0C0A11"}  # fmt: skip
    settings = ServerSettings.from_env("sqlite://", env=env)
    assert settings.oidc is not None
    assert settings.oidc.client_secret == "very-secret-value"
    assert settings.oidc.organisation_id == "6c1f0e0a-1d7c-4c39-9c53-2b1e0f0c0a11"
    assert settings.oidc.role == "viewer" and settings.oidc.display_name == "id.example.org"
    assert settings.oidc.discovery_url == (
        "https://id.example.org/realms/team/.well-known/openid-configuration"
    )
    assert "very-secret-value" not in repr(settings)
    assert ServerSettings.from_env("sqlite://", env={}).oidc is None


@pytest.mark.parametrize(("env", "named"), [
    ({"ISSUER": "http://id.example.org", "CLIENT_ID": "x"}, "'http://id.example.org'"),
    ({"ISSUER": "https://id.example.org?x=1", "CLIENT_ID": "x"}, "without query"),
    ({"ISSUER": "https://id.example.org"}, "oidc_client_id=''"),
    ({"CLIENT_ID": "x"}, "WATTPRINT_SERVER_OIDC_CLIENT_ID is set"),
    ({"ISSUER": "https://a.example", "CLIENT_ID": "x", "ROLE": "boss"},
     "oidc_role='boss' (from WATTPRINT_SERVER_OIDC_ROLE): expected viewer or member or owner"),
    ({"ISSUER": "https://a.example", "CLIENT_ID": "x", "ORG": "finance"}, "'finance'"),
    ({"ISSUER": "https://a.example", "CLIENT_ID": "x", "CLIENTSECRET": "s"},
     "WATTPRINT_SERVER_OIDC_CLIENTSECRET"),
])  # fmt: skip
def test_bad_settings_are_refused_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        OidcSettings.from_env({"WATTPRINT_SERVER_OIDC_" + k: v for k, v in env.items()})
    assert named in str(caught.value)


def test_serve_takes_the_options_and_never_prints_the_secret(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from wattprint.cli.serve_commands import OIDC_OPTIONS, serve

    names = {"WATTPRINT_SERVER_OIDC_" + n.upper(): None for n, _, _ in OIDC_OPTIONS}
    runner = CliRunner()
    args = ["--db", f"sqlite:///{tmp_path / 's.sqlite3'}", "--migrate-only",
            "--oidc-issuer", "https://id.example.org", "--oidc-client-id", "wattprint",
            "--oidc-client-secret", "do-not-print-me"]  # fmt: skip
    done = runner.invoke(serve, args, env=names)
    assert done.exit_code == 0, done.output
    assert "do-not-print-me" not in done.output
    bad = runner.invoke(serve, [*args, "--oidc-role", "boss"], env=names)
    assert bad.exit_code == 1 and "oidc_role='boss'" in bad.output
    assert "do-not-print-me" not in bad.output


def test_the_migrations_match_the_tables(db_target: tuple[str, str | None], app: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from wattprint.server.models import Base

    with app.state.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.parametrize(("value", "secure"), [("yes", True), ("1", True), ("off", False),
                                                ("", False)])  # fmt: skip
def test_secure_cookies_from_the_environment(value: str, secure: bool) -> None:
    env = {"WATTPRINT_SERVER_SECURE_COOKIES": value}
    assert ServerSettings.from_env("sqlite://", env=env).secure_cookies is secure


def test_a_secure_cookies_value_that_is_not_yes_or_no_is_refused_by_name() -> None:
    with pytest.raises(ConfigError) as caught:
        ServerSettings.from_env("sqlite://", env={"WATTPRINT_SERVER_SECURE_COOKIES": "maybe"})
    assert "WATTPRINT_SERVER_SECURE_COOKIES" in str(caught.value)
    assert "'maybe'" in str(caught.value) and "true" in str(caught.value)


def test_serve_passes_the_signing_key_and_secure_cookies_to_its_workers(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from wattprint.cli.serve_commands import serve
    from wattprint.server import config

    seen: list[ServerSettings] = []
    real = config.ServerSettings.from_env.__func__  # type: ignore[attr-defined]

    def spy(cls: Any, db_url: str | None = None, env: Any = None) -> ServerSettings:
        settings: ServerSettings = real(cls, db_url, env)
        seen.append(settings)
        return settings

    monkeypatch.setattr(config.ServerSettings, "from_env", classmethod(spy))
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    names = {"WATTPRINT_SERVER_SIGNING_KEY": None, "WATTPRINT_SERVER_SECURE_COOKIES": None}
    runner = CliRunner()
    args = ["--db", f"sqlite:///{tmp_path / 's.sqlite3'}", "--migrate-only"]
    done = runner.invoke(serve, [*args, "--signing-key", str(key), "--secure-cookies"], env=names)
    assert done.exit_code == 0, done.output
    assert seen[-1].signing_key == str(key.resolve()) and seen[-1].secure_cookies is True
    missing = runner.invoke(serve, [*args, "--signing-key", str(tmp_path / "none.pem")], env=names)
    assert missing.exit_code == 2 and "none.pem" in missing.output
