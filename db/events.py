"""Events (job fairs, training, briefings, contests): their fields, states and notices.

States: draft → published → changed (any number of times) → cancelled or finished. Staff
drive them by command today (bot/events_cli.py) and by the staff console later; both call
these functions. Each function takes the session first and never commits. Publishing,
changing and cancelling queue one notice each (db/notices.py): one outbox row per person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import notices
from db.models import EmployerSignup, Event, EventSignup

KINDS = ("招聘会", "培训", "政策宣讲", "技能竞赛")
OPEN = ("published", "changed")  # people may sign up; notices go out
STATES = ("draft", *OPEN, "cancelled", "finished")
FIELDS = ("kind", "title", "start_at", "end_at", "place", "accessibility", "online_url",
          "organiser", "audience", "capacity", "deadline_at", "employers_allowed")
STATE_NAMES = {"draft": "还是草稿", "published": "已发布", "changed": "已发布（有变更）",
               "cancelled": "已取消", "finished": "已结束"}  # as in "活动 #3 已取消"
DEFAULT_LENGTH = timedelta(hours=3)  # when an event gives no end: finished after this


class EventError(ValueError):
    """A bad value or a step the event's state does not allow; the message is one line in
    Chinese (what is wrong, what to do); `fields` maps each bad field to its own message."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


def field_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, what is wrong and what to do) for every bad value (empty when all are fine)."""
    found = []
    if values.get("kind") not in KINDS:
        found.append(("kind", f"活动类型只能是{'、'.join(KINDS)}之一，请从中选一个"))
    title = (values.get("title") or "").strip()
    if not title or len(title) > 200:
        found.append(("title", "请填写活动名称，最多 200 个字"))
    start, end = values.get("start_at"), values.get("end_at")
    if start is None:
        found.append(("start_at", "请填写开始时间"))
    if start and end and end <= start:
        found.append(("end_at", "结束时间要晚于开始时间，请改正或留空"))
    deadline = values.get("deadline_at")
    if start and deadline and deadline > start:
        found.append(("deadline_at", "报名截止时间不能晚于开始时间，请改正或留空"))
    if not (values.get("place") or values.get("online_url")):
        found.append(("place", "请填写地点或线上参加的链接（至少一项）"))
    capacity = values.get("capacity")
    if capacity is not None and capacity < 1:
        found.append(("capacity", "名额至少 1 人；不限名额请留空"))
    if values.get("employers_allowed") and values.get("kind") != "招聘会":
        found.append(("employers_allowed", "只有招聘会接受用人单位报名：请把活动类型改为招聘会，"
                      "或不让用人单位报名"))
    return found


def problems(values: dict[str, Any]) -> list[str]:
    """Everything wrong with an event's values, one message each (empty when they are fine)."""
    return [message for _, message in field_problems(values)]


def _refuse(found: list[tuple[str, str]]) -> None:
    """Raise one EventError naming every problem, each also kept under its field."""
    if found:
        raise EventError("；".join(m for _, m in found) + "。", dict(found))


def create_event(session: Session, *, now: datetime, **values: Any) -> Event:
    """A new draft event; EventError names every bad value."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise EventError(f"不认识的活动字段：{', '.join(sorted(unknown))}。")
    _refuse(field_problems(values))
    event = Event(**values, taken=0, status="draft", created_at=now, updated_at=now)
    session.add(event)
    session.flush()
    return event


def get_event(session: Session, event_id: int, *, lock: bool = False) -> Event:
    """The event, or EventError when there is none."""
    stmt = select(Event).where(Event.id == event_id)
    event = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if event is None:
        raise EventError(f"没有编号为 {event_id} 的活动，请在活动列表里查看编号。")
    return event


def publish_event(session: Session, event_id: int, *, now: datetime,
                  urgent: bool = False) -> int:
    """Publish a draft; queue its notice to the subscribers; return how many were queued."""
    event = get_event(session, event_id, lock=True)
    if event.status != "draft":
        raise EventError(f"活动 #{event_id} {STATE_NAMES[event.status]}，只有草稿可以发布；"
                         "要改动已发布的活动，请修改活动。")
    event.status, event.updated_at = "published", now
    session.flush()
    return notices.queue(session, event, "published", now=now, urgent=urgent)


def change_event(session: Session, event_id: int, *, now: datetime, urgent: bool = False,
                 **changes: Any) -> int:
    """Change fields; a published event tells subscribers and those signed up (count)."""
    event = get_event(session, event_id, lock=True)
    if event.status in ("cancelled", "finished"):
        raise EventError(f"活动 #{event_id} {STATE_NAMES[event.status]}，不能再修改；"
                         "需要时请新建一个活动。")
    unknown = set(changes) - set(FIELDS)
    if unknown or not changes:
        raise EventError("没有要修改的内容：请至少改一项" +
                         (f"（不认识的字段：{', '.join(sorted(unknown))}）。" if unknown else "。"))
    values = {name: getattr(event, name) for name in FIELDS} | changes
    found = field_problems(values)
    if changes.get("capacity") is not None and changes["capacity"] < event.taken:
        found.append(("capacity", f"已有 {event.taken} 人报名，名额不能少于 {event.taken}"))
    _refuse(found)
    for name, value in changes.items():
        setattr(event, name, value)
    event.updated_at = now
    if event.status == "draft":
        return 0
    event.status = "changed"
    session.flush()
    return notices.queue(session, event, "changed", now=now, urgent=urgent)


def cancel_event(session: Session, event_id: int, *, reason: str, now: datetime,
                 urgent: bool = False) -> int:
    """Cancel; a published event tells subscribers and those signed up (count)."""
    event = get_event(session, event_id, lock=True)
    if event.status in ("cancelled", "finished"):
        raise EventError(f"活动 #{event_id} {STATE_NAMES[event.status]}，不需要再取消。")
    if not reason.strip() or len(reason) > 300:
        raise EventError("请填写取消原因（最多 300 个字），它会发给订阅和已报名的人。",
                         {"reason": "请填写取消原因，最多 300 个字"})
    was_open = event.status in OPEN
    event.status, event.cancel_reason, event.updated_at = "cancelled", reason.strip(), now
    session.flush()
    if not was_open:
        return 0
    return notices.queue(session, event, "cancelled", now=now, urgent=urgent)


def finish_past(session: Session, *, now: datetime) -> int:
    """Mark open events that have ended as finished; return how many."""
    ended = [e.id for e in session.scalars(select(Event).where(Event.status.in_(OPEN)))
             if (e.end_at or e.start_at + DEFAULT_LENGTH) < now]
    if ended:
        session.execute(update(Event).where(Event.id.in_(ended))
                        .values(status="finished", updated_at=now))
    return len(ended)


def list_events(session: Session, *, statuses: Sequence[str] = STATES) -> Sequence[Event]:
    """Events in these states, soonest first."""
    return session.scalars(select(Event).where(Event.status.in_(statuses))
                           .order_by(Event.start_at, Event.id)).all()


def upcoming(session: Session, *, now: datetime, kinds: Sequence[str] = KINDS,
             limit: int = 5) -> Sequence[Event]:
    """Open events that have not started, soonest first (for people)."""
    return session.scalars(select(Event).where(Event.status.in_(OPEN), Event.start_at > now,
                                               Event.kind.in_(kinds))
                           .order_by(Event.start_at, Event.id).limit(limit)).all()


def list_signups(session: Session, event_id: int) -> tuple[Sequence[EventSignup],
                                                            Sequence[EmployerSignup]]:
    """The residents (active) and the employers (active) signed up to an event."""
    get_event(session, event_id)
    residents = session.scalars(select(EventSignup).where(
        EventSignup.event_id == event_id, EventSignup.status == "active")
        .order_by(EventSignup.id)).all()
    employers = session.scalars(select(EmployerSignup).where(
        EmployerSignup.event_id == event_id, EmployerSignup.status == "active")
        .order_by(EmployerSignup.id)).all()
    return residents, employers
