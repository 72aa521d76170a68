"""A user's row and conversation as the pipeline reads them before a handler and writes them after.

The pipeline reads a user's state without the write lock, runs the handler, then writes the
state back in the message's short write transaction with a version check on the
conversation row: if another message of the same user was committed in between, `save`
raises `StaleState` and the pipeline runs the message again, this time holding the lock from
the start (`lock=True`). Core statements, not ORM flushes: this is every message's path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, bindparam, insert, literal, select, update

from db.models import Conversation, InboundMessage, OutboundMessage, User
from db.prepared import Prepared

USERS, CONVERSATIONS = User.__table__, Conversation.__table__
INBOUND, OUTBOUND = InboundMessage.__table__, OutboundMessage.__table__


class StaleState(Exception):
    """Another message of this user changed (or erased) the state since it was read."""


@dataclass
class UserState:
    """What a handler may read and change of the `users` row."""

    user_id: str
    created_at: datetime
    role: str = "unknown"
    welcomed_at: datetime | None = None
    unsubscribed_at: datetime | None = None

    def values(self) -> dict[str, Any]:
        """The columns a handler may change."""
        return {"role": self.role, "welcomed_at": self.welcomed_at,
                "unsubscribed_at": self.unsubscribed_at}


@dataclass
class ConversationState:
    """What a handler may read and change of the `conversations` row (JSON kept as text).

    `updated_at` is when the user last wrote (set to now once the message is answered).
    """

    updated_at: datetime
    state: str | None = None
    data: str = "{}"
    options: str = "[]"
    last_prompt: str = ""


@dataclass
class Loaded:
    """A user's state as read, and what `save` needs to write it back."""

    user: UserState
    conversation: ConversationState
    previous_seen_at: datetime | None  # None: the user's first message
    version: int | None  # the conversation row's version as read; None: no row yet
    seen: bool = False  # this delivery was recorded before: no second answer
    user_as_read: dict[str, Any] | None = None  # None: a new user


_USER_COLUMNS = (USERS.c.role, USERS.c.created_at, USERS.c.welcomed_at, USERS.c.unsubscribed_at)
_CONVERSATION_COLUMNS = (CONVERSATIONS.c.state, CONVERSATIONS.c.data, CONVERSATIONS.c.options,
                         CONVERSATIONS.c.last_prompt, CONVERSATIONS.c.updated_at,
                         CONVERSATIONS.c.version)

# Built once, executed with parameters: every message runs these.
_SEEN = (select(literal(1)).where(INBOUND.c.delivery_key == bindparam("delivery_key"))
         .exists())
_READ = (select(_SEEN.label("seen"), *_USER_COLUMNS, *_CONVERSATION_COLUMNS)
         .select_from(USERS.outerjoin(CONVERSATIONS, CONVERSATIONS.c.user_id == USERS.c.user_id))
         .where(USERS.c.user_id == bindparam("user_id")))
_READ_SEEN = select(_SEEN)
_LOCK_USER = (select(*_USER_COLUMNS).where(USERS.c.user_id == bindparam("user_id"))
              .with_for_update())
_LOCK_CONVERSATION = (select(*_CONVERSATION_COLUMNS)
                      .where(CONVERSATIONS.c.user_id == bindparam("user_id")).with_for_update())
_UPDATE_USER = (update(USERS).where(USERS.c.user_id == bindparam("key_user_id"))
                .values({c: bindparam(c) for c in ("role", "welcomed_at", "unsubscribed_at")}))
_UPDATE_CONVERSATION = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.user_id == bindparam("key_user_id"),
           CONVERSATIONS.c.version == bindparam("expected_version"))
    .values({c: bindparam(c) for c in ("state", "data", "options", "last_prompt",
                                       "updated_at", "version")}))
_INSERT_USER, _INSERT_CONVERSATION = insert(USERS), insert(CONVERSATIONS)
_INSERT_INBOUND = Prepared(
    insert(INBOUND).values({c: bindparam(c) for c in ("delivery_key", "user_id", "kind", "text",
                                                      "handler", "received_at")})
    .returning(INBOUND.c.id))
_INSERT_PASSIVE = Prepared(
    insert(OUTBOUND).values({**{c: bindparam(c) for c in ("user_id", "text", "inbound_id",
                                                          "created_at")},
                             "status": "passive", "attempts": 0, "urgent": False}))
_INSERT_QUEUED = Prepared(
    insert(OUTBOUND).values({**{c: bindparam(c) for c in ("user_id", "text", "status",
                                                          "inbound_id", "created_at")},
                             "attempts": 0, "urgent": False}).returning(OUTBOUND.c.id))
# Every message runs these three (and the two writes above) on the DBAPI cursor (db/prepared.py).
_FAST_READ, _FAST_READ_SEEN = Prepared(_READ), Prepared(_READ_SEEN)
_FAST_UPDATE_CONVERSATION = Prepared(_UPDATE_CONVERSATION)


def load(connection: Connection, user_id: str, delivery_key: str, now: datetime, *,
         lock: bool = False) -> Loaded:
    """Read the user, their conversation and whether this delivery was recorded already.

    `lock`: take the rows' locks (PostgreSQL `FOR UPDATE`; SQLite's write transaction holds
    the whole database anyway), so the write that follows cannot be stale.
    """
    keys = {"user_id": user_id, "delivery_key": delivery_key}
    if lock:
        user_row = connection.execute(_LOCK_USER, keys).first()
        conversation_row = connection.execute(_LOCK_CONVERSATION, keys).first()
        seen = bool(connection.scalar(_READ_SEEN, keys))
    else:  # one statement: the user, the conversation and the de-duplication check
        row = _FAST_READ.first(connection, keys)
        if row is None:
            user_row = conversation_row = None
            seen = bool(_FAST_READ_SEEN.first(connection, keys)[0])
        else:
            user_row, seen = row, bool(row.seen)
            conversation_row = row if row.version is not None else None
    return _loaded(user_id, user_row, conversation_row, seen, now)


def _loaded(user_id: str, user_row, conversation_row, seen: bool, now: datetime) -> Loaded:  # type: ignore[no-untyped-def]
    if user_row is None:
        user = UserState(user_id=user_id, created_at=now)
    else:
        user = UserState(user_id=user_id, role=user_row.role, created_at=user_row.created_at,
                         welcomed_at=user_row.welcomed_at,
                         unsubscribed_at=user_row.unsubscribed_at)
    if conversation_row is None:
        conversation, version, previous = ConversationState(updated_at=now), None, None
    else:
        conversation = ConversationState(
            state=conversation_row.state, data=conversation_row.data or "{}",
            options=conversation_row.options or "[]",
            last_prompt=conversation_row.last_prompt or "",
            updated_at=conversation_row.updated_at)
        version, previous = conversation_row.version or 0, conversation_row.updated_at
    return Loaded(user=user, conversation=conversation, seen=seen, version=version,
                  previous_seen_at=previous,
                  user_as_read=None if user_row is None else user.values())


def save(connection: Connection, loaded: Loaded, now: datetime) -> None:
    """Write the conversation back (and the user, if new or changed); StaleState if the
    conversation changed or went since it was read.

    A new user's rows are inserted: a concurrent first message makes the insert fail with
    IntegrityError, which the pipeline treats like StaleState.
    """
    user, conversation = loaded.user, loaded.conversation
    if loaded.user_as_read is None:
        connection.execute(_INSERT_USER, {"user_id": user.user_id,
                                          "created_at": user.created_at, **user.values()})
    elif user.values() != loaded.user_as_read:
        connection.execute(_UPDATE_USER, {"key_user_id": user.user_id, **user.values()})
    conversation_values = {"state": conversation.state, "data": conversation.data,
                           "options": conversation.options,
                           "last_prompt": conversation.last_prompt, "updated_at": now,
                           "version": (loaded.version or 0) + 1}
    if loaded.version is None:
        connection.execute(_INSERT_CONVERSATION, {"user_id": user.user_id,
                                                  **conversation_values})
    elif _FAST_UPDATE_CONVERSATION.rowcount(connection, {
            "key_user_id": user.user_id, "expected_version": loaded.version,
            **conversation_values}) != 1:
        raise StaleState("conversation changed")


def erased_delivery_key(delivery_key: str, keyed_hash: Callable[[str], str]) -> str:
    """An event's de-duplication key names its sender ("evt:<user id>|..."): after erasure
    only a keyed hash of it stays. A message key (MsgId) names nobody and stays as it is."""
    if delivery_key.startswith("evt:") and not delivery_key.startswith("evt:erased:"):
        return f"evt:erased:{keyed_hash(delivery_key)}"
    return delivery_key


def record_inbound(connection: Connection, *, delivery_key: str, user_id: str, kind: str,
                   text: str | None, handler: str, received_at: datetime) -> int:
    """Insert the inbound row; a delivery key seen before raises IntegrityError (unique)."""
    return int(_INSERT_INBOUND.first(connection, {
        "delivery_key": delivery_key, "user_id": user_id, "kind": kind, "text": text,
        "handler": handler, "received_at": received_at}).id)


def record_passive(connection: Connection, *, user_id: str, text: str, inbound_id: int,
                   created_at: datetime) -> None:
    """The reply that goes back in the HTTP response, recorded as `passive`."""
    _INSERT_PASSIVE.execute(connection, {"user_id": user_id, "text": text,
                                         "inbound_id": inbound_id,
                                         "created_at": created_at}).close()


def record_queued(connection: Connection, *, user_id: str, text: str, status: str,
                  inbound_id: int, created_at: datetime) -> int:
    """A reply for the outbox (`pending`, or `suppressed`), as `Sender.enqueue` adds it; its id."""
    return int(_INSERT_QUEUED.first(connection, {
        "user_id": user_id, "text": text, "status": status, "inbound_id": inbound_id,
        "created_at": created_at}).id)
