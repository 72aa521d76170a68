"""Which booking reminders are due: the day before at 18:00 (or at once when booked later),
and two hours before. Each kind is sent once per booking (a unique row in
`booking_reminders`, written in the same transaction as the outbox row); none in quiet hours.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from db.models import Booking, BookingReminder, Service, Slot
from db.slots import SHANGHAI

EVENING, QUIET_FROM, QUIET_UNTIL = time(18, 0), time(21, 0), time(8, 0)
SOON = timedelta(hours=2)


def quiet(now: datetime, zone: ZoneInfo = SHANGHAI) -> bool:
    """21:00-08:00 local: no reminders."""
    local = now.astimezone(zone).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def eve(starts_at: datetime, zone: ZoneInfo = SHANGHAI) -> datetime:
    """18:00 local on the day before the start."""
    day = starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, EVENING, tzinfo=zone)


def due_reminders(session: Session, *, now: datetime, zone: ZoneInfo = SHANGHAI
                  ) -> Iterator[tuple[Booking, Slot, Service, str]]:
    """(booking, slot, service, kind) of every reminder due now and not sent yet."""
    if quiet(now, zone):
        return
    rows = session.execute(
        select(Booking, Slot, Service).join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Booking.service_id == Service.id)
        .where(Booking.status == "booked", Slot.status == "open", Slot.starts_at > now,
               Slot.starts_at <= now + timedelta(days=2))
        .order_by(Slot.starts_at, Booking.id)).all()
    sent = set(session.execute(
        select(BookingReminder.booking_id, BookingReminder.kind)
        .where(and_(BookingReminder.booking_id.in_([r[0].id for r in rows])))).all()) \
        if rows else set()
    for booking, slot, service in rows:
        soon = slot.starts_at - SOON
        if now >= soon:
            if booking.created_at < soon and (booking.id, "two_hours") not in sent:
                yield booking, slot, service, "two_hours"
        elif now >= eve(slot.starts_at, zone) and (booking.id, "day_before") not in sent:
            yield booking, slot, service, "day_before"
