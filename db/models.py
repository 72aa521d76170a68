"""The shared database: typed SQLAlchemy 2 models. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.crypto import Encrypted
from db.types import UTCDateTime, intpk, utc, utcnow


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    """A WeCom member who has talked to the app (their last message: `Conversation.updated_at`)."""

    __tablename__ = "users"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="unknown")  # jobseeker/family/employer
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """Every callback that reached the pipeline, once: `delivery_key` is unique."""

    __tablename__ = "inbound_messages"
    id: Mapped[intpk]
    delivery_key: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)  # scrubbed: numbers masked, never in clear
    handler: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[utc] = mapped_column(default=utcnow, index=True)


class OutboundMessage(Base):
    """Every message to a person: passive replies and `message/send`, with WeCom's result.

    status: passive (in the HTTP response), pending (in the outbox), sent, failed (gave up),
    suppressed (user unsubscribed).
    """

    __tablename__ = "outbound_messages"
    id: Mapped[intpk]
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(String(255))
    wecom_msgid: Mapped[str | None] = mapped_column(String(128))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"))
    created_at: Mapped[utc] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccessToken(Base):
    """The WeCom access token, shared by every worker and the scheduler."""

    __tablename__ = "access_tokens"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    token: Mapped[str] = mapped_column(String(1024))
    expires_at: Mapped[utc]


class Conversation(Base):
    """Where a user is in a conversation: state `"form:step"`, answers, the last numbered list.

    Written on every message: `updated_at` is when the user last wrote, and `version` lets a
    message find out whether another one changed the state since it read it.
    """

    __tablename__ = "conversations"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON; personal fields encrypted
    options: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the last numbered list
    last_prompt: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[utc] = mapped_column(default=utcnow)


class UnansweredQuestion(Base):
    """A question the knowledge base could not answer, for staff."""

    __tablename__ = "unanswered_questions"
    id: Mapped[intpk]
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(Text)  # scrubbed
    asked_at: Mapped[utc] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")


class Handoff(Base):
    """A person asked for a person (人工), or the bot saw distress (urgent)."""

    __tablename__ = "handoffs"
    id: Mapped[intpk]
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(32))  # request, distress, no_answer
    recent: Mapped[str] = mapped_column(Text, default="")  # scrubbed last messages
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(64))  # staff username or CLI
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))  # db.handoffs.OUTCOMES


class Registration(Base):
    """A job-demand registration (就业需求登记). Numbers and names are encrypted at rest;
    `certificate_hash` (a keyed hash) finds a registration again without decrypting."""

    __tablename__ = "registrations"
    id: Mapped[intpk]
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)  # who registered (may be family)
    relation: Mapped[str] = mapped_column(String(16))  # 本人 / 监护人 / 受委托的家属
    name: Mapped[str] = mapped_column(Encrypted(512))
    certificate: Mapped[str] = mapped_column(Encrypted(512))
    certificate_hash: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_checked: Mapped[bool] = mapped_column(default=True)  # False: staff must check
    category: Mapped[str | None] = mapped_column(String(8))
    grade: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(Encrypted(512))
    street: Mapped[str] = mapped_column(String(32))
    education: Mapped[str] = mapped_column(String(32))
    job_kinds: Mapped[str] = mapped_column(Text)  # "、"-joined
    employment_modes: Mapped[str] = mapped_column(Text)
    skills: Mapped[str | None] = mapped_column(Text)
    accessibility: Mapped[str | None] = mapped_column(Text)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id", ondelete="SET NULL"))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[utc] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="待联系", server_default="待联系",
                                        index=True)  # db.registrations.STATUSES
    status_on: Mapped[date | None] = mapped_column(Date)  # the day the status took effect


class Consent(Base):
    """A separate consent to process sensitive personal information, and its withdrawal."""

    __tablename__ = "consents"
    id: Mapped[intpk]
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # job_registration
    relation: Mapped[str] = mapped_column(String(16))  # who consented for whom
    granted_at: Mapped[utc] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(Base):
    """That something happened to personal data (a deletion, an export), never the data."""

    __tablename__ = "audit_log"
    id: Mapped[intpk]
    action: Mapped[str] = mapped_column(String(32))
    subject_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the user id
    detail: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[utc] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64), default="", server_default="")  # who


# -- staff console (issue 13) ---------------------------------------------------------------
class StaffUser(Base):
    """A console account: a hashed password and a role (staff; admin also manages users)."""

    __tablename__ = "staff_users"
    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # staff / admin
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """One console login attempt (for the lock-out after repeated failures)."""

    __tablename__ = "login_attempts"
    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), index=True)
    ok: Mapped[bool]
    at: Mapped[utc] = mapped_column(default=utcnow, index=True)


class RegistrationStatus(Base):
    """A registration's status change (待联系 → 已联系 → ...), with its date, note and author."""

    __tablename__ = "registration_statuses"
    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Encrypted(4096), default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[utc] = mapped_column(default=utcnow)


class SupportPlan(Base):
    """一人一策: the plan for one registered person (disabled college graduates first)."""

    __tablename__ = "support_plans"
    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    goal: Mapped[str] = mapped_column(Encrypted(4096), default="")
    responsible: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class PlanStep(Base):
    """A dated step of a 一人一策 plan and who is responsible for it."""

    __tablename__ = "plan_steps"
    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plans.id", ondelete="CASCADE"),
                                         index=True)
    due_on: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(Encrypted(4096))
    responsible: Mapped[str] = mapped_column(String(64))
    done_on: Mapped[date | None] = mapped_column(Date)


class KnowledgeChange(Base):
    """A knowledge-base change made in the console; the newest id is the version workers check."""

    __tablename__ = "knowledge_changes"
    id: Mapped[intpk]
    entry_id: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(16))  # variant / new
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[utc] = mapped_column(default=utcnow)


# -- WeChat customer service, 微信客服 (issue 14) ----------------------------------------------
class KfCursor(Base):
    """Where the pull of one customer-service account stands, and who is pulling it now.

    `cursor` advances only after the messages it covers are recorded. One worker at a time
    holds the lease (`lease_owner` until `lease_until`); a callback that finds it taken sets
    `wanted`, so the holder pulls once more before it lets go.
    """

    __tablename__ = "kf_cursors"
    open_kfid: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(64))
    token: Mapped[str | None] = mapped_column(String(128))  # the latest callback's, 10 min
    token_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wanted: Mapped[bool] = mapped_column(default=False)  # a callback came since the last pull
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KfCustomer(Base):
    """A WeChat customer of a customer-service account: the user id the bot knows them by
    ("kf:" + keyed hash), how to address them, and what the session allows now."""

    __tablename__ = "kf_customers"
    __table_args__ = (UniqueConstraint("open_kfid", "external_userid"),)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    open_kfid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(128))
    service_state: Mapped[int] = mapped_column(Integer, default=0)  # 0..4, WeCom's states
    servicer: Mapped[str | None] = mapped_column(String(64))
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # WeCom's time
    answers_left: Mapped[int] = mapped_column(Integer, default=0)  # of 5 per customer message
    welcome_code: Mapped[str | None] = mapped_column(String(128))
    welcome_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handoff_id: Mapped[int | None] = mapped_column(Integer)  # the last handoff transferred


class KfEvent(Base):
    """A customer-service event worth keeping: msg_send_fail, session_status_change."""

    __tablename__ = "kf_events"
    id: Mapped[intpk]
    msgid: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[utc] = mapped_column(default=utcnow)
