"""What the nightly purge does besides old history: forms left unfinished, consents given for
them, handoffs or questions nobody closed, and 微信客服 customers gone quiet. Each is one or two
statements; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, delete, exists, literal, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from db.models import (Consent, Conversation, Handoff, KfCustomer, KfEvent, Registration,
                       UnansweredQuestion)


def purge_abandoned_forms(session: Session, cutoff: datetime) -> int:
    """Forget what conversations untouched since `cutoff` kept: state, answers, last prompt."""
    prompt = type_coerce(Conversation.last_prompt, Text)  # as stored: compared, not decrypted
    return session.execute(
        update(Conversation)
        .where(Conversation.updated_at < cutoff,
               or_(Conversation.state.is_not(None), Conversation.data != "{}",
                   Conversation.options != "[]", prompt != ""))
        .values(state=None, data="{}", options="[]", last_prompt=literal("", Text))).rowcount


def purge_unfinished_consents(session: Session, cutoff: datetime) -> int:
    """Delete consents given before `cutoff` that no registration rests on."""
    used = exists(select(Registration.id).where(Registration.consent_id == Consent.id))
    return session.execute(delete(Consent).where(Consent.granted_at < cutoff, ~used)).rowcount


def expire_open(session: Session, cutoff: datetime) -> int:
    """Mark handoffs and unanswered questions still open since before `cutoff` 'expired'."""
    handoffs = session.execute(update(Handoff).where(Handoff.status == "open",
                                                     Handoff.created_at < cutoff)
                               .values(status="expired")).rowcount
    questions = session.execute(update(UnansweredQuestion)
                                .where(UnansweredQuestion.status == "open",
                                       UnansweredQuestion.asked_at < cutoff)
                                .values(status="expired")).rowcount
    return handoffs + questions


def purge_quiet_kf(session: Session, cutoff: datetime) -> int:
    """Forget 微信客服 events older than `cutoff`, and customers (their external_userid) who
    have not written since: they can no longer be sent anything anyway (48-hour window)."""
    events = session.execute(delete(KfEvent).where(KfEvent.at < cutoff)).rowcount
    return events + session.execute(delete(KfCustomer).where(
        or_(KfCustomer.last_message_at < cutoff, KfCustomer.last_message_at.is_(None)))).rowcount
