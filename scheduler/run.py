"""Run the timetable in its own process with APScheduler's BlockingScheduler."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler.schedule import SCHEDULE

log = logging.getLogger(__name__)


def run(services) -> None:  # type: ignore[no-untyped-def]
    """Add every job of SCHEDULE under its id and block (Ctrl-C stops)."""
    zone = ZoneInfo(services.settings.bot.timezone)
    scheduler = BlockingScheduler(timezone=zone)
    for job in SCHEDULE:
        # Interval jobs (outbox, notices) run at once on start: a restart catches up now.
        first = {"next_run_time": datetime.now(zone)} if job.trigger == "interval" else {}
        scheduler.add_job(job.func, job.trigger, args=(services,), id=job.id,
                          replace_existing=True, coalesce=True, max_instances=1,
                          **dict(job.args), **first)
    log.info("scheduler started jobs=%s", ",".join(job.id for job in SCHEDULE))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
