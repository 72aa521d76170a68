"""Handoffs to staff: one open per person (repeats join it), with the person's recent messages;
list, answer and close them.

Staff answer through the outbox (`message/send`); the console, the CLI and tests call the
same functions here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Handoff, InboundMessage, OutboundMessage

RECENT_MESSAGES = 5
OUTCOMES = ("已解决", "已转介相关部门", "已登记跟进", "联系不上", "无需处理")
REASONS = {"request": "本人要求人工", "distress": "情绪危机（紧急）", "no_answer": "机器人答不上"}
MAX_REPLY = 1500
REPLY_FOOTER = "\n（以上是工作人员的回复。回复“人工”可继续联系工作人员，回复“菜单”看其他服务。）"


class HandoffError(ValueError):
    """A handoff that cannot be answered or closed as asked; the message is one line."""


@dataclass(frozen=True)
class Line:
    """One message of a conversation, for staff: who said it, when, what (as stored)."""

    at: datetime
    who: str  # "person" / "bot"
    text: str


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


def waiting_handoffs(session: Session) -> Sequence[Handoff]:
    """Handoffs not closed yet (open or answered), urgent first, then unanswered, then oldest."""
    return session.scalars(select(Handoff).where(Handoff.status != "closed")
                           .order_by(Handoff.urgent.desc(), Handoff.answered_at.is_not(None),
                                     Handoff.id)).all()


def get_handoff(session: Session, handoff_id: int) -> Handoff:
    """The handoff with this id, or HandoffError."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise HandoffError(f"没有编号为 {handoff_id} 的转人工记录")
    return handoff


def reply_to_handoff(session: Session, sender: Any, handoff_id: int, text: str, *, by: str,
                     now: datetime) -> list[int]:
    """Queue staff's answer to the person (message/send through the outbox); record who and
    when. Returns the outbox ids for the caller to deliver after its commit."""
    handoff = get_handoff(session, handoff_id)
    text = text.strip()
    if handoff.status == "closed":
        raise HandoffError(f"转人工 #{handoff_id} 已关闭，不能再回复")
    if not handoff.user_id:
        raise HandoffError(f"转人工 #{handoff_id} 没有可以回复的用户")
    if not text or len(text) > MAX_REPLY:
        raise HandoffError(f"回复不能为空，最多 {MAX_REPLY} 个字")
    rows = sender.enqueue(session, handoff.user_id, text + REPLY_FOOTER)
    handoff.status, handoff.answered_at, handoff.answered_by = "answered", now, by
    return [row.id for row in rows if row.status == "pending"]


def close_handoff(session: Session, handoff_id: int, outcome: str, *, by: str,
                  now: datetime) -> Handoff:
    """Close a handoff with one of OUTCOMES."""
    handoff = get_handoff(session, handoff_id)
    if outcome not in OUTCOMES:
        raise HandoffError(f"结果只能是：{'、'.join(OUTCOMES)}")
    if handoff.status == "closed":
        raise HandoffError(f"转人工 #{handoff_id} 已经关闭")
    handoff.status, handoff.outcome, handoff.closed_at, handoff.closed_by = (
        "closed", outcome, now, by)
    return handoff


def conversation(session: Session, user_id: str, limit: int = 30) -> list[Line]:
    """The person's last messages and the bot's and staff's answers, oldest first."""
    inbound = session.execute(select(InboundMessage.received_at, InboundMessage.text)
                              .where(InboundMessage.user_id == user_id,
                                     InboundMessage.text.is_not(None))
                              .order_by(InboundMessage.id.desc()).limit(limit)).all()
    outbound = session.execute(select(OutboundMessage.created_at, OutboundMessage.text)
                               .where(OutboundMessage.user_id == user_id,
                                      OutboundMessage.status != "suppressed")
                               .order_by(OutboundMessage.id.desc()).limit(limit)).all()
    lines = [Line(at, "person", text) for at, text in inbound if text]
    lines += [Line(at, "bot", text) for at, text in outbound]
    return sorted(lines, key=lambda line: line.at)[-limit:]
