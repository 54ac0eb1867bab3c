"""``wattprint serve`` (the team server and dashboard) and ``wattprint push`` (upload files).

Thin: they parse, call :mod:`wattprint.server` and print. Both need
``wattprint[server]`` (push only for the file readers it shares).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from wattprint.errors import WattprintError

OIDC_OPTIONS = (
    ("issuer", "URL", "OIDC sign-in: the provider's issuer URL (its discovery document is "
     "{URL}/.well-known/openid-configuration)."),
    ("client_id", "ID", "OIDC: this server's client id at the provider."),
    ("client_secret", "SECRET", "OIDC: the client secret (prefer the variable: a command line "
     "is visible to other users of the machine)."),
    ("name", "TEXT", "OIDC: the provider's name on the sign-in button."),
    ("org", "ID", "OIDC: the organisation a new account joins [default: none, until an owner "
     "adds it]."),
    ("role", "ROLE", "OIDC: the role a new account gets there: viewer, member or owner "
     "[default: viewer]."),
    ("redirect_url", "URL", "OIDC: the callback URL registered at the provider "
     "(https://host/oidc/callback) [default: from the request]."),
)  # fmt: skip
"""The OIDC options of ``serve``: each sets ``WATTPRINT_SERVER_OIDC_<NAME>``."""


def _oidc_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for name, metavar, text in reversed(OIDC_OPTIONS):
        env = "WATTPRINT_SERVER_OIDC_" + name.upper()
        flag = "--oidc-" + name.replace("_", "-")
        command = click.option(flag, "oidc_" + name, default=None, metavar=metavar,
                               help=f"{text} [env: {env}]")(command)  # fmt: skip
    return command


@click.command("serve")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL: sqlite:///path or postgresql+psycopg://user@host/db. "
                   "[default: a SQLite file in the user data directory]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (they share only the database).")
@click.option("--migrate-only", is_flag=True, help="Apply the migrations and exit.")
@click.option("--signing-key", default=None, metavar="PEM",
              type=click.Path(exists=True, dir_okay=False, resolve_path=True),
              help="An Ed25519 private key (PEM) that signs the dashboard's run reports "
                   "[env: WATTPRINT_SERVER_SIGNING_KEY; default: one the server makes and "
                   "keeps in its database].")
@click.option("--secure-cookies", is_flag=True, default=None,
              help="Mark the session cookies Secure (behind HTTPS) "
                   "[env: WATTPRINT_SERVER_SECURE_COOKIES].")
@_oidc_options
def serve(
    db_url: str | None, host: str, port: int, workers: int, migrate_only: bool,
    signing_key: str | None, secure_cookies: bool | None, **oidc: str | None,
) -> None:
    """Run the team server and dashboard (needs wattprint[server])."""  # noqa: D401
    given = {**oidc, "signing_key": signing_key,
             "secure_cookies": "1" if secure_cookies else None}  # fmt: skip
    for key, value in given.items():  # the workers read the settings from the environment
        if value is not None:
            os.environ["WATTPRINT_SERVER_" + key.upper()] = value
    try:
        from wattprint.server import require_server_extra

        require_server_extra()
        from wattprint.server.bootstrap import ensure_owner
        from wattprint.server.config import ServerSettings
        from wattprint.server.db import make_engine, migrate, session_factory

        settings = ServerSettings.from_env(db_url)
        engine = make_engine(settings.db_url, schema=settings.db_schema)
        migrate(engine, schema=settings.db_schema)
        shown = engine.url.render_as_string(hide_password=True)
        click.echo(f"database ready: {shown}", err=True)
        if migrate_only:
            return
        with session_factory(engine)() as db:
            first = ensure_owner(db)
        engine.dispose()
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    if first is not None:
        click.echo(f"First start: sign in at {where}signin as {first.email} with the "
                   f"password {first.password} (shown once)", err=True)  # fmt: skip
    import uvicorn

    os.environ["WATTPRINT_SERVER_DB"] = settings.db_url
    if settings.db_schema:
        os.environ["WATTPRINT_SERVER_DB_SCHEMA"] = settings.db_schema
    if settings.oidc is not None:
        click.echo(f"sign-in with {settings.oidc.display_name} (OIDC, {settings.oidc.issuer}) "
                   f"at {where}signin", err=True)  # fmt: skip
    click.echo(f"wattprint server on {where} ({workers} worker(s))", err=True)
    uvicorn.run("wattprint.server.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning", proxy_headers=False)  # fmt: skip


@click.command("push")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--server", "server_url", envvar="WATTPRINT_SERVER_URL", required=True,
              help="The server's URL [env: WATTPRINT_SERVER_URL].")
@click.option("--token", envvar="WATTPRINT_SERVER_TOKEN", required=True,
              help="A project token with write access [env: WATTPRINT_SERVER_TOKEN].")
def push(paths: tuple[Path, ...], server_url: str, token: str) -> None:
    """Upload emissions.csv or JSON-lines files (CodeCarbon's too); sending twice adds nothing."""
    from wattprint.server.push import push as push_files

    try:
        count = push_files(list(paths), server_url, token)
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    print(f"{count.sent} run(s) sent, {count.already} already on the server", file=sys.stdout)
