"""Knowledge-base changes made in the console: recorded here so every worker reloads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import KnowledgeChange
from db.session import read_connection


def record_change(session: Session, entry_id: str, change: str, *, by: str,
                  now: datetime) -> int:
    """Record a change; its id is the new knowledge version."""
    row = KnowledgeChange(entry_id=entry_id, change=change, by=by, at=now)
    session.add(row)
    session.flush()
    return row.id


def knowledge_version(engine: Engine) -> int:
    """The newest change's id (0 when none): one indexed read that waits for no writer."""
    with read_connection(engine) as connection:
        return connection.scalar(select(func.max(KnowledgeChange.id))) or 0
