"""Seats, taken and given back atomically: one conditional UPDATE, never read-then-write.

Any table with an integer `taken` column and an integer `capacity` column (NULL: unlimited)
can hand out seats with these two functions: service slots (bookings) and events (sign-ups)
alike. Two people racing for the last seat both run the UPDATE; the database lets exactly one
of them match the row, on SQLite (one writer at a time) and on PostgreSQL (the row lock taken
by the UPDATE makes the second re-check the condition after the first commits).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, or_, update
from sqlalchemy.orm import Session


def take_seat(session: Session, table: Table, row_id: Any, *, where: Any = None) -> bool:
    """Take one seat on row `row_id` if one is left (and `where` holds); True when taken."""
    condition = [table.c.id == row_id,
                 or_(table.c.capacity.is_(None), table.c.taken < table.c.capacity)]
    if where is not None:
        condition.append(where)
    result = session.execute(update(table).where(*condition)
                             .values(taken=table.c.taken + 1)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_seat(session: Session, table: Table, row_id: Any) -> bool:
    """Give one seat back on row `row_id` (never below zero); True when one was given back."""
    result = session.execute(update(table).where(table.c.id == row_id, table.c.taken > 0)
                             .values(taken=table.c.taken - 1)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1
