"""Bookings: book, cancel, move, cancel a whole slot, mark attendance; every change an event.

A seat is taken with one conditional UPDATE (`db.seats.take_seat`), never read-then-write;
a move gives the old seat back and takes the new one in the caller's one transaction, so
either both happen or neither. Functions take the session first and never commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Booking, BookingEvent, Service, Slot
from db.seats import release_seat, take_seat
from db.slots import SHANGHAI, SlotError, get_slot, local_day

SLOTS = Slot.__table__
ACTIVE = ("booked",)  # holding a seat and still to come
ACTORS = ("self", "family", "staff")


class BookingRefused(Exception):
    """The booking cannot be made: `reason` is full, past, retired, cancelled, same_day or
    not_found; `existing` is the booking already held on that day (same_day)."""

    def __init__(self, reason: str, existing: Booking | None = None) -> None:
        super().__init__(reason)
        self.reason, self.existing = reason, existing


def record(session: Session, booking: Booking, kind: str, actor: str, now: datetime,
           detail: str = "") -> None:
    """One row of the booking's history."""
    session.add(BookingEvent(booking_id=booking.id, kind=kind, actor=actor, detail=detail[:255],
                             at=now))


def _same_day(session: Session, slot: Slot, *, user_id: str, registration_id: int | None,
              day: str, ignore: int | None) -> Booking | None:
    """The booking this person already holds for this service on that day, if any."""
    stmt = select(Booking).where(Booking.service_id == slot.service_id, Booking.day == day,
                                 Booking.status.in_(ACTIVE))
    if registration_id is not None:
        stmt = stmt.where(Booking.registration_id == registration_id)
    else:
        stmt = stmt.where(Booking.user_id == user_id, Booking.registration_id.is_(None))
    if ignore is not None:
        stmt = stmt.where(Booking.id != ignore)
    return session.scalars(stmt.limit(1)).first()


def _take(session: Session, slot_id: int, *, user_id: str, registration_id: int | None,
          now: datetime, zone: ZoneInfo, ignore: int | None = None) -> Slot:
    """Check the slot and the person's day, then take a seat atomically (or refuse)."""
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise BookingRefused("not_found")
    service = session.get(Service, slot.service_id)
    if service is None or service.retired_at is not None:
        raise BookingRefused("retired")
    if slot.status != "open":
        raise BookingRefused("cancelled")
    if slot.starts_at <= now:
        raise BookingRefused("past")
    day = local_day(slot.starts_at, zone)
    existing = _same_day(session, slot, user_id=user_id, registration_id=registration_id,
                         day=day, ignore=ignore)
    if existing is not None:
        raise BookingRefused("same_day", existing)
    if not take_seat(session, SLOTS, slot_id, where=SLOTS.c.status == "open"):
        raise BookingRefused("full")
    return slot


def new_ref(session: Session) -> str:
    """A short booking number people can read out: YY + 6 letters/digits."""
    while True:
        ref = "YY" + secrets.token_hex(3).upper()
        if session.scalar(select(Booking.id).where(Booking.ref == ref)) is None:
            return ref


def book(session: Session, *, user_id: str, slot_id: int, now: datetime, actor: str = "self",
         registration_id: int | None = None, needs: str | None = None,
         zone: ZoneInfo = SHANGHAI) -> Booking:
    """Take a seat and record the booking; BookingRefused says why not."""
    slot = _take(session, slot_id, user_id=user_id, registration_id=registration_id, now=now,
                 zone=zone)
    booking = Booking(ref=new_ref(session), slot_id=slot.id, service_id=slot.service_id,
                      user_id=user_id, registration_id=registration_id, actor=actor,
                      day=local_day(slot.starts_at, zone), needs=needs or None, status="booked",
                      created_at=now, updated_at=now)
    session.add(booking)
    session.flush()
    record(session, booking, "booked", actor, now)
    return booking


def cancel_booking(session: Session, booking: Booking, *, actor: str, now: datetime,
                   reason: str = "") -> None:
    """Cancel a booking still to come and give its seat back."""
    if booking.status not in ACTIVE:
        raise BookingRefused("not_active")
    booking.status, booking.updated_at = "cancelled", now
    release_seat(session, SLOTS, booking.slot_id)
    record(session, booking, "cancelled", actor, now, reason)


def move_booking(session: Session, booking: Booking, new_slot_id: int, *, actor: str,
                 now: datetime, zone: ZoneInfo = SHANGHAI) -> Booking:
    """Move to another slot of the same service: the old seat back, a new one taken, a new
    booking number; all in the caller's transaction (BookingRefused leaves both as they were,
    once the caller rolls back or simply does not go on)."""
    if booking.status not in ACTIVE:
        raise BookingRefused("not_active")
    target = session.get(Slot, new_slot_id)
    if target is None or target.service_id != booking.service_id or target.id == booking.slot_id:
        raise BookingRefused("not_found")
    _take(session, new_slot_id, user_id=booking.user_id, registration_id=booking.registration_id,
          now=now, zone=zone, ignore=booking.id)
    release_seat(session, SLOTS, booking.slot_id)
    booking.status, booking.updated_at = "moved", now
    moved = Booking(ref=new_ref(session), slot_id=new_slot_id, service_id=booking.service_id,
                    user_id=booking.user_id, registration_id=booking.registration_id,
                    actor=booking.actor, day=local_day(target.starts_at, zone),
                    needs=booking.needs, status="booked", moved_from_id=booking.id,
                    created_at=now, updated_at=now)
    session.add(moved)
    session.flush()
    record(session, booking, "moved", actor, now, f"to {moved.ref}")
    record(session, moved, "moved", actor, now, f"from {booking.ref}")
    return moved


def bookings_of(session: Session, user_id: str, *, now: datetime,
                limit: int = 20) -> list[tuple[Booking, Slot, Service]]:
    """A member's bookings still to come (soonest first), then the past ones (latest first)."""
    rows = session.execute(
        select(Booking, Slot, Service).join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Booking.service_id == Service.id)
        .where(Booking.user_id == user_id, Booking.status != "moved")
        .order_by(Slot.starts_at)).all()
    future = [tuple(r) for r in rows if r[1].starts_at > now and r[0].status == "booked"]
    past = [tuple(r) for r in reversed(rows) if tuple(r) not in future]
    return (future + past)[:limit]  # type: ignore[return-value]


def find_booking(session: Session, ref: str) -> Booking | None:
    """The booking with this number (any owner: the caller checks it is theirs)."""
    return session.scalars(select(Booking).where(Booking.ref == ref.strip().upper())).first()


def cancel_slot(session: Session, slot_id: int, *, reason: str,
                now: datetime) -> list[Booking]:
    """Staff cancel a slot: every booking on it is cancelled (seats back); returns them."""
    slot = get_slot(session, slot_id)
    if not reason.strip():
        raise SlotError("请填写取消原因，它会发给已预约的人", "reason")
    if slot.status == "cancelled":
        raise SlotError(f"时段 #{slot_id} 已经取消过了")
    slot.status, slot.cancel_reason = "cancelled", reason.strip()
    booked = list(session.scalars(select(Booking).where(Booking.slot_id == slot_id,
                                                        Booking.status.in_(ACTIVE))).all())
    for booking in booked:
        cancel_booking(session, booking, actor="staff", now=now, reason=reason.strip())
    return booked


def mark_attendance(session: Session, booking: Booking, *, attended: bool,
                    now: datetime) -> None:
    """Staff mark a booking attended or no-show (and may correct the mark later)."""
    if booking.status not in ("booked", "attended", "no_show"):
        raise BookingRefused("not_active")
    booking.status = "attended" if attended else "no_show"
    booking.updated_at = now
    record(session, booking, booking.status, "staff", now)


def erase_bookings(session: Session, user_id: str, *, now: datetime) -> int:
    """Erasure: give back the seats of a member's bookings to come, delete all of them."""
    rows: Sequence[Booking] = session.scalars(select(Booking).where(
        Booking.user_id == user_id)).all()
    for booking in rows:
        if booking.status in ACTIVE:
            release_seat(session, SLOTS, booking.slot_id)
        session.delete(booking)
    session.flush()
    return len(rows)
