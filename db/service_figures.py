"""Figures about bookings and events for the dashboard, the yearly report and the exports.

Counting rules: a booking counts once it is made and not cancelled or moved (booked, attended,
no_show), in the year or week its slot starts (Asia/Shanghai); a "四个一" service is one
whose source names the plan's “四个一” measure (db/seed/services.toml).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Booking, EmployerSignup, Event, EventSignup, Registration, Service, Slot

HELD = ("booked", "attended", "no_show")
FOUR_ONES = "“四个一”"
UTC = timezone.utc


def year_bounds(year: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local year as UTC moments [start, end)."""
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)


def week_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """This local week, Monday 00:00 to the next Monday, as UTC moments."""
    day = now.astimezone(zone).date()
    monday = datetime.combine(day - timedelta(days=day.weekday()), time(0), tzinfo=zone)
    return monday.astimezone(UTC), (monday + timedelta(days=7)).astimezone(UTC)


def bookings_by_status(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Bookings held on slots starting in [start, end), by status (booked/attended/no_show)."""
    rows = session.execute(select(Booking.status, func.count())
                           .join(Slot, Booking.slot_id == Slot.id)
                           .where(Booking.status.in_(HELD), Slot.starts_at >= start,
                                  Slot.starts_at < end)
                           .group_by(Booking.status)).all()
    return {status: 0 for status in HELD} | dict(rows)  # type: ignore[arg-type]


def four_ones(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """Per "四个一" service, in catalogue order: (name, bookings held, attended)."""
    services = session.scalars(select(Service).where(Service.source.contains(FOUR_ONES))
                               .order_by(Service.id)).all()
    result = []
    for service in services:
        rows = dict(session.execute(
            select(Booking.status, func.count()).join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.service_id == service.id, Booking.status.in_(HELD),
                   Slot.starts_at >= start, Slot.starts_at < end)
            .group_by(Booking.status)).all())
        result.append((service.name, sum(rows.values()), rows.get("attended", 0)))
    return result


def events_in(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Events starting in [start, end) that were not cancelled; their residents signed up and
    how many of them staff marked as come (or not); the employers (distinct credit codes)
    signed up to them and those marked as come."""
    held = select(Event.id).where(Event.start_at >= start, Event.start_at < end,
                                  Event.status.in_(("published", "changed", "finished")))
    events = session.scalar(select(func.count()).select_from(held.subquery())) or 0
    marks = dict(session.execute(
        select(EventSignup.attended, func.count()).where(
            EventSignup.event_id.in_(held), EventSignup.status == "active")
        .group_by(EventSignup.attended)).all())
    firms = select(func.count(func.distinct(EmployerSignup.credit_code))).where(
        EmployerSignup.event_id.in_(held), EmployerSignup.status == "active")
    return {"events": events, "residents": sum(marks.values()),
            "residents_attended": marks.get(True, 0), "residents_absent": marks.get(False, 0),
            "residents_unmarked": marks.get(None, 0),
            "employers": session.scalar(firms) or 0,
            "employers_attended": session.scalar(
                firms.where(EmployerSignup.attended.is_(True))) or 0}


def booking_rows(session: Session, zone: ZoneInfo) -> list[list[Any]]:
    """Every booking as staff read it (names decrypted), newest slot first: see BOOKING_COLUMNS."""
    rows = session.execute(
        select(Booking, Slot, Service, Registration).join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Booking.service_id == Service.id)
        .outerjoin(Registration, Booking.registration_id == Registration.id)
        .order_by(Slot.starts_at.desc(), Booking.id)).all()
    return [[b.ref, s.name, f"{slot.starts_at.astimezone(zone):%Y-%m-%d %H:%M}", slot.place,
             r.name if r else "（未登记）", r.phone if r else "", b.needs or "",
             STATUS_NAMES.get(b.status, b.status), ACTOR_NAMES.get(b.actor, b.actor),
             f"{b.created_at.astimezone(zone):%Y-%m-%d %H:%M}"] for b, slot, s, r in rows]


BOOKING_COLUMNS = ("预约编号", "服务", "时间", "地点", "姓名", "联系电话", "需要的便利", "状态",
                   "谁预约的", "预约时间")
STATUS_NAMES = {"booked": "已预约", "attended": "已到场", "no_show": "未到场",
                "cancelled": "已取消", "moved": "已改约"}
ACTOR_NAMES = {"self": "本人", "family": "家属", "staff": "工作人员"}


def registered_as(session: Session, user_ids: list[str]) -> dict[str, str]:
    """For each member, the names and phones of the registrations they made (decrypted), as
    one line "姓名 电话；…" (empty when they registered nobody)."""
    found: dict[str, list[str]] = {u: [] for u in user_ids}
    if user_ids:
        for row in session.scalars(select(Registration).where(
                Registration.user_id.in_(user_ids)).order_by(Registration.id)):
            found[row.user_id].append(f"{row.name} {row.phone}")
    return {user: "；".join(lines) for user, lines in found.items()}
