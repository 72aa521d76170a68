"""Outgoing messages through `message/send`, kept in an outbox until WeCom takes them.

Every message is a row of `outbound_messages` first (status pending), then delivered; a send
that fails with a passing error stays pending with a back-off and the scheduler retries it.
WeCom silently drops more than 30 messages a minute or 1,000 an hour to one member, so the
sender paces each user below both, counting in the shared database what was sent or is being
sent. The count and the claim are one transaction holding the member's lock (SQLite: the
write lock; PostgreSQL: an advisory lock per member), so the limit holds across threads and
processes. Urgent messages (distress notices) go first and may use the last two places of
each minute and hour: a backlog of ordinary notices never holds them up.

message/send: https://developer.work.weixin.qq.com/document/path/90236
limits: https://developer.work.weixin.qq.com/document/path/90312
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot.logs import describe
from bot.masking import mask_user
from db.kf import is_customer
from db.models import OutboundMessage, User
from db.session import read_session
from db.types import utcnow

log = logging.getLogger(__name__)

TEXT_LIMIT_BYTES = 2048
PER_MINUTE, PER_HOUR = 28, 990  # WeCom: 30 / 1,000 per member; the rest is for urgent ones
URGENT_PER_MINUTE, URGENT_PER_HOUR = 30, 1000
MAX_ATTEMPTS = 8
RETRYABLE = {-1, 45009, 45033}
STALE_SENDING = timedelta(minutes=5)
PACING_LOCK = 7301  # the advisory lock namespace of per-member pacing (PostgreSQL)
ENQUEUED = "bot.sender.enqueued"  # session.info: ids of the pending rows queued in that session


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Split at sentence ends so that every part is at most `limit` UTF-8 bytes."""
    if len(text.encode()) <= limit:
        return [text]
    parts, current = [], ""
    for piece in re.split(r"(?<=[。！？!?\n；;])", text):
        if len((current + piece).encode()) > limit:  # flush first: the order is kept
            parts.append(current)
            current = ""
        while len(piece.encode()) > limit:  # one sentence longer than the limit: cut it
            cut = len(piece.encode()[:limit].decode(errors="ignore"))
            parts.append(piece[:cut])
            piece = piece[cut:]
        current += piece
    return [p for p in parts + [current] if p.strip()]



def outbox_status(unsubscribed_at: object) -> str:
    """A new outbox row's status: kept but never sent ("suppressed") for someone who
    unsubscribed, else "pending"."""
    return "suppressed" if unsubscribed_at else "pending"

class Sender:
    """Queue texts for users and deliver them through the WeCom client."""

    def __init__(self, client: Any, sessions: sessionmaker[Session],
                 clock: Callable = utcnow, staff: Iterable[str] = ()) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.staff = frozenset(staff)  # their failed notices are logged as such
        self.kf: Any = None  # bot.kf_send.KfDelivery: the outbox of 微信客服 ("kf:") users

    def enqueue(self, session: Session, user_id: str, text: str,
                inbound_id: int | None = None, *, urgent: bool = False,
                about_user: str | None = None) -> list[OutboundMessage]:
        """Add the text (split if needed) to the outbox inside the caller's transaction.

        `urgent`: sent before everything else waiting; `about_user`: the person a staff
        notice is about (erased with them).
        """
        user = session.get(User, user_id)
        status = outbox_status(user.unsubscribed_at if user is not None else None)
        rows = [OutboundMessage(user_id=user_id, text=part, status=status, attempts=0,
                                inbound_id=inbound_id, created_at=self.clock(), urgent=urgent,
                                about_user=about_user)
                for part in split_text(text)]
        session.add_all(rows)
        session.flush()
        queued = session.info.setdefault(ENQUEUED, set())
        queued.update(row.id for row in rows if row.status == "pending")
        return rows

    def send_text(self, user_id: str, text: str) -> list[int]:
        """Queue and deliver at once (pushes, staff answers); what fails stays in the outbox."""
        with self.sessions.begin() as session:
            ids = [row.id for row in self.enqueue(session, user_id, text)]
        self.deliver(ids)
        return ids

    def deliver_due(self, limit: int = 200) -> int:
        """Deliver pending messages whose time has come (the scheduler's outbox job)."""
        now = self.clock()
        with self.sessions.begin() as session:
            session.execute(update(OutboundMessage)
                            .where(OutboundMessage.status == "sending",  # claimed, then lost
                                   OutboundMessage.notice_id.is_(None),
                                   func.coalesce(OutboundMessage.next_attempt_at,
                                                 OutboundMessage.created_at)
                                   < now - STALE_SENDING)
                            .values(status="pending"))
            ids = session.scalars(
                select(OutboundMessage.id)
                .where(OutboundMessage.status == "pending",
                       OutboundMessage.notice_id.is_(None),  # notices: bot/broadcast.py
                       (OutboundMessage.next_attempt_at.is_(None))
                       | (OutboundMessage.next_attempt_at <= now))
                .order_by(OutboundMessage.urgent.desc(), OutboundMessage.id)
                .limit(limit)).all()
        return self.deliver(ids)

    def deliver(self, ids: Iterable[int]) -> int:
        """Try to send each pending message in `ids`, urgent first, then oldest first; return
        how many went."""
        ids, sent = sorted(ids), 0
        if not ids:
            return 0
        with read_session(self.sessions) as session:
            urgent = set(session.scalars(select(OutboundMessage.id).where(
                OutboundMessage.id.in_(ids), OutboundMessage.urgent.is_(True))).all())
        for message_id in sorted(ids, key=lambda i: (i not in urgent, i)):
            sent += self._deliver_one(message_id)
        return sent

    def _deliver_one(self, message_id: int) -> int:
        """Read, claim (one short write), call WeCom, record the result (one short write)."""
        now = self.clock()
        with read_session(self.sessions) as session:
            row = session.get(OutboundMessage, message_id)
            if row is None or row.status != "pending":
                return 0
            user_id, text, attempts, urgent = row.user_id, row.text, row.attempts + 1, row.urgent
            if self.kf is not None and is_customer(user_id):  # kf/send_msg, its own limits
                return self.kf.deliver_user(user_id)
        still_pending = (OutboundMessage.id == message_id, OutboundMessage.status == "pending")
        with self.sessions.begin() as session:  # count and claim under the member's lock
            _lock_member(session, user_id)
            wait = self._pace(session, user_id, now, urgent)
            if wait is not None:
                session.execute(update(OutboundMessage).where(*still_pending)
                                .values(next_attempt_at=wait))
                return 0
            claimed = session.execute(update(OutboundMessage).where(*still_pending)
                                      .values(status="sending", next_attempt_at=now,
                                              attempts=OutboundMessage.attempts + 1))
            if claimed.rowcount != 1:  # another process took it
                return 0
        status, errcode, errmsg, msgid = self._call(user_id, text)
        result: dict[str, Any] = {"errcode": errcode, "errmsg": (errmsg or "")[:255] or None}
        if status == "sent":
            result.update(status="sent", sent_at=self.clock(), wecom_msgid=msgid)
        elif status == "retry" and attempts < MAX_ATTEMPTS:
            backoff = min(30 * 2 ** attempts, 3600)
            result.update(status="pending",
                          next_attempt_at=self.clock() + timedelta(seconds=backoff))
        else:
            result.update(status="failed")
        with self.sessions.begin() as session:
            session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id)
                            .values(**result))
        self._log(user_id, result["status"], errcode, errmsg, attempts)
        return int(status == "sent")

    def _log(self, user_id: str, status: str, errcode: int | None, errmsg: str | None,
             attempt: int) -> None:
        """INFO when sent; WARNING with WeCom's errcode and errmsg (or the exception) when not;
        a staff notice that will never arrive says so."""
        if status == "sent":
            log.info("send user=%s status=sent attempt=%s", mask_user(user_id), attempt)
            return
        staff = user_id in self.staff
        what = "staff notice" if staff else "send"
        verdict = "NOT DELIVERED, gave up" if status == "failed" else "failed, will retry"
        log.warning("%s %s user=%s errcode=%s errmsg=%s attempt=%s", what, verdict,
                    mask_user(user_id), errcode, errmsg, attempt)

    def _call(self, user_id: str, text: str) -> tuple[str, int | None, str | None, str | None]:
        try:
            result = self.client.message.send_text(self.client.agent_id, user_id, text)
        except WeChatClientException as exc:
            errcode = exc.errcode
            retry = errcode in RETRYABLE or errcode is None  # None: HTTP 5xx or no JSON
            return ("retry" if retry else "failed"), errcode, exc.errmsg, None
        except requests.RequestException as exc:  # refused, timed out, no route...
            return "retry", None, describe(exc), None
        if not isinstance(result, dict):  # wechatpy hands back a page that is not JSON as is
            return "retry", None, "answer is not JSON", None
        return "sent", 0, "ok", str(result.get("msgid") or "") or None

    def _pace(self, session: Session, user_id: str, now: datetime,
              urgent: bool = False) -> datetime | None:
        """None if a message may go to this user now, else the time when it may.

        Counts what was sent and what is being sent (claimed: `next_attempt_at` is the claim
        time); the caller holds the member's lock, so nobody counts the same past twice.
        """
        at = func.coalesce(OutboundMessage.sent_at, OutboundMessage.next_attempt_at)
        hourly = session.scalars(select(at)
                                 .where(OutboundMessage.user_id == user_id,
                                        OutboundMessage.status.in_(("sent", "sending")),
                                        at > now - timedelta(hours=1))
                                 .order_by(at)).all()
        hourly = [t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in hourly]
        last_minute = [t for t in hourly if t > now - timedelta(minutes=1)]
        per_minute, per_hour = (URGENT_PER_MINUTE, URGENT_PER_HOUR) if urgent else \
            (PER_MINUTE, PER_HOUR)
        if len(last_minute) >= per_minute:
            return last_minute[-per_minute] + timedelta(minutes=1)
        if len(hourly) >= per_hour:
            return hourly[-per_hour] + timedelta(hours=1)
        return None


def _lock_member(session: Session, user_id: str) -> None:
    """Take the member's pacing lock until the transaction ends. SQLite's write transaction
    already excludes every other writer; PostgreSQL takes a transaction advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(PACING_LOCK, func.hashtext(user_id))))
