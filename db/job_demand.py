"""Registrations (就业需求登记): saved only by their owner, found by a keyed hash of the number.

A certificate number registered by one WeCom user can be neither changed, read nor deleted by
another: `save` raises `CertificateTaken`, also when two users race for the same number (the
unique `certificate_hash` decides, inside a savepoint, so the message's other work stays).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Registration


class CertificateTaken(Exception):
    """The certificate number belongs to a registration this user does not own."""


def owned(session: Session, user_id: str, registration_id: int) -> Registration | None:
    """The user's registration `registration_id`, or None if it is not theirs (or gone)."""
    row = session.get(Registration, registration_id)
    return row if row is not None and row.user_id == user_id else None


def save(session: Session, *, user_id: str, digest: str, values: dict[str, Any],
         now: datetime, registration_id: int | None = None) -> tuple[Registration, bool]:
    """Insert or update the user's registration; return it and whether it existed.

    `registration_id`: the registration being corrected (from 我的信息), updated in place even
    when its number changes. CertificateTaken if the number is another registration's.
    """
    holder = session.scalar(select(Registration).where(Registration.certificate_hash == digest))
    row = owned(session, user_id, registration_id) if registration_id else None
    row = row or holder
    if holder is not None and (holder.user_id != user_id or holder.id != row.id):
        raise CertificateTaken()
    if row is None:
        row = Registration(ref="DJ" + secrets.token_hex(3).upper(), user_id=user_id,
                           created_at=now)
    for name, value in {**values, "certificate_hash": digest, "updated_at": now}.items():
        setattr(row, name, value)
    existed = row.id is not None
    try:
        with session.begin_nested():  # a racing insert of the same number fails here alone
            session.add(row)
            session.flush()
    except IntegrityError:
        raise CertificateTaken() from None
    return row, existed
