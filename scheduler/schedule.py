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
    Job("kf-pull", jobs.pull_kf, "interval", (("seconds", 47),)),
    Job("purge-history", jobs.purge_history, "cron", (("hour", 3), ("minute", 17))),
)
