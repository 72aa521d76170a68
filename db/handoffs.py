"""Handoffs to staff: one open per person (repeats join it), with the person's recent messages;
list the open ones."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Handoff, InboundMessage

RECENT_MESSAGES = 5


def recent_texts(session: Session, user_id: str, limit: int = RECENT_MESSAGES) -> list[str]:
    """The user's last text messages, oldest first, as stored (already scrubbed)."""
    rows = session.scalars(select(InboundMessage.text)
                           .where(InboundMessage.user_id == user_id,
                                  InboundMessage.text.is_not(None))
                           .order_by(InboundMessage.id.desc()).limit(limit)).all()
    return [t for t in reversed(rows) if t]


def open_handoff(session: Session, user_id: str, *, reason: str, urgent: bool,
                 now: datetime, latest: str | None = None) -> Handoff:
    """Record a handoff with the user's recent messages; `latest` (scrubbed) is the message
    being answered, which the pipeline records only after its handler."""
    recent = recent_texts(session, user_id, RECENT_MESSAGES - 1 if latest else RECENT_MESSAGES)
    handoff = Handoff(user_id=user_id, reason=reason, urgent=urgent, status="open",
                      recent="\n".join([*recent, *([latest] if latest else [])]),
                      created_at=now)
    session.add(handoff)
    session.flush()
    return handoff


def join_open_handoff(session: Session, user_id: str, *, reason: str, urgent: bool,
                      latest: str | None = None) -> Handoff | None:
    """The user's open handoff, if any, with `latest` added to its recent messages; made
    urgent (with this reason) when this one is (distress after a plain request)."""
    row = session.scalars(select(Handoff).where(Handoff.user_id == user_id,
                                                Handoff.status == "open")
                          .order_by(Handoff.id.desc()).limit(1)).first()
    if row is None:
        return None
    if latest:
        row.recent = "\n".join([*(row.recent or "").splitlines(), latest][-2 * RECENT_MESSAGES:])
    if urgent and not row.urgent:
        row.urgent, row.reason = True, reason
    return row


def open_handoffs(session: Session) -> Sequence[Handoff]:
    """Open handoffs, urgent first, then oldest first."""
    return session.scalars(select(Handoff).where(Handoff.status == "open")
                           .order_by(Handoff.urgent.desc(), Handoff.id)).all()
