"""The booking conversation through the encrypted webhook: choose, confirm, needs, number."""

from __future__ import annotations

from typing import Any

from db.models import Booking, BookingEvent, Service, Slot
from tests.booking_kit import catalogue, clock, slot  # noqa: F401 (fixtures)
from tests.dialog import register, rows, run, say, state_of


def test_from_yuyue_to_a_booking_number_in_four_turns(chat: Any, catalogue: dict) -> None:
    first = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    slot(chat.services, catalogue["assessment"], "2026-12-11 14:00")
    services, times, confirm, done = run(chat, "bk-self", ["预约", "2", "1", "确认"])
    assert "1. 基础信息核对\n2. 职业能力评估" in services[0]
    assert "12月10日（星期四）09:00-10:00" in times[0] and "剩10个名额" in times[0]
    assert "回复0看更多" in times[0]
    assert "请核对" in confirm[0] and "1. 手语翻译" in confirm[0]
    assert "预约成功" in done[0] and "预约编号" in done[0] and "河北区残联服务大厅" in done[0]
    [booking] = rows(chat, Booking)
    assert (booking.slot_id, booking.user_id, booking.actor, booking.status, booking.needs) == \
        (first, "bk-self", "self", "booked", None)
    assert booking.ref in done[0]
    assert rows(chat, Slot, id=first)[0].taken == 1
    assert [(e.kind, e.actor) for e in rows(chat, BookingEvent)] == [("booked", "self")]
    assert state_of(chat, "bk-self") is None


def test_naming_the_service_skips_the_list_and_needs_are_kept(chat: Any,
                                                              catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    times = say(chat, "bk-named", "我想约个职业能力评估")
    assert "职业能力评估" in times and "1. 12月10日" in times
    say(chat, "bk-named", "1")
    assert "请用一句话回复需要我们准备什么" in say(chat, "bk-named", "1 4")
    done = say(chat, "bk-named", "需要低一点的桌子")
    assert "预约成功" in done and "已记下：手语翻译、需要低一点的桌子" in done
    [booking] = rows(chat, Booking)
    assert booking.needs == "手语翻译、需要低一点的桌子"


def test_a_slot_filled_while_choosing_gets_yiyueman_and_the_next_times(
        chat: Any, catalogue: dict) -> None:
    last = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00", capacity=1)
    slot(chat.services, catalogue["assessment"], "2026-12-12 09:00")
    run(chat, "bk-slow", ["我想约个职业能力评估", "1"])
    run(chat, "bk-fast", ["我想约个职业能力评估", "1", "确认"])
    late = say(chat, "bk-slow", "确认")
    assert "已约满" in late and "12月12日" in late and "12月10日" not in late
    assert "预约成功" in say(chat, "bk-slow", "1") + say(chat, "bk-slow", "确认")
    assert rows(chat, Slot, id=last)[0].taken == 1
    assert len(rows(chat, Booking)) == 2


def test_typed_dates_and_numbers_out_of_range_get_a_hint_and_the_list(
        chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    say(chat, "bk-typer", "我想约个职业能力评估")
    hint = say(chat, "bk-typer", "下周三上午")
    assert "请回复列表前面的数字" in hint and "1. 12月10日" in hint
    assert "请回复列表前面的数字" in say(chat, "bk-typer", "7")
    assert "没有更多时间了" in say(chat, "bk-typer", "0")
    assert state_of(chat, "bk-typer") == "booking:slot"


def test_one_booking_of_a_service_per_day(chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    slot(chat.services, catalogue["assessment"], "2026-12-10 14:00")
    run(chat, "bk-twice", ["我想约个职业能力评估", "1", "确认"])
    [booking] = rows(chat, Booking)
    run(chat, "bk-twice", ["我想约个职业能力评估"])
    again = say(chat, "bk-twice", "1") + say(chat, "bk-twice", "确认")
    assert "同一天同一项服务只能约一次" in again and booking.ref in again
    assert len(rows(chat, Booking)) == 1


def test_a_service_retired_mid_conversation(chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["skills-training"], "2026-12-10 09:00")
    run(chat, "bk-retired", ["预约职业技能培训", "1"])
    with chat.services.sessions.begin() as session:
        session.get(Service, catalogue["skills-training"]).retired_at = chat.services.clock()
    reply = say(chat, "bk-retired", "确认")
    assert "停止预约" in reply and "1. 基础信息核对" in reply
    assert rows(chat, Booking) == []


def test_a_slot_that_passed_while_choosing(chat: Any, catalogue: dict, clock: Any) -> None:
    from datetime import timedelta

    slot(chat.services, catalogue["assessment"], "2026-12-07 11:00")
    run(chat, "bk-past", ["我想约个职业能力评估"])
    clock.now += timedelta(hours=2)
    reply = say(chat, "bk-past", "1")
    assert "已经过去" in reply or "暂时没有" in reply
    assert rows(chat, Booking) == []


def test_a_family_member_books_for_the_person_they_registered(chat: Any,
                                                            catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    register(chat, "bk-mother", name="王小红", family=True)
    run(chat, "bk-mother", ["我想约个职业能力评估", "1"])
    done = say(chat, "bk-mother", "确认")
    assert "预约成功" in done and "为：王小红" in done
    [booking] = rows(chat, Booking)
    assert (booking.actor, booking.user_id) == ("family", "bk-mother")
    assert booking.registration_id is not None


def test_the_end_of_a_registration_offers_the_assessment(chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    done = register(chat, "bk-newcomer")
    assert "回复1预约职业能力评估" in done
    times = say(chat, "bk-newcomer", "1")
    assert "职业能力评估" in times and "1. 12月10日" in times
    assert "预约成功" in say(chat, "bk-newcomer", "1") + say(chat, "bk-newcomer", "确认")
    [booking] = rows(chat, Booking)
    assert booking.actor == "self" and booking.registration_id is not None


def test_the_menu_item_and_the_way_back(chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    assert "您想预约哪项服务" in chat.event("bk-menu", "click", "menu:booking")[0]
    say(chat, "bk-menu", "菜单")
    assert "您想预约哪项服务" in say(chat, "bk-menu", "3")  # 3. 服务预约 of the main menu
    say(chat, "bk-menu", "职业能力评估")
    assert "您想预约哪项服务" in say(chat, "bk-menu", "返回")
    handed_over = say(chat, "bk-menu", "人工")
    assert "工作人员" in handed_over and "您想预约哪项服务" in handed_over
    assert state_of(chat, "bk-menu") == "booking:service"
    assert "已取消" in say(chat, "bk-menu", "取消")


def test_the_way_back_is_said_once_and_again_on_help(chat: Any, catalogue: dict) -> None:
    slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    replies = [reply for turn in run(chat, "bk-once", ["预约", "2", "1"]) for reply in turn]
    way_back = "“返回”回到上一步"
    assert way_back in replies[0]
    assert [way_back in reply for reply in replies] == [True, False, False]
    helped = say(chat, "bk-once", "帮助")
    assert "返回" in helped and "取消" in helped and "人工" in helped and "请核对" in helped
    assert "预约成功" in say(chat, "bk-once", "确认")
