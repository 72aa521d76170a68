"""One open handoff per person, urgent notices first, and WeCom's 30-a-minute limit per staff
member kept by an atomic count (several senders at once included)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from db.models import Handoff
from scheduler.jobs import deliver_outbox
from tests.dialog import rows, say

DISTRESS = "我不想活了"


def notices(simulator: Any) -> list[str]:
    """What staff01 was sent, in order."""
    return [m["content"] for m in simulator[0].sent_to("staff01")]


def test_sixty_requests_make_one_handoff_and_one_notice(chat: Any, simulator: Any) -> None:
    for _ in range(60):
        say(chat, "flood-one", "人工")
    [handoff] = rows(chat, Handoff, user_id="flood-one")
    assert handoff.status == "open" and not handoff.urgent
    assert len(notices(simulator)) == 1
    say(chat, "flood-other", DISTRESS)
    sent = notices(simulator)
    assert len(sent) == 2 and "紧急" in sent[1] and "flood-other" in sent[1]


def test_a_distress_notice_overtakes_a_backlog_of_requests(chat: Any, services: Any,
                                                           simulator: Any,
                                                           monkeypatch: Any) -> None:
    now = services.clock()
    monkeypatch.setattr(services, "clock", lambda: now)  # one minute, frozen
    monkeypatch.setattr(services.sender, "clock", lambda: now)
    for n in range(30):
        say(chat, f"flood-many-{n}", "人工")
    assert len(notices(simulator)) == 28  # two wait for the next minute
    say(chat, "flood-urgent", DISTRESS)
    sent = notices(simulator)
    assert len(sent) == 29 and "flood-urgent" in sent[-1] and "紧急" in sent[-1]
    later = now + timedelta(minutes=1, seconds=1)
    monkeypatch.setattr(services.sender, "clock", lambda: later)
    assert deliver_outbox(services) == 2
    assert len(notices(simulator)) == 31


def test_concurrent_senders_never_exceed_the_limit(services: Any, simulator: Any,
                                                   monkeypatch: Any) -> None:
    now = services.clock()
    monkeypatch.setattr(services.sender, "clock", lambda: now)
    with services.sessions.begin() as session:
        ids = [row.id for n in range(60)
               for row in services.sender.enqueue(session, "staff01", f"通知{n}")]
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        services.sender.deliver(ids)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(notices(simulator)) == 28
