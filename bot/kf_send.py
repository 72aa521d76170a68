"""Sending to 微信客服 customers: the outbox rows of a "kf:" user go out through kf/send_msg.

The sender hands a customer's pending rows here. They are packed into as few messages as fit
(2048 bytes each), and each message goes only while the session allows it: state 0 or 1,
within 48 hours of the customer's last message, at most 5 messages per customer message
(one conditional UPDATE takes an answer). What may not go now is `held`; when the customer
next writes, `release_held` turns it into one message ("您有2条通知：..."). Each message
carries our own msgid ("ob" + the row id), so a send retried after a lost answer cannot
arrive twice. An enter_session's welcome_code sends the one welcome via send_msg_on_event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

import requests
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot import kf_api
from bot.masking import mask_user
from bot.sender import ENQUEUED, MAX_ATTEMPTS, RETRYABLE, TEXT_LIMIT_BYTES, split_text
from db import kf
from db.models import KfCustomer, OutboundMessage
from handlers.texts import text

log = logging.getLogger(__name__)

JOINER = "\n\n"


def msgid_of(row_id: int) -> str:
    """Our msgid for an outbox row: unique per account, the same on every retry."""
    return f"ob{row_id}"


class KfDelivery:
    """Deliver the outbox of customer-service users within the limits WeCom sets."""

    def __init__(self, client: Any, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime]) -> None:
        self.client, self.sessions, self.clock = client, sessions, clock

    def deliver_user(self, user_id: str) -> int:
        """Send what may go to this customer now, packed; hold the rest. Returns how many."""
        sent = 0
        while (claimed := self._claim(user_id)) is not None:
            sent += self._send(user_id, *claimed)
        return sent

    def _claim(self, user_id: str) -> tuple[int, str, str, str, str] | None:
        """Pack the pending rows into the first, take an answer (or the welcome code) and mark
        it sending; or hold them. One write transaction, the customer's row locked."""
        now = self.clock()
        with self.sessions.begin() as session:
            customer = session.get(KfCustomer, user_id, with_for_update=True)
            rows = session.scalars(select(OutboundMessage).where(
                OutboundMessage.user_id == user_id, OutboundMessage.status == "pending",
                (OutboundMessage.next_attempt_at.is_(None))
                | (OutboundMessage.next_attempt_at <= now)).order_by(OutboundMessage.id)).all()
            if not rows:
                return None
            if customer is None:  # nobody to address: cannot be sent, ever
                _set(session, [r.id for r in rows], status="failed", errmsg="no kf customer")
                return None
            code = ""
            if customer.welcome_code and customer.welcome_until and now < customer.welcome_until:
                code, customer.welcome_code = customer.welcome_code, None  # one message only
            elif not kf.take_answer(session, user_id, now):
                _set(session, [r.id for r in rows], status="held")
                log.info("kf held user=%s rows=%d", mask_user(user_id), len(rows))
                return None
            first, packed = _pack(session, rows)
            _set(session, [first.id], status="sending", next_attempt_at=now,
                 attempts=first.attempts + 1, text=packed)
            return first.id, packed, code, customer.open_kfid, customer.external_userid

    def _send(self, user_id: str, row_id: int, body: str, code: str, open_kfid: str,
              external_userid: str) -> int:
        msgid = msgid_of(row_id)
        try:
            if code:
                kf_api.send_on_event(self.client, code, body, msgid)
            else:
                kf_api.send_text(self.client, open_kfid, external_userid, body, msgid)
            result: dict[str, Any] = {"status": "sent", "sent_at": self.clock(),
                                      "wecom_msgid": msgid, "errcode": 0, "errmsg": "ok"}
        except WeChatClientException as exc:
            result = self._failure(user_id, row_id, exc.errcode, exc.errmsg, code)
        except requests.RequestException as exc:
            result = self._failure(user_id, row_id, None, type(exc).__name__, code)
        with self.sessions.begin() as session:
            _set(session, [row_id], **result)
        log.info("kf send user=%s status=%s errcode=%s welcome=%d", mask_user(user_id),
                 result["status"], result.get("errcode"), int(bool(code)))
        return int(result["status"] == "sent")

    def _failure(self, user_id: str, row_id: int, errcode: int | None, errmsg: Any,
                 code: str) -> dict[str, Any]:
        """What becomes of a refused send: held (the session does not allow it), retried
        later with the same msgid, or failed."""
        result: dict[str, Any] = {"errcode": errcode, "errmsg": str(errmsg or "")[:255]}
        if code:  # the welcome code was refused or lost: the message waits for an answer
            return {**result, "status": "pending"}
        if errcode in (kf_api.SESSION_INVALID, kf_api.COUNT_LIMIT):
            with self.sessions.begin() as session:  # believe WeCom until the customer writes
                kf.answers_used_up(session, user_id)
            return {**result, "status": "held"}
        with self.sessions.begin() as session:
            attempts = session.scalar(select(OutboundMessage.attempts)
                                      .where(OutboundMessage.id == row_id)) or 1
        if (errcode in RETRYABLE or errcode is None) and attempts < MAX_ATTEMPTS:
            backoff = timedelta(seconds=min(30 * 2 ** attempts, 3600))
            return {**result, "status": "pending", "next_attempt_at": self.clock() + backoff}
        return {**result, "status": "failed"}

    def release_held(self, session: Session, user_id: str) -> int:
        """The customer wrote: their held messages become one message to send now (queued in
        the caller's transaction); returns how many were held."""
        held = session.scalars(select(OutboundMessage).where(
            OutboundMessage.user_id == user_id, OutboundMessage.status == "held")
            .order_by(OutboundMessage.id)).all()
        if not held:
            return 0
        body = text("kf_held", count=len(held)) + "\n" + JOINER.join(r.text for r in held)
        session.execute(delete(OutboundMessage).where(
            OutboundMessage.id.in_([r.id for r in held])))
        rows = [OutboundMessage(user_id=user_id, text=part, status="pending", attempts=0,
                                created_at=self.clock()) for part in split_text(body)]
        session.add_all(rows)
        session.flush()
        session.info.setdefault(ENQUEUED, set()).update(r.id for r in rows)
        return len(held)


def _pack(session: Session, rows: list[OutboundMessage]) -> tuple[OutboundMessage, str]:
    """Join the rows after the first into it while the text fits in one message; the joined
    rows go (their text is in the first). Each row alone already fits."""
    first, body, absorbed = rows[0], rows[0].text, []
    for row in rows[1:]:
        joined = body + JOINER + row.text
        if len(joined.encode()) > TEXT_LIMIT_BYTES:
            break
        body = joined
        absorbed.append(row.id)
    if absorbed:
        session.execute(delete(OutboundMessage).where(OutboundMessage.id.in_(absorbed)))
    return first, body


def _set(session: Session, ids: list[int], **values: Any) -> None:
    session.execute(update(OutboundMessage).where(OutboundMessage.id.in_(ids)).values(**values))
