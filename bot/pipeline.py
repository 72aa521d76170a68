"""The message pipeline after decryption: record once, route, answer, send.

One transaction holds the inbound record (unique `delivery_key`), the handler's effects and
the outbound rows, so a re-delivered callback makes no second record and no second reply,
also when two workers get the copies at once (the unique index decides).

The handler runs on a worker thread. If its reply is ready within the passive budget, the
first message goes back in the HTTP response; otherwise the callback answers an empty 200
and the reply goes out through `message/send` (the outbox).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.masking import mask_user, scrub
from bot.messages import Incoming, Reply
from bot.router import Context
from bot.sender import ENQUEUED, split_text
from db.models import InboundMessage, OutboundMessage, User
from handlers.texts import text

log = logging.getLogger(__name__)

RACE_RETRIES = 3


class PassiveSlot:
    """The hand-over between the HTTP request (waiting) and the worker (answering)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._waiting = True
        self._claimed = False
        self._abandoned = False
        self._text: str | None = None

    def claim(self) -> bool:
        """Worker: may the first message go back passively? (False once the request gave up.)"""
        with self._lock:
            self._claimed = self._waiting
            return self._claimed

    def give(self, text: str | None) -> bool:
        """Worker: hand over the passive text; False if the request no longer waits for it."""
        with self._lock:
            self._text = text
            self._done.set()
            return not self._abandoned

    def wait(self, budget: float, grace: float = 1.5) -> str | None:
        """Request: the passive text if ready within `budget` seconds, else None."""
        if self._done.wait(budget):
            return self._text
        with self._lock:
            if not self._claimed:
                self._waiting = False
                return None
        if self._done.wait(grace):  # claimed: the worker is committing right now
            return self._text
        with self._lock:  # the commit outlasted WeCom's deadline: the worker sends it instead
            self._abandoned = not self._done.is_set()
            return None if self._abandoned else self._text


class Pipeline:
    """Process decrypted messages on a small thread pool."""

    def __init__(self, services: Any, workers: int = 8) -> None:
        self.services = services
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pipeline")
        self._idle = threading.Condition()
        self._in_flight = 0

    def handle(self, incoming: Incoming) -> str | None:
        """Process `incoming`; return the passive reply text, or None to answer empty."""
        slot = PassiveSlot()
        with self._idle:
            self._in_flight += 1
        self.executor.submit(self._run, incoming, slot)
        return slot.wait(self.services.settings.bot.passive_reply_seconds)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted message is fully processed and sent (tools and tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _run(self, incoming: Incoming, slot: PassiveSlot) -> None:
        try:
            self.process(incoming, slot)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def process(self, incoming: Incoming, slot: PassiveSlot | None = None) -> None:
        """Record, route and answer one message (also called directly by tests and tools)."""
        started = time.perf_counter()
        passive_text, pending, handler = None, [], "error"
        try:
            for attempt in range(RACE_RETRIES):
                try:
                    passive_text, pending, handler = self._transaction(incoming, slot)
                    break
                except IntegrityError:
                    if self._seen(incoming):  # another worker recorded this delivery: no reply
                        passive_text, pending, handler = None, [], "duplicate"
                        break
                    # A race on this user's first rows (user, conversation): run it again.
                    log.info("retrying after a race user=%s attempt=%d",
                             mask_user(incoming.user_id), attempt + 1)
        except Exception:
            log.exception("pipeline failed user=%s type=%s", mask_user(incoming.user_id),
                          incoming.label)
        finally:
            if slot is not None and not slot.give(passive_text) and passive_text:
                pending = [*self._unpassive(incoming), *pending]
        if pending:
            try:
                self.services.sender.deliver(pending)
            except Exception:  # the rows stay pending; the scheduler's outbox job retries
                log.exception("delivery failed user=%s", mask_user(incoming.user_id))
        log.info("message user=%s type=%s handler=%s latency_ms=%.1f passive=%d",
                 mask_user(incoming.user_id), incoming.label, handler,
                 (time.perf_counter() - started) * 1000, int(passive_text is not None))

    def _transaction(self, incoming: Incoming,
                     slot: PassiveSlot | None) -> tuple[str | None, list[int], str]:
        """One transaction: the inbound record, the handler's effects, the replies."""
        with self.services.sessions.begin() as session:
            inbound = _record_first_delivery(session, incoming)
            reply = self._answer(session, incoming, inbound)
            inbound.handler = reply.handler
            if reply.meta.get("personal"):  # an answer to a personal-data step
                inbound.text = "（个人信息，不保存原文）"
            passive = bool(reply.texts) and slot is not None and slot.claim()
            passive_text, pending = self._record_replies(session, incoming, inbound, reply,
                                                         passive)
        return passive_text, pending, reply.handler

    def _unpassive(self, incoming: Incoming) -> list[int]:
        """The response left without the reply: move its passive row to the outbox."""
        with self.services.sessions.begin() as session:
            row = session.scalars(select(OutboundMessage)
                                  .join(InboundMessage,
                                        OutboundMessage.inbound_id == InboundMessage.id)
                                  .where(InboundMessage.delivery_key == incoming.delivery_key,
                                         OutboundMessage.status == "passive")).first()
            if row is None:
                return []
            row.status = "pending"
            return [row.id]

    def _seen(self, incoming: Incoming) -> bool:
        with self.services.sessions.begin() as session:
            return session.scalar(select(InboundMessage.id).where(
                InboundMessage.delivery_key == incoming.delivery_key)) is not None

    def _answer(self, session: Session, incoming: Incoming, inbound: InboundMessage) -> Reply:
        services = self.services
        now = services.clock()
        user, previous_seen_at = _touch_user(session, incoming.user_id, now)
        try:
            with session.begin_nested():  # a failing handler loses its effects, not the record
                ctx = Context.load(services, session, user, now)
                ctx.previous_seen_at = previous_seen_at
                return services.router.dispatch(incoming, ctx)
        except Exception:
            log.exception("handler failed user=%s type=%s", mask_user(incoming.user_id),
                          incoming.label)
            return Reply.text(text("sorry"), handler="pipeline.sorry")

    def _record_replies(self, session: Session, incoming: Incoming, inbound: InboundMessage,
                        reply: Reply, passive: bool) -> tuple[str | None, list[int]]:
        texts = [part for message in reply.texts for part in split_text(message)]  # ≤ 2048 B
        passive_text = None
        recorded_user = reply.meta.get("erased") or incoming.user_id  # erased: keep no user id
        if passive and texts:
            passive_text = texts.pop(0)
            session.add(OutboundMessage(user_id=recorded_user, text=passive_text,
                                        status="passive", attempts=0, inbound_id=inbound.id,
                                        created_at=self.services.clock()))
        for message in texts:
            self.services.sender.enqueue(session, incoming.user_id, message,
                                         inbound_id=inbound.id)
        # Everything queued in this transaction goes out at once, staff notices included.
        return passive_text, sorted(session.info.pop(ENQUEUED, ()))


def _record_first_delivery(session: Session, incoming: Incoming) -> InboundMessage:
    """Insert the inbound row; a delivery key seen before raises IntegrityError (unique)."""
    inbound = InboundMessage(delivery_key=incoming.delivery_key, user_id=incoming.user_id,
                             kind=incoming.label[:40], text=scrub(incoming.text)[:2000] or None,
                             handler="")
    session.add(inbound)
    session.flush()  # the unique index decides between concurrent copies
    return inbound


def _touch_user(session: Session, user_id: str, now: datetime) -> tuple[User, datetime | None]:
    """The user's row (created on first contact) and when they were last seen before now.

    The row is locked (PostgreSQL), so two messages of one user are handled one after the
    other and never corrupt the conversation state; SQLite serialises writers anyway.
    """
    user = session.get(User, user_id, with_for_update=True)
    if user is None:  # two first messages at once: one insert wins, `process` retries the other
        user = User(user_id=user_id, role="unknown", created_at=now, last_seen_at=now)
        session.add(user)
        session.flush()
        return user, None
    previous, user.last_seen_at = user.last_seen_at, now
    return user, previous
