"""Booking reminders by the scheduler's job, with a clock the test moves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from db.models import BookingReminder
from scheduler import jobs
from scheduler.schedule import SCHEDULE
from tests.booking_kit import catalogue, clock, slot  # noqa: F401 (fixtures)
from tests.dialog import rows, run, say

SHANGHAI = timezone(timedelta(hours=8))


def at(clock: Any, local: str) -> None:
    """Move the clock to a Shanghai local time "YYYY-MM-DD HH:MM"."""
    clock.now = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(
        tzinfo=SHANGHAI).astimezone(timezone.utc)


def remind(chat: Any, user: str) -> list[str]:
    """Run the job; what `user` was sent."""
    jobs.remind_bookings(chat.services)
    return chat.api_messages(user)


def test_the_evening_before_and_two_hours_before_once_each(chat: Any, catalogue: dict,
                                                           clock: Any) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 10:00")
    run(chat, "rm-self", ["我想约个职业能力评估", "1", "确认"])
    assert ("booking-reminders", jobs.remind_bookings) in [(j.id, j.func) for j in SCHEDULE]
    at(clock, "2026-12-09 17:55")
    assert remind(chat, "rm-self") == []
    at(clock, "2026-12-09 18:01")
    [evening] = remind(chat, "rm-self")
    assert "明天" in evening and "职业能力评估" in evening and "12月10日" in evening
    assert "地点：河北区残联服务大厅" in evening and "请带上" in evening and "我的预约" in evening
    assert remind(chat, "rm-self") == []  # a second run (or a restarted scheduler) sends nothing
    at(clock, "2026-12-10 07:50")
    assert remind(chat, "rm-self") == []
    at(clock, "2026-12-10 08:01")
    [soon] = remind(chat, "rm-self")
    assert "今天" in soon and "10:00" in soon
    at(clock, "2026-12-10 08:31")
    assert remind(chat, "rm-self") == []
    assert sorted(r.kind for r in rows(chat, BookingReminder)) == ["day_before", "two_hours"]


def test_booked_after_the_evening_is_reminded_at_once_but_never_at_night(
        chat: Any, catalogue: dict, clock: Any) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 15:00")
    at(clock, "2026-12-09 20:30")
    run(chat, "rm-late", ["我想约个职业能力评估", "1", "确认"])
    chat.api_messages("rm-late")
    [at_once] = remind(chat, "rm-late")
    assert "明天" in at_once
    slot(chat.services, catalogue["skills-training"], "2026-12-10 16:00")
    at(clock, "2026-12-09 22:10")
    run(chat, "rm-night", ["预约职业技能培训", "1", "确认"])
    chat.api_messages("rm-night")
    assert remind(chat, "rm-night") == []  # quiet hours
    at(clock, "2026-12-10 08:01")
    [morning] = remind(chat, "rm-night")
    assert "今天" in morning and "职业技能培训" in morning


def test_none_for_cancelled_or_moved_bookings(chat: Any, catalogue: dict, clock: Any) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 10:00")
    slot(chat.services, catalogue["assessment"], "2026-12-20 10:00")
    run(chat, "rm-cancel", ["我想约个职业能力评估", "1", "确认", "我的预约", "1", "1"])
    run(chat, "rm-move", ["我想约个职业能力评估", "1", "确认", "我的预约", "1", "2"])
    assert "改约成功" in say(chat, "rm-move", "1")
    at(clock, "2026-12-09 18:01")
    assert remind(chat, "rm-cancel") == [] and remind(chat, "rm-move") == []
    assert rows(chat, BookingReminder) == []
