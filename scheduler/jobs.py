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
