"""Leases: one holder at a time does a job (one scheduler sends notices) until it stops
renewing; then another takes over. The lease row is read under the write lock (FOR UPDATE
on PostgreSQL, BEGIN IMMEDIATE on SQLite), so two schedulers started by mistake never both
hold it; the first lease is an INSERT that only one of them can make."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Lease


def acquire(sessions: sessionmaker[Session], name: str, holder: str, *, now: datetime,
            seconds: int) -> datetime | None:
    """Take or renew the lease; return since when this holder has held it, or None."""
    expires = now + timedelta(seconds=seconds)
    try:
        with sessions.begin() as session:
            lease = session.scalars(select(Lease).where(Lease.name == name)
                                    .with_for_update()).first()
            if lease is None:
                session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires))
                return now
            if lease.holder != holder:
                if lease.expires_at >= now:
                    return None  # someone else holds it
                lease.holder, lease.acquired_at = holder, now  # it lapsed: take it over
            lease.expires_at = expires
            return lease.acquired_at
    except IntegrityError:  # another process inserted the first lease at the same moment
        return None


def release(sessions: sessionmaker[Session], name: str, holder: str) -> None:
    """Give the lease up (a clean stop), so another may take it at once."""
    with sessions.begin() as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
