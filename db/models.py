"""The shared database: typed SQLAlchemy 2 models. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.crypto import Encrypted, EncryptedText
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
    text: Mapped[str] = mapped_column(EncryptedText())  # summaries and 我的信息 name people
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
    urgent: Mapped[bool] = mapped_column(default=False)  # sent before the rest (distress)
    about_user: Mapped[str | None] = mapped_column(String(64), index=True)  # a staff notice's
    # A push of an event notice: one row per (notice, person), so nobody gets it twice.
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_notices.id", ondelete="CASCADE"))

    __table_args__ = (Index("ux_outbound_notice_user", "notice_id", "user_id", unique=True),)


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
    last_prompt: Mapped[str] = mapped_column(EncryptedText(), default="")
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


# -- service booking (issue 10): catalogue, slots with seats, bookings, their events, reminders
class Service(Base):
    """A service people can book (the plan's "四个一", training, ...); staff keep the catalogue."""

    __tablename__ = "services"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(32), unique=True)  # stable key of the seed file
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(Text, default="")  # who it is for
    modes: Mapped[str] = mapped_column(String(64), default="")  # 在窗口、上门、电话、视频
    place: Mapped[str] = mapped_column(Text, default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    bring: Mapped[str] = mapped_column(Text, default="")  # what to bring
    source: Mapped[str] = mapped_column(String(255), default="")  # where the plan promises it
    keywords: Mapped[str] = mapped_column(String(255), default="")  # "、"-joined, for the chat
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class Slot(Base):
    """A time a service is given: start (UTC), length, place and seats (`taken` of `capacity`).

    Seats are only ever taken and given back by `db.seats` (one conditional UPDATE).
    """

    __tablename__ = "service_slots"
    id: Mapped[intpk]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    starts_at: Mapped[utc] = mapped_column(index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    place: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / cancelled
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class Booking(Base):
    """One seat on a slot for one person, booked by them or by a family member.

    status: booked, cancelled, moved (a new booking replaced it), attended, no_show.
    `day` is the slot's Asia/Shanghai date: one booking of a service per person and day.
    """

    __tablename__ = "bookings"
    id: Mapped[intpk]
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("service_slots.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    user_id: Mapped[str] = mapped_column(String(64), index=True)  # who booked (WeCom member)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"))  # the person, when registered
    actor: Mapped[str] = mapped_column(String(8), default="self")  # self / family / staff
    day: Mapped[str] = mapped_column(String(10))
    needs: Mapped[str | None] = mapped_column(Encrypted(1024))  # 手语翻译、轮椅通行、陪同 …
    status: Mapped[str] = mapped_column(String(16), default="booked", index=True)
    moved_from_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[utc] = mapped_column(default=utcnow)


class BookingEvent(Base):
    """Every booking, move, cancellation and attendance mark: when, and who did it."""

    __tablename__ = "booking_events"
    id: Mapped[intpk]
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(16))  # booked/moved/cancelled/attended/no_show
    actor: Mapped[str] = mapped_column(String(8))  # self / family / staff
    detail: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[utc] = mapped_column(default=utcnow)


class BookingReminder(Base):
    """A reminder sent for a booking: unique per booking and kind, so never sent twice."""

    __tablename__ = "booking_reminders"
    __table_args__ = (UniqueConstraint("booking_id", "kind"),)
    id: Mapped[intpk]
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # day_before / two_hours
    sent_at: Mapped[utc] = mapped_column(default=utcnow)


# -- events: job fairs, training, subscriptions, sign-ups, notices (issue 11) ---------------
class Event(Base):
    """A job fair, training, policy briefing or skills contest.

    status: draft, published, changed (published, then changed), cancelled, finished.
    `capacity` NULL is unlimited; `taken` counts residents' seats (db/seats.py).
    """

    __tablename__ = "events"
    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(16), index=True)  # 招聘会 培训 政策宣讲 技能竞赛
    title: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[utc]
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place: Mapped[str | None] = mapped_column(String(200))
    accessibility: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    organiser: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    employers_allowed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[utc] = mapped_column(default=utcnow)


class Subscription(Base):
    """A person wants notices of one kind of event (optionally only matching an interest)."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="ux_subscriptions_user_kind"),)
    id: Mapped[intpk]
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    interest: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class SubscriptionOffer(Base):
    """When a person was offered subscriptions (once, after a first useful answer)."""

    __tablename__ = "subscription_offers"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offered_at: Mapped[utc] = mapped_column(default=utcnow)


class EventSignup(Base):
    """A resident signed up to attend (status active or cancelled); holds one seat if active;
    whether they came, once staff mark it (db/event_attendance.py)."""

    __tablename__ = "event_signups"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="ux_event_signups"),)
    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    attended: Mapped[bool | None] = mapped_column()  # None: not marked; staff mark it
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_by: Mapped[str | None] = mapped_column(String(64))  # staff name or OS user


class EmployerSignup(Base):
    """An employer signed up to recruit at a job fair; the contact's name and phone encrypted."""

    __tablename__ = "employer_signups"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="ux_employer_signups"),)
    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    company: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    contact: Mapped[str] = mapped_column(Encrypted(512))
    phone: Mapped[str] = mapped_column(Encrypted(512))
    positions: Mapped[str] = mapped_column(Text)
    accommodations: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, withdrawn
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    attended: Mapped[bool | None] = mapped_column()  # as EventSignup
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_by: Mapped[str | None] = mapped_column(String(64))


class EventNotice(Base):
    """One notice about an event (published, changed, cancelled, reminder): one text for all.

    Its recipients are `outbound_messages` rows with this `notice_id`, one per person.
    `key` makes a notice unique where it must be (one reminder per event).
    """

    __tablename__ = "event_notices"
    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # published, changed, cancelled, reminder
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class Lease(Base):
    """Who may do a job now (one scheduler sends notices); taken over once it expires."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[utc]
    expires_at: Mapped[utc]
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
