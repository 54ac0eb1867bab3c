"""The page indexes' migration (0004): the project's runs by start time, on both databases."""

from __future__ import annotations

from typing import Any


def _indexes(engine: Any, schema: str | None) -> set[str]:
    from sqlalchemy import inspect

    return {i["name"] for i in inspect(engine).get_indexes("runs", schema=schema)}


def test_runs_are_indexed_by_project_and_start(app: Any, db_target: tuple[str, str | None]) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from wattprint.server.db import MIGRATIONS_DIR

    engine = app.state.engine
    schema = db_target[1]
    names = _indexes(engine, schema)
    assert "ix_runs_project_time" in names and "ix_runs_project_id" not in names
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["schema"] = schema
    before = ScriptDirectory.from_config(config).get_revision("0004_page_indexes").down_revision
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, str(before))
        down = _indexes(engine, schema)
    finally:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    assert "ix_runs_project_id" in down and "ix_runs_project_time" not in down
    assert _indexes(engine, schema) == names
