"""``wattprint serve`` (the team server and dashboard) and ``wattprint push`` (upload files).

Thin: they parse, call :mod:`wattprint.server` and print. Both need
``wattprint[server]`` (push only for the file readers it shares).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wattprint.errors import WattprintError


@click.command("serve")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL: sqlite:///path or postgresql+psycopg://user@host/db. "
                   "[default: a SQLite file in the user data directory]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (they share only the database).")
@click.option("--migrate-only", is_flag=True, help="Apply the migrations and exit.")
def serve(db_url: str | None, host: str, port: int, workers: int, migrate_only: bool) -> None:
    """Run the team server and dashboard (needs wattprint[server])."""  # noqa: D401
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
