"""微信客服 in the database: the pull cursor and its lease per account, the customers (user id ↔
open_kfid + external_userid) and what their session allows (48 h, 5 answers, state 0/1).

The cursor is pulled by one worker at a time: `take_lease` is one conditional UPDATE, the
cursor moves only under the lease (`advance`), and `release` lets go only when no callback
came meanwhile (`wanted`), so a message announced while another worker pulls is never left.
Query functions take the session first and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import KfCursor, KfCustomer, KfEvent, OutboundMessage

PREFIX = "kf:"
WINDOW = timedelta(hours=48)  # a customer can be written to this long after their last message
ANSWERS = 5  # messages per customer message
TOKEN_LIFE = timedelta(minutes=10)
WELCOME_LIFE = timedelta(seconds=20)
OPEN_STATES = (0, 1)  # 未处理, 智能助手接待: the only states in which we may send


class LeaseLost(Exception):
    """Another worker took the cursor over (this one's lease ran out): stop pulling."""


def is_customer(user_id: str) -> bool:
    """Is this user a WeChat customer of a customer-service account (not a WeCom member)?"""
    return user_id.startswith(PREFIX)


def customer_id(keyed_hash: Callable[[str], str], open_kfid: str, external_userid: str) -> str:
    """The bot's user id of a customer: "kf:" + a keyed hash (≤ 64 chars, names nobody)."""
    return PREFIX + keyed_hash(f"{open_kfid}|{external_userid}")[:40]


def note_callback(session: Session, open_kfid: str, token: str, now: datetime) -> None:
    """Remember a callback: its token (for sync_msg) and that a pull is wanted."""
    values = {"token": token[:128], "token_at": now, "wanted": True, "notified_at": now}
    done = session.execute(update(KfCursor).where(KfCursor.open_kfid == open_kfid)
                           .values(**values)).rowcount
    if done:
        return
    try:
        with session.begin_nested():
            session.add(KfCursor(open_kfid=open_kfid, **values))
    except IntegrityError:  # another callback created the row meanwhile
        session.execute(update(KfCursor).where(KfCursor.open_kfid == open_kfid).values(**values))


def take_lease(session: Session, open_kfid: str, owner: str, now: datetime,
               seconds: int) -> KfCursor | None:
    """Take (or renew) the pull lease; clear `wanted` (this pull covers it). None: taken."""
    free = ((KfCursor.lease_owner.is_(None)) | (KfCursor.lease_until < now)
            | (KfCursor.lease_owner == owner))
    taken = session.execute(update(KfCursor).where(KfCursor.open_kfid == open_kfid, free)
                            .values(lease_owner=owner, wanted=False,
                                    lease_until=now + timedelta(seconds=seconds))).rowcount
    return session.get(KfCursor, open_kfid, populate_existing=True) if taken else None


def advance(session: Session, open_kfid: str, owner: str, next_cursor: str, now: datetime,
            seconds: int) -> None:
    """Move the cursor past recorded messages and extend the lease; LeaseLost if not ours."""
    moved = session.execute(update(KfCursor).where(KfCursor.open_kfid == open_kfid,
                                                   KfCursor.lease_owner == owner)
                            .values(cursor=next_cursor[:64],
                                    lease_until=now + timedelta(seconds=seconds))).rowcount
    if not moved:
        raise LeaseLost(open_kfid)


def release(session: Session, open_kfid: str, owner: str, now: datetime) -> bool:
    """Let go of the lease unless a callback asked for another pull meanwhile (then False)."""
    return bool(session.execute(update(KfCursor).where(
        KfCursor.open_kfid == open_kfid, KfCursor.lease_owner == owner,
        KfCursor.wanted.is_(False)).values(lease_owner=None, lease_until=None,
                                           pulled_at=now)).rowcount)


def drop_lease(session: Session, open_kfid: str, owner: str) -> None:
    """Give the lease up after a failure; the pull stays wanted for the next one."""
    session.execute(update(KfCursor).where(KfCursor.open_kfid == open_kfid,
                                           KfCursor.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None, wanted=True))


def wanted_pulls(session: Session, now: datetime) -> list[str]:
    """Accounts whose announced messages nobody is pulling (a worker died, a restart)."""
    return list(session.scalars(select(KfCursor.open_kfid).where(
        KfCursor.wanted.is_(True),
        (KfCursor.lease_owner.is_(None)) | (KfCursor.lease_until < now))).all())


def live_token(cursor: KfCursor, now: datetime) -> str:
    """The callback's token while it is valid (10 min), else "" (sync_msg without one)."""
    if cursor.token and cursor.token_at and now - cursor.token_at < TOKEN_LIFE:
        return cursor.token
    return ""


def customer(session: Session, user_id: str, open_kfid: str, external_userid: str) -> KfCustomer:
    """The customer's row, created on first contact (pulls of one account are serialised)."""
    row = session.get(KfCustomer, user_id)
    if row is None:
        row = KfCustomer(user_id=user_id, open_kfid=open_kfid, external_userid=external_userid,
                         service_state=0, answers_left=0)
        session.add(row)
        session.flush()
    return row


def customer_wrote(session: Session, row: KfCustomer, at: datetime) -> None:
    """A customer message sent at `at` (WeCom's time, whole seconds): a new 48 h window and 5
    answers, less what we already sent after that moment (a send within the same second is
    taken as before it: a person does not write twice in a second). Idempotent."""
    if row.last_message_at is not None and at < row.last_message_at:
        return
    used = session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.user_id == row.user_id, OutboundMessage.status == "sent",
        OutboundMessage.sent_at >= at + timedelta(seconds=1))) or 0
    row.last_message_at, row.answers_left = at, max(0, ANSWERS - used)
    if row.service_state == 4:  # a message after the end opens a new session
        row.service_state, row.servicer = 0, None


def may_send(row: KfCustomer, now: datetime) -> bool:
    """Does the session allow a message now (state 0/1, within 48 h, answers left)?"""
    return (row.service_state in OPEN_STATES and row.answers_left > 0
            and row.last_message_at is not None and now - row.last_message_at < WINDOW)


def take_answer(session: Session, user_id: str, now: datetime) -> bool:
    """Use one of the customer's answers, atomically; False if none may be sent now."""
    return bool(session.execute(update(KfCustomer).where(
        KfCustomer.user_id == user_id, KfCustomer.answers_left > 0,
        KfCustomer.service_state.in_(OPEN_STATES),
        KfCustomer.last_message_at > now - WINDOW)
        .values(answers_left=KfCustomer.answers_left - 1)).rowcount)


def answers_used_up(session: Session, user_id: str) -> None:
    """WeCom said the answers are used up (95001): believe it until the customer writes."""
    session.execute(update(KfCustomer).where(KfCustomer.user_id == user_id)
                    .values(answers_left=0))


def set_state(session: Session, user_id: str, state: int, servicer: str | None = None) -> None:
    """The session's state as WeCom reports it (service_state/get, trans, events)."""
    session.execute(update(KfCustomer).where(KfCustomer.user_id == user_id)
                    .values(service_state=state, servicer=servicer or None))


def record_event(session: Session, msgid: str, user_id: str | None, event_type: str,
                 detail: str, now: datetime) -> bool:
    """Keep an event once (by msgid); False if it was kept before."""
    if session.scalar(select(KfEvent.id).where(KfEvent.msgid == msgid)) is not None:
        return False
    session.add(KfEvent(msgid=msgid[:128], user_id=user_id, event_type=event_type[:40],
                        detail=detail[:255], at=now))
    session.flush()
    return True
