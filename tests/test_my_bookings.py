"""我的预约 through the webhook: the list, cancel and move in one short exchange, numbers."""

from __future__ import annotations

from typing import Any

from db.models import Booking, BookingEvent, Slot
from tests.booking_kit import catalogue, clock, slot  # noqa: F401 (fixtures)
from tests.dialog import rows, run, say, state_of


def book(chat: Any, user: str, pick: str = "1") -> Booking:
    """Book the `pick`-th open time of 职业能力评估; the new booking."""
    run(chat, user, ["我想约个职业能力评估", pick])
    assert "预约成功" in say(chat, user, "确认")
    return [b for b in rows(chat, Booking, user_id=user) if b.status == "booked"][-1]


def test_the_list_shows_bookings_to_come_first_and_cancels_in_two_turns(
        chat: Any, catalogue: dict) -> None:
    first = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    slot(chat.services, catalogue["skills-training"], "2026-12-09 14:00")
    booking = book(chat, "my-self")
    run(chat, "my-self", ["预约职业技能培训", "1", "确认"])
    listing = say(chat, "my-self", "我的预约")
    assert listing.index("职业技能培训") < listing.index("职业能力评估")  # soonest first
    assert booking.ref in listing
    assert "1. 取消这个预约" in say(chat, "my-self", "2")
    done = say(chat, "my-self", "1")
    assert "已取消预约" in done and booking.ref in done
    assert rows(chat, Booking, id=booking.id)[0].status == "cancelled"
    assert rows(chat, Slot, id=first)[0].taken == 0
    assert ("cancelled", "self") in [(e.kind, e.actor) for e in rows(chat, BookingEvent)]
    assert state_of(chat, "my-self") is None


def test_a_move_gives_the_old_seat_back_and_takes_the_new_one(chat: Any,
                                                             catalogue: dict) -> None:
    old = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    new = slot(chat.services, catalogue["assessment"], "2026-12-11 09:00")
    booking = book(chat, "my-mover")
    run(chat, "my-mover", ["我的预约", "1"])
    times = say(chat, "my-mover", "2")
    assert "12月11日" in times and "12月10日" not in times  # the current time is not offered
    moved = say(chat, "my-mover", "1")
    assert "改约成功" in moved and "预约成功" in moved and booking.ref in moved
    taken = {s.id: s.taken for s in rows(chat, Slot)}
    assert (taken[old], taken[new]) == (0, 1)
    statuses = [(b.slot_id, b.status) for b in rows(chat, Booking)]
    assert statuses == [(old, "moved"), (new, "booked")]
    assert [e.kind for e in rows(chat, BookingEvent)] == ["booked", "moved", "moved"]


def test_a_move_to_a_full_slot_changes_nothing(chat: Any, catalogue: dict) -> None:
    old = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    new = slot(chat.services, catalogue["assessment"], "2026-12-11 09:00", capacity=1)
    book(chat, "my-late")
    run(chat, "my-late", ["我的预约", "1", "2"])
    book(chat, "my-early", "2")  # takes the last seat of the new time meanwhile
    full = say(chat, "my-late", "1")
    assert "已约满" in full
    taken = {s.id: s.taken for s in rows(chat, Slot)}
    assert (taken[old], taken[new]) == (1, 1)
    assert [b.status for b in rows(chat, Booking, user_id="my-late")] == ["booked"]


def test_a_booking_number_that_is_not_theirs(chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    theirs = book(chat, "my-owner")
    reply = say(chat, "my-stranger", f"取消预约{theirs.ref}")
    assert "没有找到您名下" in reply and theirs.ref in reply
    assert "没有找到您名下" in say(chat, "my-stranger", "YY12345Z")
    assert "1. 取消这个预约" in say(chat, "my-owner", theirs.ref.lower())
    assert rows(chat, Booking, id=theirs.id)[0].status == "booked"


def test_no_bookings_and_a_bad_pick(chat: Any, catalogue: dict) -> None:
    assert "您还没有预约" in say(chat, "my-none", "我的预约")
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    book(chat, "my-picky")
    say(chat, "my-picky", "我的预约")
    assert "请回复预约前面的数字" in say(chat, "my-picky", "12月10日那个")
    assert state_of(chat, "my-picky") == "booking:mine"


def test_erasing_my_data_gives_the_seats_back(chat: Any, catalogue: dict) -> None:
    first = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    book(chat, "my-eraser")
    run(chat, "my-eraser", ["我的信息", "2", "1"])
    assert rows(chat, Booking) == [] and rows(chat, BookingEvent) == []
    assert rows(chat, Slot, id=first)[0].taken == 0
