"""Alembic, driven from code: `python -m bot db upgrade` and the start-up check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(Exception):
    """The database schema is not at the newest migration."""


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs the project's migrations on `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: the newest)."""
    command.upgrade(alembic_config(engine), revision)


def check_current(engine: Engine) -> None:
    """Raise NotMigrated with a one-line reason unless the schema is at the newest revision."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise NotMigrated(f"database schema is at {current or 'nothing'}, expected {head}: "
                          "run `python -m bot db upgrade`")
