"""Scheduled jobs: module-level functions of `Services`; what to do lives in the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from db.models import (BookingReminder, Handoff, InboundMessage, OutboundMessage,
                       UnansweredQuestion)
from db.reminders import due_reminders
from db.slots import describe, details
from db.retention import (expire_open, purge_abandoned_forms, purge_quiet_kf,
                          purge_unfinished_consents)

log = logging.getLogger(__name__)


def deliver_outbox(services) -> int:  # type: ignore[no-untyped-def]
    """Retry the messages that could not be sent yet."""
    return services.sender.deliver_due()


def push_notices(services) -> int:  # type: ignore[no-untyped-def]
    """Send due event notices in batches (one scheduler at a time: the `notices` lease)."""
    from bot.broadcast import Broadcaster

    return Broadcaster(services).run()


def remind_events(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Queue the reminder of events starting soon (once each); mark past events finished."""
    from db.events import finish_past
    from db.notices import queue_reminders

    now = services.clock()
    with services.sessions.begin() as session:
        counts = {"reminders": queue_reminders(session, now=now,
                                               hours=services.settings.events.reminder_hours),
                  "finished": finish_past(session, now=now)}
    log.info("events %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
def pull_kf(services) -> int:  # type: ignore[no-untyped-def]
    """微信客服: pull the accounts whose announced messages nobody pulled (a worker died, a
    restart); the callback's token is used while it is valid."""
    from db.kf import wanted_pulls

    if services.kf is None:
        return 0
    with services.sessions.begin() as session:
        accounts = wanted_pulls(session, services.clock())
    return sum(services.kf.pull(open_kfid) for open_kfid in accounts)


def purge_history(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Delete message history, dedup keys and closed handoffs older than the retention;
    forget unfinished forms; expire handoffs and questions left open too long.

    Inbound rows are both history and de-duplication keys, so they stay for the longer of
    the two periods.
    """
    now = services.clock()
    retention = services.settings.retention
    history_cutoff = now - timedelta(days=retention.message_days)
    inbound_cutoff = min(history_cutoff, now - timedelta(hours=retention.dedup_hours))
    form_cutoff = now - timedelta(days=retention.form_days)
    with services.sessions.begin() as session:
        counts = {
            "expired": expire_open(session, now - timedelta(days=retention.open_days)),
            "forms": purge_abandoned_forms(session, form_cutoff),
            "consents": purge_unfinished_consents(session, form_cutoff),
            "kf": purge_quiet_kf(session, history_cutoff),
            "outbound": session.execute(
                delete(OutboundMessage).where(OutboundMessage.created_at < history_cutoff,
                                              OutboundMessage.status != "pending")).rowcount,
            "inbound": session.execute(
                delete(InboundMessage).where(InboundMessage.received_at < inbound_cutoff)
            ).rowcount,
            "handoffs": session.execute(
                delete(Handoff).where(Handoff.created_at < history_cutoff,
                                      Handoff.status != "open")).rowcount,
            "unanswered": session.execute(
                delete(UnansweredQuestion).where(UnansweredQuestion.asked_at < history_cutoff,
                                                 UnansweredQuestion.status != "open")).rowcount,
        }
    log.info("purge %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def remind_bookings(services) -> int:  # type: ignore[no-untyped-def]
    """Send the booking reminders that are due (each kind once per booking; none at night)."""
    now, zone = services.clock(), ZoneInfo(services.settings.bot.timezone)
    queued: list[int] = []
    with services.sessions.begin() as session:
        for booking, slot, service, kind in list(due_reminders(session, now=now, zone=zone)):
            try:
                with session.begin_nested():  # another scheduler run sent it: skip
                    session.add(BookingReminder(booking_id=booking.id, kind=kind, sent_at=now))
                    session.flush()
            except IntegrityError:
                continue
            today = slot.starts_at.astimezone(zone).date() == now.astimezone(zone).date()
            text = (f"预约提醒：您{'今天' if today else '明天'}有预约（{describe(slot, zone=zone)}）。\n"
                    f"{details(service, slot, zone)}\n预约编号：{booking.ref}\n"
                    "不能来的话，请回复“我的预约”取消或改约；有问题回复“人工”。")
            queued += [row.id for row in services.sender.enqueue(session, booking.user_id, text)]
    services.sender.deliver(queued)
    log.info("booking reminders queued=%d", len(queued))
    return len(queued)
