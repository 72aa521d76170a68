"""Event notices to many people: up to 1,000 recipients of one text per `message/send`.

The text goes as it is, or (with `[events] cards = true`) inside a button card (bot/cards.py);
either way the rules below are the same.

Each recipient is one outbox row (db/notices.py), so the rules are the outbox's, per row:
- one sender: the scheduler that holds the `notices` lease (db/leases.py) sends; a second
  one started by mistake waits, and takes over only when the first stops renewing;
- a row is claimed (pending → sending) before the call and records its result after, so a
  restart never sends what was recorded as sent;
- a crash between WeCom's answer and the record leaves rows "sending": the next holder
  sends them again with WeCom's duplicate check on (`enable_duplicate_check`, 4 hours),
  so WeCom drops the copy for whoever already got it;
- each person stays within 30 a minute and 1,000 an hour (the sender's own pacing);
- 45009 (frequency limit), -1 (busy), HTTP 5xx and network errors: back-off and retry;
  42001/40014 (token): the client refreshes the token once and repeats the call;
  `invaliduser` recipients: failed at once, never retried; every result is recorded;
- quiet hours (21:00-08:00 by default): only notices marked urgent go.

message/send: https://developer.work.weixin.qq.com/document/path/90236
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import func, select, update
from wechatpy.exceptions import WeChatClientException

from bot.cards import notice_message
from bot.sender import MAX_ATTEMPTS, PER_MINUTE, RETRYABLE
from db.leases import acquire, release
from db.models import EventNotice, OutboundMessage
from db.session import read_session

log = logging.getLogger(__name__)

LEASE = "notices"
DUPLICATE_CHECK_SECONDS = 4 * 3600  # WeCom's longest duplicate-check window
O = OutboundMessage


def quiet(now: datetime, zone: str, start_hour: int, end_hour: int) -> bool:
    """Whether `now` falls in the quiet hours (local time), e.g. 21:00-08:00."""
    hour = now.astimezone(ZoneInfo(zone)).hour
    if start_hour > end_hour:
        return hour >= start_hour or hour < end_hour
    return start_hour <= hour < end_hour


class Broadcaster:
    """Send the due rows of event notices in batches, holding the `notices` lease."""

    def __init__(self, services: Any, holder: str | None = None) -> None:
        self.services = services
        self.settings = services.settings.events
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def due(self, now: datetime, limit: int) -> list[Any]:
        """Pending notice rows whose time has come (urgent only in quiet hours), one notice."""
        bot, events = self.services.settings.bot, self.settings
        stmt = (select(O.id, O.user_id, O.notice_id, O.text, O.attempts, EventNotice.event_id,
                       EventNotice.kind)
                .join(EventNotice, EventNotice.id == O.notice_id)
                .where(O.status == "pending", O.notice_id.is_not(None),
                       O.next_attempt_at.is_(None) | (O.next_attempt_at <= now)))
        if quiet(now, bot.timezone, events.quiet_start_hour, events.quiet_end_hour):
            stmt = stmt.where(EventNotice.urgent.is_(True))
        with read_session(self.services.sessions) as session:
            first = session.scalar(stmt.with_only_columns(O.notice_id).order_by(O.id).limit(1))
            if first is None:
                return []
            return list(session.execute(stmt.where(O.notice_id == first)
                                        .order_by(O.id).limit(limit)).all())

    def run(self, *, max_batches: int | None = None) -> int:
        """Send batches while there are due rows and the lease is ours; return how many went."""
        sent = batches = 0
        try:
            while max_batches is None or batches < max_batches:
                now = self.services.clock()
                if not self.due(now, 1):
                    break
                since = acquire(self.services.sessions, LEASE, self.holder, now=now,
                                seconds=self.settings.lease_seconds)
                if since is None:
                    log.info("notices: another scheduler holds the lease")
                    break
                self._recover(since)
                rows = self.due(now, self.settings.batch_size)
                if not rows:
                    break
                sent += self._batch(rows)
                batches += 1
        finally:
            if batches:
                release(self.services.sessions, LEASE, self.holder)
        return sent

    def _recover(self, since: datetime) -> None:
        """Rows a lost holder claimed before we held the lease: send again (duplicate check)."""
        with self.services.sessions.begin() as session:
            session.execute(update(O).where(O.status == "sending", O.notice_id.is_not(None),
                                            O.next_attempt_at < since)
                            .values(status="pending")
                            .execution_options(synchronize_session=False))

    def _batch(self, rows: list[Any]) -> int:
        """Pace, claim, send one message/send, record; return how many were sent."""
        now, sender = self.services.clock(), self.services.sender
        waits: dict[int, datetime] = {}
        with read_session(self.services.sessions) as session:
            busy = self._busy(session, [row.user_id for row in rows], now)
            for row in rows:
                if row.user_id in busy:  # the sender's own pacing decides for these
                    wait = sender._pace(session, row.user_id, now)
                    if wait is not None:
                        waits[row.id] = wait
        go = [row for row in rows if row.id not in waits]
        with self.services.sessions.begin() as session:
            for row_id, wait in waits.items():
                session.execute(update(O).where(O.id == row_id, O.status == "pending")
                                .values(next_attempt_at=wait)
                                .execution_options(synchronize_session=False))
            claimed = set(session.scalars(
                update(O).where(O.id.in_([r.id for r in go]), O.status == "pending")
                .values(status="sending", next_attempt_at=now, attempts=O.attempts + 1)
                .returning(O.id).execution_options(synchronize_session=False)).all()) \
                if go else set()
        go = [row for row in go if row.id in claimed]
        if not go:
            return 0
        first = go[0]  # the same batch sent again (after a crash) has the same task_id
        msg = notice_message(first.text, cards=self.settings.cards, kind=first.kind,
                             event_id=first.event_id,
                             task_id=f"notice{first.notice_id}-{first.id}",
                             duplicate_check_seconds=DUPLICATE_CHECK_SECONDS)
        errcode, errmsg, msgid, invalid = self._call([r.user_id for r in go], msg)
        return self._record(go, errcode, errmsg, msgid, invalid)

    @staticmethod
    def _busy(session: Any, users: list[str], now: datetime) -> set[str]:
        """Who got at least PER_MINUTE messages in the last hour: only they can be over a
        limit, so only they need the sender's per-person pacing (one query, not 1,000)."""
        recent = (select(O.user_id).where(O.user_id.in_(users), O.status == "sent",
                                          O.sent_at > now - timedelta(hours=1))
                  .group_by(O.user_id).having(func.count() >= PER_MINUTE))
        return set(session.scalars(recent).all())

    def _call(self, users: list[str], msg: dict[str, Any]
              ) -> tuple[int | None, str, str | None, set[str]]:
        """One message/send to all `users`: (errcode, errmsg, msgid, invalid users)."""
        client = self.services.client
        try:
            result = client.message.send(client.agent_id, users, msg=msg)
        except WeChatClientException as exc:
            return exc.errcode, str(exc.errmsg or ""), None, set()
        except requests.RequestException as exc:
            return None, type(exc).__name__, None, set()
        if not isinstance(result, dict):
            return None, "answer is not JSON", None, set()
        invalid = {u for u in str(result.get("invaliduser") or "").split("|") if u}
        return 0, "ok", str(result.get("msgid") or "") or None, invalid

    def _record(self, rows: list[Any], errcode: int | None, errmsg: str, msgid: str | None,
                invalid: set[str]) -> int:
        """Write every row's result; return how many were sent."""
        now = self.services.clock()
        outcome: dict[str, list[int]] = {"sent": [], "invalid": [], "retry": [], "failed": []}
        for row in rows:
            if errcode == 0:
                outcome["invalid" if row.user_id in invalid else "sent"].append(row.id)
            elif (errcode is None or errcode in RETRYABLE) and row.attempts + 1 < MAX_ATTEMPTS:
                outcome["retry"].append(row.id)
            else:
                outcome["failed"].append(row.id)
        backoff = timedelta(seconds=min(5 * 2 ** rows[0].attempts, 600))
        values = {"sent": dict(status="sent", sent_at=now, wecom_msgid=msgid, errcode=0,
                               errmsg="ok"),
                  "invalid": dict(status="failed", errcode=0, errmsg="invaliduser"),
                  "retry": dict(status="pending", next_attempt_at=now + backoff,
                                errcode=errcode, errmsg=errmsg[:255]),
                  "failed": dict(status="failed", errcode=errcode, errmsg=errmsg[:255])}
        with self.services.sessions.begin() as session:
            for name, ids in outcome.items():
                if ids:
                    session.execute(update(O).where(O.id.in_(ids)).values(**values[name])
                                    .execution_options(synchronize_session=False))
        log.info("notice batch size=%d errcode=%s sent=%d invalid=%d retry=%d failed=%d",
                 len(rows), errcode, len(outcome["sent"]), len(outcome["invalid"]),
                 len(outcome["retry"]), len(outcome["failed"]))
        return len(outcome["sent"])
