"""Sign-ups: residents attending (one seat each, db/seats.py) and employers recruiting."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.events import OPEN
from db.models import EmployerSignup, Event, EventSignup
from db.seats import release_seat, take_seat

EVENTS = Event.__table__


def sign_up(session: Session, event_id: int, user_id: str, *, now: datetime) -> str:
    """Take a seat: ok, already, full, closed (not open or past its deadline) or missing."""
    event = session.get(Event, event_id)
    if event is None:
        return "missing"
    if event.status not in OPEN or event.start_at <= now or \
            (event.deadline_at is not None and event.deadline_at < now):
        return "closed"
    row = session.scalars(select(EventSignup).where(EventSignup.event_id == event_id,
                                                    EventSignup.user_id == user_id)).first()
    if row is not None and row.status == "active":
        return "already"
    if not take_seat(session, EVENTS, event_id, where=EVENTS.c.status.in_(OPEN)):
        return "full"
    if row is None:
        session.add(EventSignup(event_id=event_id, user_id=user_id, status="active",
                                created_at=now))
    else:
        row.status, row.created_at = "active", now
    session.flush()
    return "ok"


def cancel_signup(session: Session, event_id: int, user_id: str) -> bool:
    """Give the seat back; False when the person was not signed up."""
    row = _active(session, EventSignup, event_id, user_id)
    if row is None:
        return False
    row.status = "cancelled"
    release_seat(session, EVENTS, event_id)
    return True


def my_signups(session: Session, user_id: str) -> Sequence[tuple[Event, str]]:
    """(event, "attend" or "recruit") for the person's active sign-ups, soonest first."""
    attend = session.execute(select(Event, EventSignup.status).join(
        EventSignup, EventSignup.event_id == Event.id).where(
        EventSignup.user_id == user_id, EventSignup.status == "active")).all()
    recruit = session.execute(select(Event, EmployerSignup.status).join(
        EmployerSignup, EmployerSignup.event_id == Event.id).where(
        EmployerSignup.user_id == user_id, EmployerSignup.status == "active")).all()
    found = [(e, "attend") for e, _ in attend] + [(e, "recruit") for e, _ in recruit]
    return sorted(found, key=lambda pair: (pair[0].start_at, pair[0].id))


def employer_sign_up(session: Session, event_id: int, user_id: str, *, now: datetime,
                     **fields: Any) -> str:
    """Record (or replace) an employer's sign-up to recruit: ok, closed, not_allowed, missing."""
    event = session.get(Event, event_id)
    if event is None:
        return "missing"
    if not event.employers_allowed:
        return "not_allowed"
    if event.status not in OPEN or event.start_at <= now:
        return "closed"
    row = session.scalars(select(EmployerSignup).where(
        EmployerSignup.event_id == event_id, EmployerSignup.user_id == user_id)).first()
    if row is None:
        row = EmployerSignup(event_id=event_id, user_id=user_id)
        session.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    row.status, row.created_at = "active", now
    session.flush()
    return "ok"


def withdraw_employer(session: Session, event_id: int, user_id: str) -> bool:
    """Withdraw an employer's sign-up; False when there was none."""
    row = _active(session, EmployerSignup, event_id, user_id)
    if row is None:
        return False
    row.status = "withdrawn"
    return True


def is_signed_up(session: Session, event_id: int, user_id: str) -> bool:
    """Whether the person holds an active seat at the event."""
    return _active(session, EventSignup, event_id, user_id) is not None


def _active(session: Session, model: Any, event_id: int, user_id: str) -> Any:
    """The person's active sign-up of this kind to the event, or None."""
    return session.scalars(select(model).where(model.event_id == event_id,
                                               model.user_id == user_id,
                                               model.status == "active")).first()


def forget_person(session: Session, user_id: str) -> None:
    """Erasure: give back the person's seats, delete their sign-ups and subscriptions."""
    from sqlalchemy import delete

    from db.models import Subscription, SubscriptionOffer

    for event_id in session.scalars(select(EventSignup.event_id).where(
            EventSignup.user_id == user_id, EventSignup.status == "active")).all():
        release_seat(session, EVENTS, event_id)
    for model in (EventSignup, EmployerSignup, Subscription, SubscriptionOffer):
        session.execute(delete(model).where(model.user_id == user_id))
