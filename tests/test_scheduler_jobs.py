"""The scheduled jobs: the outbox retry and the history purge, and the timetable itself."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select, update

from db.models import Handoff, InboundMessage, OutboundMessage, UnansweredQuestion, User
from scheduler import jobs, run
from scheduler.schedule import SCHEDULE
from tests.dialog import another_app


def snapshot(services: Any) -> dict[str, list[Any]]:
    """What the purge may touch: inbound users, outbound (user, status), handoff statuses."""
    with services.sessions.begin() as session:
        return {
            "inbound": session.scalars(select(InboundMessage.user_id)
                                       .order_by(InboundMessage.id)).all(),
            "outbound": [tuple(r) for r in session.execute(
                select(OutboundMessage.user_id, OutboundMessage.status)
                .order_by(OutboundMessage.id))],
            "handoffs": [tuple(r) for r in session.execute(
                select(Handoff.user_id, Handoff.status).order_by(Handoff.id))],
        }


def age(services: Any, user: str, days: float) -> None:
    """Make everything of `user` `days` old, as if it had happened back then."""
    then = datetime.now(timezone.utc) - timedelta(days=days)
    with services.sessions.begin() as session:
        session.execute(update(InboundMessage).where(InboundMessage.user_id == user)
                        .values(received_at=then))
        session.execute(update(OutboundMessage).where(OutboundMessage.user_id == user)
                        .values(created_at=then))
        session.execute(update(Handoff).where(Handoff.user_id == user).values(created_at=then))


def test_the_timetable_has_the_outbox_and_the_purge():
    by_id = {job.id: job for job in SCHEDULE}
    assert by_id["outbox"].func is jobs.deliver_outbox
    assert (by_id["outbox"].trigger, dict(by_id["outbox"].args)) == ("interval", {"seconds": 20})
    assert by_id["purge-history"].func is jobs.purge_history
    assert len(by_id) == len(SCHEDULE)  # ids are unique: replace_existing relies on them


def test_purge_deletes_old_history_and_keeps_recent_work(chat, services):
    retention = services.settings.retention.message_days
    chat.send("old1", "人工")  # a handoff, later closed and aged
    chat.send("old2", "人工")  # a handoff still open, aged: it expires, then goes
    chat.send("new1", "人工")  # recent
    with services.sessions.begin() as session:
        session.execute(update(Handoff).where(Handoff.user_id == "old1").values(status="closed"))
        inbound_id = session.scalar(select(InboundMessage.id)
                                    .where(InboundMessage.user_id == "old1"))
        session.add(OutboundMessage(user_id="old1", text="仍在等待发送", status="pending",
                                    attempts=1, inbound_id=inbound_id,
                                    created_at=datetime.now(timezone.utc)))
    age(services, "old1", retention + 1)
    age(services, "old2", retention + 1)
    before = snapshot(services)
    assert before["inbound"] == ["old1", "old2", "new1"]

    counts = jobs.purge_history(services)

    after = snapshot(services)
    assert after["inbound"] == ["new1"]
    assert [o for o in after["outbound"] if o[0] != "staff01"] == [
        ("new1", "passive"), ("old1", "pending")]
    assert after["handoffs"] == [("new1", "open")]
    assert (counts["inbound"], counts["handoffs"], counts["expired"]) == (2, 2, 1)
    assert counts["outbound"] == 2  # the passive replies to old1 and old2
    with services.sessions.begin() as session:  # the waiting message lost only its link
        assert session.scalars(select(OutboundMessage.inbound_id)
                               .where(OutboundMessage.status == "pending")).all() == [None]


def test_purge_keeps_history_younger_than_the_retention(chat, services):
    retention = services.settings.retention.message_days
    chat.send("mid1", "你好")
    age(services, "mid1", retention - 1)
    before = snapshot(services)
    assert jobs.purge_history(services) == {"outbound": 0, "inbound": 0, "handoffs": 0,
                                            "unanswered": 0, "expired": 0, "forms": 0,
                                            "consents": 0, "kf": 0}
    assert snapshot(services) == before


def test_purge_follows_the_services_clock(chat, services, monkeypatch):
    chat.send("clock1", "你好")
    later = datetime.now(timezone.utc) + timedelta(
        days=services.settings.retention.message_days + 1)
    monkeypatch.setattr(services, "clock", lambda: later)
    jobs.purge_history(services)
    assert snapshot(services) == {"inbound": [], "outbound": [], "handoffs": []}
    with services.sessions.begin() as session:
        assert session.get(User, "clock1") is not None  # the person stays known


def test_purge_deletes_old_answered_questions_and_keeps_recent_open_ones(services):
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=services.settings.retention.message_days + 1)
    with services.sessions.begin() as session:
        session.add_all([UnansweredQuestion(user_id="q1", question="甲", asked_at=old,
                                            status="answered"),
                         UnansweredQuestion(user_id="q2", question="乙",
                                            asked_at=now - timedelta(days=1), status="open")])
    assert jobs.purge_history(services)["unanswered"] == 1
    with services.sessions.begin() as session:
        assert session.scalars(select(UnansweredQuestion.user_id)).all() == ["q2"]


def test_deliver_outbox_sends_what_is_due_and_only_that(services, simulator):
    now = datetime.now(timezone.utc)
    with services.sessions.begin() as session:
        session.add_all([
            OutboundMessage(user_id="due1", text="到时间了", status="pending", attempts=1,
                            created_at=now, next_attempt_at=now - timedelta(seconds=5)),
            OutboundMessage(user_id="due2", text="第一次发送", status="pending", attempts=0,
                            created_at=now),
            OutboundMessage(user_id="later1", text="还没到时间", status="pending", attempts=1,
                            created_at=now, next_attempt_at=now + timedelta(minutes=5)),
            OutboundMessage(user_id="gone1", text="放弃了", status="failed", attempts=8,
                            created_at=now),
        ])
    assert jobs.deliver_outbox(services) == 2
    sent = sorted((m["touser"], m["content"]) for m in simulator[0].messages)
    assert sent == [("due1", "到时间了"), ("due2", "第一次发送")]
    with services.sessions.begin() as session:
        statuses = dict(session.execute(select(OutboundMessage.user_id, OutboundMessage.status))
                        .tuples().all())
    assert statuses == {"due1": "sent", "due2": "sent", "later1": "pending", "gone1": "failed"}
    assert jobs.deliver_outbox(services) == 0  # a rerun sends nothing twice


def test_deliver_outbox_recovers_a_message_left_sending_by_a_dead_worker(services, simulator):
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    with services.sessions.begin() as session:
        session.add(OutboundMessage(user_id="crash1", text="重新发送", status="sending",
                                    attempts=1, created_at=long_ago))
    assert jobs.deliver_outbox(services) == 1
    assert [m["content"] for m in simulator[0].sent_to("crash1")] == ["重新发送"]


def test_run_registers_every_job_and_the_purge_runs_at_0317_shanghai(
        services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[BlockingScheduler] = []
    seen: dict[str, Any] = {}

    class StoppedOnceStarted(BlockingScheduler):
        """The real scheduler, stopped from another thread as soon as it runs."""

        def start(self, *args: Any, **kwargs: Any) -> None:
            started.append(self)
            threading.Thread(target=self._look_and_stop, daemon=True).start()
            super().start(*args, **kwargs)

        def _look_and_stop(self) -> None:
            while not self.running:
                threading.Event().wait(0.01)
            seen.update({job.id: job for job in self.get_jobs()})
            self.shutdown(wait=False)

    monkeypatch.setattr(run, "BlockingScheduler", StoppedOnceStarted)
    run.run(services)  # returns once stopped
    assert len(started) == 1 and set(seen) == {job.id for job in SCHEDULE}
    assert seen["outbox"].func is jobs.deliver_outbox
    assert seen["outbox"].trigger.interval == timedelta(seconds=20)
    purge = seen["purge-history"]
    assert purge.func is jobs.purge_history and purge.args == (services,)
    shanghai = ZoneInfo("Asia/Shanghai")
    first = purge.trigger.get_next_fire_time(None, datetime(2026, 3, 1, 12, tzinfo=shanghai))
    assert first.astimezone(shanghai).strftime("%Y-%m-%d %H:%M") == "2026-03-02 03:17"
    then = purge.trigger.get_next_fire_time(first, first + timedelta(minutes=1))
    assert then - first == timedelta(days=1)


def test_purge_keeps_dedup_keys_for_dedup_hours_when_history_is_kept_for_less(
        database: str, simulator: Any, knowledge_base: Any) -> None:
    retention = {"message_days": 1, "dedup_hours": 72}  # keys outlive the history
    with another_app(database, simulator, knowledge_base, retention=retention) as chat:
        services = chat.services
        for user in ("keys-2d", "keys-4d", "keys-now"):
            chat.send(user, "你好")
        age(services, "keys-2d", 2)  # history too old, de-duplication key still needed
        age(services, "keys-4d", 4)  # both too old
        counts = jobs.purge_history(services)
        after = snapshot(services)
    assert after["inbound"] == ["keys-2d", "keys-now"]
    assert [user for user, _ in after["outbound"]] == ["keys-now"]
    assert (counts["inbound"], counts["outbound"]) == (1, 2)
