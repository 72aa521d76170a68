"""Notices about events: their text, and one outbox row per recipient.

A notice is one `event_notices` row (one text for everyone, so the sender can put up to 1,000
people in one `message/send`), and its recipients are `outbound_messages` rows with its
`notice_id`; the unique index (notice_id, user_id) means nobody is queued twice, whatever
runs again. The rows are inserted by one INSERT ... SELECT, so 10,000 subscribers cost one
statement. Texts are plain, in the order a screen reader should read them: what, when,
where, accessibility, how to sign up, how to stop.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, insert, literal, or_, select, union, update
from sqlalchemy.orm import Session

from db.models import (EmployerSignup, Event, EventNotice, EventSignup, OutboundMessage,
                       Subscription, User)
from db.types import UTCDateTime

ZONE = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"
HEADINGS = {"published": "活动通知", "changed": "活动变更通知", "cancelled": "活动取消通知",
            "reminder": "活动提醒"}


def when(event: Event) -> str:
    """"3月5日（星期四）9:00至12:00", in Shanghai time."""
    start = event.start_at.astimezone(ZONE)
    day = f"{start.month}月{start.day}日（星期{WEEKDAYS[start.weekday()]}）{start.hour}:{start:%M}"
    if event.end_at is None:
        return day
    end = event.end_at.astimezone(ZONE)
    return f"{day}至{end.hour}:{end:%M}" if end.date() == start.date() else \
        f"{day}至{end.month}月{end.day}日{end.hour}:{end:%M}"


def describe(event: Event) -> list[str]:
    """The event's facts, one line each, in reading order."""
    lines = [f"{event.kind}：{event.title}（活动编号{event.id}）", f"时间：{when(event)}"]
    if event.place:
        lines.append(f"地点：{event.place}")
    if event.online_url:
        lines.append(f"线上参加：{event.online_url}")
    lines.append(f"无障碍：{event.accessibility or '通知里没有写明，可以回复“人工”询问'}")
    for label, value in (("主办", event.organiser), ("面向", event.audience)):
        if value:
            lines.append(f"{label}：{value}")
    lines.append(f"名额：{event.capacity}人" if event.capacity else "名额：不限")
    if event.deadline_at:
        deadline = event.deadline_at.astimezone(ZONE)
        lines.append(f"报名截止：{deadline.month}月{deadline.day}日{deadline:%H:%M}")
    return lines


def render(event: Event, kind: str) -> str:
    """The notice's whole text."""
    stop = "不想再收到活动通知，回复“退订”。"
    if kind == "cancelled":
        return "\n".join([f"【{HEADINGS[kind]}】", *describe(event)[:2],
                          f"这个活动已取消。原因：{event.cancel_reason}",
                          "给您带来不便，请谅解。有疑问请回复“人工”。", stop])
    sign_up = f"报名：回复“报名 {event.id}”。"
    if event.employers_allowed:
        sign_up += "用人单位来招聘，也回复这句。"
    if kind == "reminder":
        return "\n".join([f"【{HEADINGS[kind]}】您报名的活动快开始了。", *describe(event),
                          f"不能参加了，请回复“取消报名 {event.id}”，把名额让给别人。"])
    intro = "活动有变化，请以这条为准。" if kind == "changed" else ""
    return "\n".join([f"【{HEADINGS[kind]}】{intro}", *describe(event), sign_up,
                      "查看我报名的活动，回复“我的活动”。", stop])


def subscribers(event: Event) -> Select:
    """User ids subscribed to the event's kind, whose interest (if any) the event matches."""
    haystack = f"{event.title} {event.audience or ''}"
    return select(Subscription.user_id).where(
        Subscription.kind == event.kind,
        or_(Subscription.interest.is_(None), literal(haystack).contains(Subscription.interest)))


def signed_up(event_id: int) -> list[Select]:
    """User ids of the residents and employers actively signed up."""
    return [select(EventSignup.user_id).where(EventSignup.event_id == event_id,
                                              EventSignup.status == "active"),
            select(EmployerSignup.user_id).where(EmployerSignup.event_id == event_id,
                                                 EmployerSignup.status == "active")]


def queue(session: Session, event: Event, kind: str, *, now: datetime, urgent: bool = False,
          key: str | None = None) -> int:
    """Create the notice and one pending outbox row per recipient; return how many."""
    if kind == "published":
        sources = [subscribers(event)]
    elif kind == "reminder":
        sources = signed_up(event.id)[:1]
    else:
        sources = [subscribers(event), *signed_up(event.id)]
    notice = EventNotice(event_id=event.id, kind=kind, key=key, text=render(event, kind),
                         urgent=urgent, created_at=now)
    session.add(notice)
    session.flush()
    people = union(*sources).subquery() if len(sources) > 1 else sources[0].subquery()
    left = User.unsubscribed_at.is_not(None)  # left the app: recorded, never sent
    rows = (select(people.c.user_id, literal(notice.text), case((left, "suppressed"),
                                                                else_="pending"),
                   literal(0), literal(now, UTCDateTime()), literal(notice.id))
            .select_from(people.outerjoin(User, User.user_id == people.c.user_id)))
    session.execute(insert(OutboundMessage).from_select(
        ["user_id", "text", "status", "attempts", "created_at", "notice_id"], rows))
    return int(session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.notice_id == notice.id, OutboundMessage.status == "pending")) or 0)


def queue_reminders(session: Session, *, now: datetime, hours: int) -> int:
    """A reminder for each open event starting within `hours`, once; return how many."""
    soon = session.scalars(select(Event).where(
        Event.status.in_(("published", "changed")), Event.start_at > now,
        Event.start_at <= now + timedelta(hours=hours),
        ~select(EventNotice.id).where(and_(EventNotice.event_id == Event.id,
                                           EventNotice.kind == "reminder")).exists())).all()
    for event in soon:
        queue(session, event, "reminder", now=now, key=f"reminder:{event.id}")
    return len(soon)


WAITING = ("pending", "sending")


def deliveries(session: Session, event_id: int) -> list[tuple[EventNotice, dict[str, int]]]:
    """Each notice of an event (oldest first) with its recipients counted by outbox status;
    "waiting" adds pending and sending, "invalid" are failed because WeCom knows no such user."""
    found = session.scalars(select(EventNotice).where(EventNotice.event_id == event_id)
                            .order_by(EventNotice.id)).all()
    result = []
    for notice in found:
        counts: dict[str, int] = {"sent": 0, "failed": 0, "waiting": 0, "invalid": 0,
                                  "suppressed": 0}
        rows = session.execute(select(OutboundMessage.status, OutboundMessage.errmsg, func.count())
                               .where(OutboundMessage.notice_id == notice.id)
                               .group_by(OutboundMessage.status, OutboundMessage.errmsg)).all()
        for status, errmsg, number in rows:
            key = "waiting" if status in WAITING else status
            if status == "failed" and errmsg == "invaliduser":
                key = "invalid"
            counts[key] = counts.get(key, 0) + number
        result.append((notice, counts))
    return result


def retry_failed(session: Session, notice_id: int) -> int:
    """Put a notice's failed recipients back in the queue (not those WeCom does not know);
    the broadcaster sends them with its usual pacing; return how many."""
    retry = (OutboundMessage.notice_id == notice_id) & (OutboundMessage.status == "failed") & \
        (OutboundMessage.errmsg.is_(None) | (OutboundMessage.errmsg != "invaliduser"))
    count = int(session.scalar(select(func.count()).select_from(OutboundMessage)
                               .where(retry)) or 0)
    if count:
        session.execute(update(OutboundMessage).where(retry)
                        .values(status="pending", attempts=0, next_attempt_at=None)
                        .execution_options(synchronize_session=False))
    return count
