"""Scheduled jobs: module-level functions of `Services`; what to do lives in the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from db.models import Handoff, InboundMessage, OutboundMessage, UnansweredQuestion

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


def purge_history(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Delete message history, dedup keys and closed handoffs older than the retention.

    Inbound rows are both history and de-duplication keys, so they stay for the longer of
    the two periods.
    """
    now = services.clock()
    retention = services.settings.retention
    history_cutoff = now - timedelta(days=retention.message_days)
    inbound_cutoff = min(history_cutoff, now - timedelta(hours=retention.dedup_hours))
    with services.sessions.begin() as session:
        counts = {
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
