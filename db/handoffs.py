"""Handoffs to staff: create one with the person's recent messages; list the open ones."""

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
                 now: datetime) -> Handoff:
    """Record a handoff with the user's recent messages."""
    handoff = Handoff(user_id=user_id, reason=reason, urgent=urgent, status="open",
                      recent="\n".join(recent_texts(session, user_id)), created_at=now)
    session.add(handoff)
    session.flush()
    return handoff


def open_handoffs(session: Session) -> Sequence[Handoff]:
    """Open handoffs, urgent first, then oldest first."""
    return session.scalars(select(Handoff).where(Handoff.status == "open")
                           .order_by(Handoff.urgent.desc(), Handoff.id)).all()
