"""Fixtures of the server's tests: the same suite on SQLite and on PostgreSQL.

PostgreSQL is the one at 127.0.0.1:5432 (user postgres, database test); each
test session gets its own schema, dropped at the end. Where it cannot be
reached the PostgreSQL half skips, saying so (.ci/run starts it).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs wattprint[server]")
pytest.importorskip("sqlalchemy", reason="needs wattprint[server]")

PG_URL = os.environ.get("WATTPRINT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN = "admin-token-for-tests"


def _pg_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3
        ).close()
    except psycopg.Error as err:
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable: {err}"
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str | None]]:
    """Yield (database URL, schema) for each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'server.sqlite3'}", None
        return
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    schema = f"wp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield PG_URL, schema
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def app(db_target: tuple[str, str | None]) -> Any:
    from wattprint.server import create_app
    from wattprint.server.config import ServerSettings

    url, schema = db_target
    return create_app(
        ServerSettings(db_url=url, db_schema=schema, admin_token=ADMIN, max_body_bytes=200_000)
    )


@pytest.fixture()
def client(app: Any) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(app)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: Any


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yield its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def live(app: Any) -> Iterator[LiveServer]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread."""
    with serving(app) as url:
        yield LiveServer(url=url, app=app)


@dataclass
class Setup:
    org: str
    project: str
    experiment: str
    token: str
    read_token: str


def make_setup(client: Any, name: str = "") -> Setup:
    h = {"Authorization": f"Bearer {ADMIN}"}
    name = name or uuid.uuid4().hex[:6]
    org = client.post(
        "/api/organizations", json={"name": f"org-{name}", "description": ""}, headers=h
    )
    assert org.status_code == 201, org.text
    project = client.post(
        "/api/projects",
        headers=h,
        json={"name": f"project-{name}", "description": "d", "organization_id": org.json()["id"]},
    )
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    exp = client.post(
        "/api/experiments",
        headers=h,
        json={"name": "exp", "description": "", "project_id": pid, "country_iso_code": "FRA"},
    )
    assert exp.status_code == 201, exp.text
    write = client.post(f"/api/projects/{pid}/api-tokens", json={"access": 3}, headers=h).json()
    read = client.post(f"/api/projects/{pid}/api-tokens", json={"access": 1}, headers=h).json()
    return Setup(org.json()["id"], pid, exp.json()["id"], write["token"], read["token"])


@pytest.fixture()
def setup(client: Any) -> Setup:
    return make_setup(client)


CC_VERSION = "3.3.2"


@pytest.fixture(scope="session")
def codecarbon_python() -> Path:
    """Return the Python of a virtual environment holding codecarbon==3.3.2 (made once, cached).

    CodeCarbon's dependencies (pandas, pydantic pins...) stay out of the test
    environment. Skips only when pip cannot reach the package registry.
    """
    import subprocess
    import sys

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = base / "wattprint-tests" / f"codecarbon-{CC_VERSION}"
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"codecarbon=={CC_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if pip.returncode != 0:
            pytest.skip(f"pip could not install codecarbon=={CC_VERSION}: {pip.stderr[-500:]}")
        (venv / ".ready").touch()
    return python
