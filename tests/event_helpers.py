"""Shared helpers for event tests: a settable clock, events made and published, counts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from db.events import create_event, publish_event
from db.models import Subscription
from tests.dialog import Clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)  # a Monday, outside the quiet hours
FAIR_START = datetime(2027, 3, 5, 9, 0, tzinfo=SHANGHAI)



def fixed_clock(services: Any, start: datetime = MORNING) -> Clock:
    """Give `services` (and its sender) a fixed clock; return it."""
    clock = Clock(start.astimezone(timezone.utc))
    services.clock = clock
    services.sender.clock = clock
    return clock


def add_subscribers(services: Any, kind: str, users: list[str]) -> None:
    """Many subscribers at once (as if each had sent "订阅…")."""
    with services.sessions.begin() as session:
        session.execute(Subscription.__table__.insert(),
                        [{"user_id": u, "kind": kind, "created_at": services.clock()}
                         for u in users])


def new_event(services: Any, *, publish: bool = True, urgent: bool = False,
              **values: Any) -> int:
    """A job fair (unless overridden), published unless told not to; its id."""
    fields = {"kind": "招聘会", "title": "残疾人专场招聘会", "start_at": FAIR_START,
              "place": "河北区残联一楼大厅", "accessibility": "有无障碍坡道和电梯，提供手语翻译",
              "employers_allowed": True, **values}
    with services.sessions.begin() as session:
        event_id = create_event(session, now=services.clock(), **fields).id
        if publish:
            publish_event(session, event_id, now=services.clock(), urgent=urgent)
    return event_id


def deliveries(state: Any) -> Counter:
    """How many messages the simulator delivered to each user."""
    with state.lock:
        return Counter(user for m in state.messages for user in m["touser"].split("|"))
