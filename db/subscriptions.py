"""Subscriptions to kinds of events, and the one-time offer to subscribe."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.events import KINDS
from db.models import Subscription, SubscriptionOffer


def kinds_of(session: Session, user_id: str) -> dict[str, str | None]:
    """The kinds this person subscribes to, with their interest (None: everything)."""
    rows = session.execute(select(Subscription.kind, Subscription.interest)
                           .where(Subscription.user_id == user_id)).all()
    return {kind: interest for kind, interest in sorted(rows, key=lambda r: KINDS.index(r[0]))}


def subscribe(session: Session, user_id: str, kinds: Sequence[str], *, now: datetime,
              interest: str | None = None) -> list[str]:
    """Subscribe to these kinds (setting the interest on each); return the newly added."""
    have = kinds_of(session, user_id)
    added = []
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind}")
        if kind in have:
            if interest is not None or have[kind] is not None:
                row = session.scalars(select(Subscription).where(
                    Subscription.user_id == user_id, Subscription.kind == kind)).one()
                row.interest = interest
            continue
        session.add(Subscription(user_id=user_id, kind=kind, interest=interest,
                                 created_at=now))
        added.append(kind)
    session.flush()
    return added


def unsubscribe(session: Session, user_id: str, kinds: Sequence[str] = KINDS) -> int:
    """Stop these kinds (all by default); return how many subscriptions ended."""
    return session.execute(delete(Subscription).where(Subscription.user_id == user_id,
                                                      Subscription.kind.in_(kinds))).rowcount


def offer_once(session: Session, user_id: str, *, now: datetime) -> bool:
    """True the first time (the person has never been offered nor subscribed); records it."""
    if session.get(SubscriptionOffer, user_id) is not None:
        return False
    session.add(SubscriptionOffer(user_id=user_id, offered_at=now))
    return not kinds_of(session, user_id)
