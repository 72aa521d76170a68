"""The message pipeline after decryption: read the state, route, answer, record once, send.

The user's state is read without the write lock and the handler runs without it; then one
short write transaction holds the inbound record (unique `delivery_key`), the state written
back (checked against its version), the handler's own rows and the outbound rows. So a
re-delivered callback makes no second record and no second reply, also when two workers get
the copies at once (the unique index decides), and two messages of one user never both
change the same state (the second runs again, under the lock). SQLite's single writer is
held for a few statements per message, not for the handler.

The handler runs on a worker thread. If its reply is ready within the passive budget, the
first message goes back in the HTTP response; otherwise the callback answers an empty 200
once the message is recorded (NotRecorded, a 503, when it cannot be recorded in time, so
WeCom retries) and the reply goes out through `message/send` (the outbox).

A re-delivery of a recorded message gets no second reply (CONTRACT.md): the first reply was
either in the response WeCom received, or sent or queued through `message/send`. When the
webhook finds the connection gone before or while it writes a passive reply, it hands the
reply to `passive_reply_lost`, which sends it through `message/send`; so a dropped response
loses no reply, and WeCom's retry of it gets none twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.masking import mask_user, scrub
from bot.messages import Incoming, Reply
from bot.router import Context
from bot.sender import ENQUEUED, outbox_status, split_text
from bot.workers import Workers
from db import state
from db.group_commit import GroupCommit
from db.models import InboundMessage, OutboundMessage
from db.session import read_connection
from db.state import StaleState
from handlers.texts import text

log = logging.getLogger(__name__)

RACE_RETRIES = 3


class NotRecorded(Exception):
    """The message was not recorded in time: answer non-200 so that WeCom retries."""


class PassiveSlot:
    """The hand-over between the HTTP request (waiting) and the worker (answering).

    `_done` is a lock taken at the start and released once, by `give`: the request waits by
    acquiring it, the cheapest hand-over between two threads (an Event is a Condition: a
    lock, a waiter lock made per wait, and a notify). `_lock` keeps the flags consistent.
    """

    __slots__ = ("_lock", "_done", "_given", "_waiting", "_abandoned", "_text")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Lock()
        self._done.acquire()  # released by `give`
        self._given = False
        self._waiting = True
        self._abandoned = False
        self._text: str | None = None

    def claim(self) -> bool:
        """Worker: may the first message go back passively? (False once the request gave up.)"""
        with self._lock:
            return self._waiting

    def give(self, text: str | None) -> bool:
        """Worker, once: hand over the passive text; False if the request no longer waits."""
        with self._lock:
            self._text, self._given = text, True
            self._done.release()
            return not self._abandoned

    def wait(self, budget: float, grace: float = 1.5) -> str | None:
        """Request: the passive text if ready within `budget` seconds, else None once the
        message is recorded (the reply then goes through the outbox).

        NotRecorded if it is not recorded within `budget + grace`: the callback must not be
        acknowledged then, so WeCom delivers it again (the unique delivery key keeps it once).
        """
        if self._done.acquire(timeout=budget):
            return self._text
        with self._lock:
            self._waiting = False  # too late for a passive reply unless already claimed
        if self._done.acquire(timeout=grace):
            return self._text
        with self._lock:  # still not recorded: the worker sends the reply itself if it can
            self._abandoned = not self._given
            if self._abandoned:
                raise NotRecorded()
            return self._text


class SessionOnDemand:
    """A message's ORM session on `connection`, made when first asked for: most handlers
    (a policy answer) never touch the database, and making and closing a Session cost about
    0.05 ms of CPU per message. Closed with the `with` block, like the Session itself."""

    __slots__ = ("_sessions", "_connection", "_session")

    def __init__(self, sessions: sessionmaker[Session], connection: Connection) -> None:
        self._sessions, self._connection = sessions, connection
        self._session: Session | None = None

    def get(self) -> Session:
        """The session, made on the first call."""
        if self._session is None:
            self._session = self._sessions(bind=self._connection)
        return self._session

    def used(self) -> bool:
        """Has the session begun a transaction or been given rows? (False if never made.)"""
        session = self._session
        return session is not None and bool(session.in_transaction() or session.new
                                            or session.dirty or session.deleted)

    def rollback(self) -> None:
        """Undo what the handler did through the session, if it made one."""
        if self._session is not None:
            self._session.rollback()

    def __enter__(self) -> SessionOnDemand:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.close()


class Pipeline:
    """Process decrypted messages on a small thread pool."""

    def __init__(self, services: Any, workers: int = 8) -> None:
        self.services = services
        self.workers = Workers(workers, "pipeline")  # its threads start with the first work
        self._idle = threading.Condition()
        self._in_flight = 0
        # SQLite's one writer is shared by the plain writes ready at once; PostgreSQL's are not.
        self._group_commit = GroupCommit() if services.engine.dialect.name == "sqlite" else None

    def handle(self, incoming: Incoming) -> str | None:
        """Process `incoming`; return the passive reply text, or None to answer empty (the
        message is recorded then); NotRecorded when it could not be recorded in time."""
        slot = PassiveSlot()
        with self._idle:
            self._in_flight += 1
        self.workers.submit(self._run, incoming, slot)
        return slot.wait(self.services.settings.bot.passive_reply_seconds)

    def background(self, work: Callable[..., Any], *args: Any) -> None:
        """Run other work on the pool (the 微信客服 pull); `wait_idle` waits for it too."""
        with self._idle:
            self._in_flight += 1

        def run() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("background work failed")
            finally:
                self._finished()

        self.workers.submit(run)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted message is fully processed and sent (tools and tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _run(self, incoming: Incoming, slot: PassiveSlot) -> None:
        try:
            self.process(incoming, slot)
        finally:
            self._finished()

    def _finished(self) -> None:
        """One accepted message or piece of work is done; `wait_idle` waits only for none."""
        with self._idle:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.notify_all()

    def process(self, incoming: Incoming, slot: PassiveSlot | None = None) -> None:
        """Record, route and answer one message (also called directly by tests and tools)."""
        started = time.perf_counter()
        passive_text, pending, handler, recorded = None, [], "error", False
        try:
            locked = False  # first optimistically; after a conflict, holding the lock
            for attempt in range(RACE_RETRIES):
                try:
                    passive_text, pending, handler = self._transaction(incoming, slot, locked)
                    break
                except (IntegrityError, StaleState):
                    if self._seen(incoming):  # another worker recorded this delivery: no reply
                        passive_text, pending, handler = None, [], "duplicate"
                        break
                    # Another message of this user (or its first rows) came in between.
                    log.info("running again with the lock user=%s attempt=%d",
                             mask_user(incoming.user_id), attempt + 1)
                    locked = True
            recorded = True
        except Exception:  # the database failed: nothing was recorded, so say so at least
            log.exception("pipeline failed user=%s type=%s", mask_user(incoming.user_id),
                          incoming.label)
            passive_text, pending = text("unrecorded"), []
        given = slot is not None and slot.give(passive_text)
        if recorded and passive_text and not given:
            pending = [*self._unpassive(incoming), *pending]
        if pending:
            try:
                self.services.sender.deliver(pending)
            except Exception:  # the rows stay pending; the scheduler's outbox job retries
                log.exception("delivery failed user=%s", mask_user(incoming.user_id))
        log.info("message user=%s type=%s handler=%s latency_ms=%.1f passive=%d",
                 mask_user(incoming.user_id), incoming.label, handler,
                 (time.perf_counter() - started) * 1000, int(passive_text is not None))

    def _transaction(self, incoming: Incoming, slot: PassiveSlot | None,
                     locked: bool) -> tuple[str | None, list[int], str]:
        """Read the state, answer, then write everything in one short transaction.

        Optimistic (`locked` False): the state is read without the write lock and the
        handler runs without it; the write checks the conversation's version. Locked: the
        rows are read under the write lock, so the write cannot be stale.
        """
        services, now = self.services, self.services.clock()
        # One connection for the read and the write: the read runs on its DBAPI cursor
        # before any transaction is begun (SQLite: its own snapshot, no write lock); the
        # session's first statement begins the write transaction on it.
        with services.engine.connect() as connection:
            loaded = None
            if not locked:
                loaded = state.load(connection, incoming.user_id, incoming.delivery_key, now)
            if loaded is None or not loaded.seen:
                return self._write(incoming, slot, connection, loaded, now)
        return None, [], "duplicate"  # a re-delivery: no second record and no second reply

    def _write(self, incoming: Incoming, slot: PassiveSlot | None, connection: Connection,
               loaded: state.Loaded | None, now: datetime) -> tuple[str | None, list[int], str]:
        """Answer and record in one write transaction on `connection`; `loaded` None: read
        the state under the lock first (see `_transaction`)."""
        with SessionOnDemand(self.services.sessions, connection) as sessions:
            if loaded is None:
                loaded = state.load(sessions.get().connection(), incoming.user_id,
                                    incoming.delivery_key, now, lock=True)
                if loaded.seen:
                    return None, [], "duplicate"
            reply = self._answer(sessions, incoming, loaded, now)
            inbound = self._inbound(incoming, reply, now)  # prepared before the lock is taken
            texts = [part for message in reply.texts for part in split_text(message)]
            if len(texts) == 1 and not sessions.used():
                # The handler left no rows and there is one reply: the write needs no ORM.
                return self._write_plain(connection, incoming, slot, loaded, reply, inbound,
                                         texts[0], now)
            session = sessions.get()
            connection = session.connection()  # the write transaction begins here at latest
            inbound_id = state.record_inbound(connection, **inbound)
            if not reply.meta.get("erased"):  # after erasure there is no state to keep
                state.save(connection, loaded, now)
            session.flush()  # the handler's own rows: handoffs, registrations, ...
            passive = bool(texts) and slot is not None and slot.claim()
            passive_text, pending = self._record_replies(session, incoming, inbound_id, reply,
                                                         texts, passive)
            session.commit()
        return passive_text, pending, reply.handler

    def _write_plain(self, connection: Connection, incoming: Incoming,
                     slot: PassiveSlot | None, loaded: state.Loaded, reply: Reply,
                     inbound: dict[str, Any], text_: str, now: datetime
                     ) -> tuple[str | None, list[int], str]:
        """`_write` for the common case, the same rows without the ORM session: the inbound
        record, the state and the one reply (passive, or queued for message/send). On SQLite
        the writes of messages ready at the same moment share a transaction
        (db/group_commit.py)."""

        def write(connection: Connection) -> tuple[str | None, list[int], str]:
            inbound_id = state.record_inbound(connection, **inbound)
            if not reply.meta.get("erased"):
                state.save(connection, loaded, now)
            user_id = reply.meta.get("erased") or incoming.user_id
            if slot is not None and slot.claim():
                state.record_passive(connection, user_id=user_id, text=text_,
                                     inbound_id=inbound_id, created_at=self.services.clock())
                return text_, [], reply.handler
            status = outbox_status(loaded.user.unsubscribed_at)  # as Sender.enqueue
            queued = state.record_queued(connection, user_id=incoming.user_id, text=text_,
                                         status=status, inbound_id=inbound_id,
                                         created_at=self.services.clock())
            return None, [queued] if status == "pending" else [], reply.handler

        if self._group_commit is not None:
            return self._group_commit.run(connection, write)
        with connection.begin():  # the write lock (SQLite) is taken here
            return write(connection)

    def _answer(self, sessions: SessionOnDemand, incoming: Incoming, loaded: state.Loaded,
                now: datetime) -> Reply:
        """Run the handler; if it fails, its effects go and the person gets an apology."""
        before = replace(loaded.user), replace(loaded.conversation)
        try:
            ctx = Context.of(self.services, sessions.get, loaded, now)
            return self.services.router.dispatch(incoming, ctx)
        except Exception:
            log.exception("handler failed user=%s type=%s", mask_user(incoming.user_id),
                          incoming.label)
            sessions.rollback()
            loaded.user, loaded.conversation = before
            return Reply.text(text("sorry"), handler="pipeline.sorry")

    def _inbound(self, incoming: Incoming, reply: Reply, now: datetime) -> dict[str, Any]:
        """The inbound row's values: scrubbed text; nothing of a person who just erased."""
        key, user_id, kept = incoming.delivery_key, incoming.user_id, scrub(incoming.text)
        if reply.meta.get("erased"):
            key = state.erased_delivery_key(key, self.services.cipher.keyed_hash)
            user_id, kept = reply.meta["erased"], ""
        elif reply.meta.get("personal"):  # the answer to a form's personal-data step
            kept = "（个人信息，不保存原文）"
        return {"delivery_key": key, "user_id": user_id, "kind": incoming.label[:40],
                "text": kept[:2000] or None, "handler": reply.handler, "received_at": now}

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

    def passive_reply_lost(self, incoming: Incoming) -> None:
        """The response carrying `incoming`'s passive reply did not reach WeCom (the
        connection was gone): the reply goes out through message/send instead, once."""
        self.background(self._send_lost_reply, incoming)

    def _send_lost_reply(self, incoming: Incoming) -> None:
        pending = self._unpassive(incoming)
        log.warning("passive reply lost with its connection user=%s: sent through "
                    "message/send (%d)", mask_user(incoming.user_id), len(pending))
        if pending:
            self.services.sender.deliver(pending)

    def _seen(self, incoming: Incoming) -> bool:
        with read_connection(self.services.engine) as connection:
            return connection.scalar(select(InboundMessage.id).where(
                InboundMessage.delivery_key == incoming.delivery_key)) is not None

    def _record_replies(self, session: Session, incoming: Incoming, inbound_id: int,
                        reply: Reply, texts: list[str],
                        passive: bool) -> tuple[str | None, list[int]]:
        """Record the replies (each ≤ 2048 bytes): the first passive if it may be, the rest
        queued; return the passive text and the ids to deliver after the commit."""
        texts, passive_text = list(texts), None
        if passive and texts:
            passive_text = texts.pop(0)
            state.record_passive(session.connection(),
                                 user_id=reply.meta.get("erased") or incoming.user_id,
                                 text=passive_text, inbound_id=inbound_id,
                                 created_at=self.services.clock())
        for message in texts:
            self.services.sender.enqueue(session, incoming.user_id, message,
                                         inbound_id=inbound_id)
        # Everything queued in this transaction goes out at once, staff notices included.
        return passive_text, sorted(session.info.pop(ENQUEUED, ()))
