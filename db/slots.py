"""Slots of a service: add (once or weekly), list, the open ones, cancel, roster, attendance.

Times come in and go out as Asia/Shanghai local times (the `zone` argument) and are stored
in UTC. Seats are taken and given back only through `db.seats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.catalogue import CatalogueError, get_service
from db.models import Booking, Registration, Service, Slot

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX_CAPACITY, MAX_MINUTES, MAX_WEEKS = 1000, 480, 53


class SlotError(ValueError):
    """A slot cannot be made or changed as asked; the message is one line in Chinese (what
    is wrong, what to do); `field` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def local_start(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """"YYYY-MM-DD HH:MM" local time → aware UTC; SlotError when it is not that."""
    try:
        naive = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise SlotError(f"开始时间“{text.strip()}”看不懂，请按“2026-12-01 14:30”的格式填写",
                        "start") from None
    return naive.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def local_day(moment: datetime, zone: ZoneInfo = SHANGHAI) -> str:
    """The local date of a UTC moment, "YYYY-MM-DD"."""
    return moment.astimezone(zone).date().isoformat()


def add_slot(session: Session, *, service_id: int, starts_at: datetime, minutes: int,
             capacity: int, place: str, now: datetime) -> Slot:
    """One slot of an open service, in the future; SlotError for a bad value."""
    try:
        service = get_service(session, service_id)
    except CatalogueError as exc:
        raise SlotError(str(exc), "service") from None
    if service.retired_at is not None:
        raise SlotError(f"服务 #{service_id} 已停用，不能再加时段；请选一个在用的服务", "service")
    if starts_at <= now:
        raise SlotError("开始时间已经过去，请填写以后的时间", "start")
    if not 1 <= minutes <= MAX_MINUTES:
        raise SlotError(f"时长要在 1 到 {MAX_MINUTES} 分钟之间", "minutes")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise SlotError(f"名额要在 1 到 {MAX_CAPACITY} 人之间", "capacity")
    place = (place or "").strip()
    if not 1 <= len(place) <= 200:
        raise SlotError("请填写地点，最多 200 个字", "place")
    slot = Slot(service_id=service_id, starts_at=starts_at, minutes=minutes, capacity=capacity,
                taken=0, place=place, status="open", created_at=now)
    session.add(slot)
    session.flush()
    return slot


def weekly_starts(first: datetime, days: Sequence[str], until: date,
                  zone: ZoneInfo = SHANGHAI) -> list[datetime]:
    """Every start at `first`'s local time on the given weekdays, from its date to `until`."""
    wanted = {d.strip().upper()[:3] for d in days if d.strip()}
    unknown = wanted - set(WEEKDAYS)
    if not wanted or unknown:
        raise SlotError(f"每周重复的星期几写法不对，请用 {','.join(WEEKDAYS)}（星期一到星期日）",
                        "weekly")
    local = first.astimezone(zone)
    if until < local.date() or (until - local.date()).days > MAX_WEEKS * 7:
        raise SlotError(f"“重复到哪一天”要在第一次的日期当天或以后，最多 {MAX_WEEKS} 周以内",
                        "until")
    starts, day = [], local.date()
    while day <= until:
        if WEEKDAYS[day.weekday()] in wanted:
            moment = datetime.combine(day, time(local.hour, local.minute), tzinfo=zone)
            starts.append(moment.astimezone(ZoneInfo("UTC")))
        day += timedelta(days=1)
    if not starts:
        raise SlotError("从开始日期到“重复到哪一天”之间没有选中的星期几，请多选几天或把日期放远",
                        "weekly")
    return starts


def list_slots(session: Session, *, service_id: int | None = None,
               since: datetime | None = None) -> Sequence[Slot]:
    """Slots in time order, of one service and from a moment when given."""
    stmt = select(Slot).order_by(Slot.starts_at, Slot.id)
    if service_id is not None:
        stmt = stmt.where(Slot.service_id == service_id)
    if since is not None:
        stmt = stmt.where(Slot.starts_at >= since)
    return session.scalars(stmt).all()


def open_slots(session: Session, service_id: int, *, now: datetime, limit: int = 5,
               offset: int = 0, exclude: int | None = None) -> Sequence[Slot]:
    """The next slots of a service that still have seats, soonest first."""
    stmt = (select(Slot).where(Slot.service_id == service_id, Slot.status == "open",
                               Slot.starts_at > now, Slot.taken < Slot.capacity)
            .order_by(Slot.starts_at, Slot.id).offset(offset).limit(limit))
    if exclude is not None:
        stmt = stmt.where(Slot.id != exclude)
    return session.scalars(stmt).all()


def get_slot(session: Session, slot_id: int) -> Slot:
    """The slot `slot_id`; SlotError when there is none."""
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise SlotError(f"没有编号为 {slot_id} 的时段，请在时段列表里查看编号")
    return slot


@dataclass(frozen=True)
class RosterLine:
    """One booking on a slot, as staff see it (name and phone decrypted)."""

    ref: str
    name: str
    phone: str
    booked_by: str
    actor: str
    needs: str
    status: str


def roster(session: Session, slot_id: int) -> list[RosterLine]:
    """Who is booked on a slot (not cancelled or moved), in booking order."""
    get_slot(session, slot_id)
    rows = session.execute(
        select(Booking, Registration).outerjoin(Registration,
                                                Booking.registration_id == Registration.id)
        .where(Booking.slot_id == slot_id,
               Booking.status.in_(("booked", "attended", "no_show")))
        .order_by(Booking.id)).all()
    return [RosterLine(ref=b.ref, name=r.name if r else "（未登记）", phone=r.phone if r else "",
                       booked_by=b.user_id, actor=b.actor, needs=b.needs or "", status=b.status)
            for b, r in rows]


def describe(slot: Slot, service: Service | None = None, zone: ZoneInfo = SHANGHAI) -> str:
    """"12月10日（星期四）9:00-10:00" with the service name in front when given."""
    start = slot.starts_at.astimezone(zone)
    end = start + timedelta(minutes=slot.minutes)
    when = (f"{start.month}月{start.day}日（星期{'一二三四五六日'[start.weekday()]}）"
            f"{start:%H:%M}-{end:%H:%M}")
    return f"{service.name}，{when}" if service is not None else when


def details(service: Service, slot: Slot, zone: ZoneInfo = SHANGHAI) -> str:
    """What, when, where, accessibility, what to bring: confirmations and reminders."""
    return (f"服务：{service.name}\n时间：{describe(slot, zone=zone)}\n地点：{slot.place}\n"
            f"无障碍：{service.accessibility or '请向工作人员确认'}\n"
            f"请带上：{service.bring or '以工作人员通知为准'}")
