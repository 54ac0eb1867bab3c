"""The first start of a server on a new SQLite database makes its owner, and only once."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="needs the [server] extra")

from wattprint.server.bootstrap import add_user, ensure_owner  # noqa: E402
from wattprint.server.db import make_engine, migrate, session_factory  # noqa: E402


def test_the_first_start_makes_an_owner_then_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as db:
        first = ensure_owner(db)
        assert first is not None and first.email == "owner@localhost"
        assert ensure_owner(db) is None
        user = add_user(db, first.organisation_id, "ada@example.org", "a long password")
        assert user.email == "ada@example.org"
    engine.dispose()
