"""Notices to many, exactly once: batches, WeCom's faults, two schedulers, a killed one."""

from __future__ import annotations

import threading

import pytest

from bot.broadcast import Broadcaster
from db.models import OutboundMessage
from tests.dialog import another_app, rows
from tests.event_helpers import add_subscribers, deliveries, fixed_clock, new_event

PEOPLE = [f"p{i:03d}" for i in range(25)]


@pytest.fixture
def small_batches(database, simulator, knowledge_base):  # type: ignore[no-untyped-def]
    """An app whose sender puts 10 people in one call (to see batching with few people)."""
    with another_app(database, simulator, knowledge_base,
                     events={"batch_size": 10, "lease_seconds": 30}) as chat:
        fixed_clock(chat.services)
        add_subscribers(chat.services, "招聘会", PEOPLE)
        yield chat


def statuses(chat) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How many notice rows are in each status."""
    found: dict[str, int] = {}
    for row in rows(chat, OutboundMessage):
        if row.notice_id is not None:
            found[row.status] = found.get(row.status, 0) + 1
    return found


def test_one_call_carries_up_to_the_batch_size(small_batches):
    chat = small_batches
    new_event(chat.services)
    assert Broadcaster(chat.services).run() == 25
    with chat.state.lock:
        sizes = [len(m["touser"].split("|")) for m in chat.state.messages]
    assert sizes == [10, 10, 5]
    assert deliveries(chat.state) == {p: 1 for p in PEOPLE}
    assert statuses(chat) == {"sent": 25}


def test_faults_are_retried_and_invalid_users_fail_once(small_batches):
    chat = small_batches
    chat.state.invalid_users.add("p024")
    fetches = chat.state.token_fetches
    chat.state.fail_next(45009, 503, 42001)  # busy, server error, then an expired token
    new_event(chat.services)
    sent = Broadcaster(chat.services).run()  # batch 1: 45009; batch 2: 503; batch 3 refreshes
    assert sent == 4  # the third batch, without the invalid user
    assert chat.state.token_fetches == fetches + 2  # the first token, then one refresh
    chat.services.clock.advance(seconds=6)  # the back-off (5 s after the first attempt)
    assert Broadcaster(chat.services).run() == 20  # batches 1 and 2 again, not the invalid one
    assert deliveries(chat.state) == {p: 1 for p in PEOPLE if p != "p024"}
    [invalid] = [r for r in rows(chat, OutboundMessage) if r.user_id == "p024"]
    assert (invalid.status, invalid.errmsg, invalid.attempts) == ("failed", "invaliduser", 1)
    retried = [r for r in rows(chat, OutboundMessage) if r.attempts == 2]
    assert len(retried) == 20 and {r.status for r in retried} == {"sent"}
    assert statuses(chat) == {"sent": 24, "failed": 1}


def test_two_schedulers_at_once_send_each_notice_once(small_batches, database, simulator,
                                                       knowledge_base):
    chat = small_batches
    new_event(chat.services)
    with another_app(database, simulator, knowledge_base, seen={},
                     events={"batch_size": 10}) as second:
        second.services.clock = chat.services.clock
        results: list[int] = []
        threads = [threading.Thread(target=lambda b=b: results.append(b.run()))
                   for b in (Broadcaster(chat.services), Broadcaster(second.services))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(results) == 25
    assert deliveries(chat.state) == {p: 1 for p in PEOPLE}


class Killed(BaseException):
    """The process dies here (not an Exception: nothing catches it)."""


@pytest.mark.parametrize("where", ["after the call", "before the call"])
def test_a_scheduler_killed_mid_batch_leaves_nothing_twice_and_nothing_lost(
        small_batches, monkeypatch, where):
    chat = small_batches
    new_event(chat.services)
    victim = Broadcaster(chat.services, holder="victim")
    dies = lambda *args: (_ for _ in ()).throw(Killed())  # noqa: E731
    # WeCom delivered but the result was never recorded, or the process died before calling.
    monkeypatch.setattr(victim, "_record" if where == "after the call" else "_call", dies)
    monkeypatch.setattr("bot.broadcast.release", lambda *a, **k: None)  # no `finally` when killed
    with pytest.raises(Killed):
        victim.run()
    monkeypatch.undo()
    assert statuses(chat) == {"sending": 10, "pending": 15}

    restarted = Broadcaster(chat.services, holder="restarted")
    assert restarted.run() == 0  # the dead one's lease has not lapsed yet: wait
    chat.services.clock.advance(seconds=31)
    restarted.run()
    assert deliveries(chat.state) == {p: 1 for p in PEOPLE}
    assert statuses(chat) == {"sent": 25}
