"""Outgoing messages through `message/send`, kept in an outbox until WeCom takes them.

Every message is a row of `outbound_messages` first (status pending), then delivered; a send
that fails with a passing error stays pending with a back-off and the scheduler retries it.
WeCom silently drops more than 30 messages a minute or 1,000 an hour to one member, so the
sender paces each user below both, counting in the shared database (read without the write
lock: two processes sending to one member at the same instant may both count the same past,
which the margin below the limits absorbs).

message/send: https://developer.work.weixin.qq.com/document/path/90236
limits: https://developer.work.weixin.qq.com/document/path/90312
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot.masking import mask_user
from db.kf import is_customer
from db.models import OutboundMessage, User
from db.session import read_session
from db.types import utcnow

log = logging.getLogger(__name__)

TEXT_LIMIT_BYTES = 2048
PER_MINUTE, PER_HOUR = 28, 990  # WeCom: 30 / 1,000 per member; keep a margin
MAX_ATTEMPTS = 8
RETRYABLE = {-1, 45009, 45033}
STALE_SENDING = timedelta(minutes=5)
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


class Sender:
    """Queue texts for users and deliver them through the WeCom client."""

    def __init__(self, client, sessions: sessionmaker[Session], clock: Callable = utcnow) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.kf: Any = None  # bot.kf_send.KfDelivery: the outbox of 微信客服 ("kf:") users

    def enqueue(self, session: Session, user_id: str, text: str,
                inbound_id: int | None = None) -> list[OutboundMessage]:
        """Add the text (split if needed) to the outbox inside the caller's transaction."""
        user = session.get(User, user_id)
        status = "suppressed" if user is not None and user.unsubscribed_at else "pending"
        rows = [OutboundMessage(user_id=user_id, text=part, status=status, attempts=0,
                                inbound_id=inbound_id, created_at=self.clock())
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
                                   func.coalesce(OutboundMessage.next_attempt_at,
                                                 OutboundMessage.created_at)
                                   < now - STALE_SENDING)
                            .values(status="pending"))
            ids = session.scalars(
                select(OutboundMessage.id)
                .where(OutboundMessage.status == "pending",
                       (OutboundMessage.next_attempt_at.is_(None))
                       | (OutboundMessage.next_attempt_at <= now))
                .order_by(OutboundMessage.id).limit(limit)).all()
        return self.deliver(ids)

    def deliver(self, ids: Iterable[int]) -> int:
        """Try to send each pending message in `ids`, oldest first; return how many went."""
        sent = 0
        for message_id in sorted(ids):
            sent += self._deliver_one(message_id)
        return sent

    def _deliver_one(self, message_id: int) -> int:
        """Read, claim (one short write), call WeCom, record the result (one short write)."""
        now = self.clock()
        with read_session(self.sessions) as session:
            row = session.get(OutboundMessage, message_id)
            if row is None or row.status != "pending":
                return 0
            user_id, text, attempts = row.user_id, row.text, row.attempts + 1
            if self.kf is not None and is_customer(user_id):  # kf/send_msg, its own limits
                return self.kf.deliver_user(user_id)
            wait = self._pace(session, user_id, now)
        still_pending = (OutboundMessage.id == message_id, OutboundMessage.status == "pending")
        with self.sessions.begin() as session:
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
        log.info("send user=%s status=%s errcode=%s attempt=%s", mask_user(user_id), status,
                 errcode, attempts)
        return int(status == "sent")

    def _call(self, user_id: str, text: str) -> tuple[str, int | None, str | None, str | None]:
        try:
            result = self.client.message.send_text(self.client.agent_id, user_id, text)
        except WeChatClientException as exc:
            errcode = exc.errcode
            retry = errcode in RETRYABLE or errcode is None  # None: HTTP 5xx or no JSON
            return ("retry" if retry else "failed"), errcode, exc.errmsg, None
        except requests.RequestException as exc:
            return "retry", None, type(exc).__name__, None
        if not isinstance(result, dict):  # wechatpy hands back a page that is not JSON as is
            return "retry", None, "answer is not JSON", None
        return "sent", 0, "ok", str(result.get("msgid") or "") or None

    def _pace(self, session: Session, user_id: str, now: datetime) -> datetime | None:
        """None if a message may go to this user now, else the time when it may."""
        hourly = session.scalars(select(OutboundMessage.sent_at)
                                 .where(OutboundMessage.user_id == user_id,
                                        OutboundMessage.status == "sent",
                                        OutboundMessage.sent_at > now - timedelta(hours=1))
                                 .order_by(OutboundMessage.sent_at)).all()
        last_minute = [t for t in hourly if t > now - timedelta(minutes=1)]
        if len(last_minute) >= PER_MINUTE:
            return last_minute[0] + timedelta(minutes=1)
        if len(hourly) >= PER_HOUR:
            return hourly[0] + timedelta(hours=1)
        return None
