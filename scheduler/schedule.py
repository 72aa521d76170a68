"""The timetable, as data: job id, function, trigger. Avoid :00/:30 (WeCom is busiest then)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from scheduler import jobs


@dataclass(frozen=True)
class Job:
    """One scheduled job under a fixed id."""

    id: str
    func: Callable[[Any], Any]
    trigger: str  # "interval" or "cron"
    args: tuple[tuple[str, Any], ...]


SCHEDULE = (
    Job("outbox", jobs.deliver_outbox, "interval", (("seconds", 20),)),
    Job("notices", jobs.push_notices, "interval", (("seconds", 10),)),
    Job("event-reminders", jobs.remind_events, "interval", (("minutes", 10),)),
    Job("kf-pull", jobs.pull_kf, "interval", (("seconds", 47),)),
    Job("purge-history", jobs.purge_history, "cron", (("hour", 3), ("minute", 17))),
    # Every 5 minutes from :01: the 18:00 reminders go at 18:01, two-hour ones within 5 min.
    Job("booking-reminders", jobs.remind_bookings, "cron", (("minute", "1-59/5"),)),
)
