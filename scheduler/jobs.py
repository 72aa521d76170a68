"""Scheduled jobs: module-level functions of `Services`; what to do lives in the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from db.models import Handoff, InboundMessage, OutboundMessage, UnansweredQuestion
from db.retention import expire_open, purge_abandoned_forms, purge_unfinished_consents

log = logging.getLogger(__name__)


def deliver_outbox(services) -> int:  # type: ignore[no-untyped-def]
    """Retry the messages that could not be sent yet."""
    return services.sender.deliver_due()


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
