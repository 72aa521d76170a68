"""Events end to end: staff commands, notices to subscribers, residents' sign-up with capacity,
change and cancel, reminders, quiet hours; through the webhook and the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.__main__ import main
from bot.broadcast import Broadcaster
from db.events import cancel_event, change_event
from db.models import Event, EventNotice, OutboundMessage
from scheduler import jobs
from tests.dialog import rows, say
from tests.event_helpers import (FAIR_START, SHANGHAI, deliveries, fixed_clock, new_event)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_commands_add_and_publish_reach_each_subscriber_exactly_once(staff_cli, capsys):  # noqa: F811
    chat = staff_cli
    for user in ("fair1", "fair2", "fair3"):
        assert "订阅成功" in say(chat, user, "订阅招聘会")
    say(chat, "train1", "订阅培训")
    capsys.readouterr()
    assert main(["events", "add", "--kind", "招聘会", "--title", "春季专场招聘会",
                 "--start", "2027-03-05 09:00", "--place", "河北区残联", "--capacity", "50"]) == 0
    event_id = last_line(capsys.readouterr().out)
    assert event_id.isdigit()
    [event] = rows(chat, Event)
    assert (event.id, event.status, event.capacity) == (int(event_id), "draft", 50)
    assert event.start_at == FAIR_START  # stored in UTC, read as Shanghai time

    assert main(["events", "publish", event_id, "--urgent"]) == 0  # urgent: any hour
    assert last_line(capsys.readouterr().out) == "3"
    assert deliveries(chat.state) == {"fair1": 1, "fair2": 1, "fair3": 1}
    [notice] = chat.api_messages("fair1")
    assert f"回复“报名 {event_id}”" in notice and "回复“退订”" in notice
    assert notice.index("时间") < notice.index("地点") < notice.index("无障碍") < \
        notice.index("报名") < notice.index("退订")  # read in this order
    assert Broadcaster(chat.services).run() == 0  # again: nothing twice
    assert deliveries(chat.state) == {"fair1": 1, "fair2": 1, "fair3": 1}


@pytest.mark.parametrize("args", [
    ["events", "add", "--kind", "游园会", "--title", "x", "--start", "2027-03-05 09:00",
     "--place", "p"],
    ["events", "add", "--kind", "招聘会", "--title", "x", "--start", "3月5日", "--place", "p"],
    ["events", "add", "--kind", "招聘会", "--title", "x", "--start", "2027-03-05 09:00"],
    ["events", "add", "--kind", "招聘会", "--title", "x", "--start", "2027-03-05 09:00",
     "--place", "p", "--capacity", "0"],
    ["events", "add", "--kind", "招聘会", "--title", "x", "--start", "2027-03-05 09:00",
     "--place", "p", "--capacity", "many"],
    ["events", "publish", "999"],
])
def test_bad_input_is_one_line_and_writes_nothing(staff_cli, capsys, monkeypatch,  # noqa: F811
                                                   args):
    monkeypatch.setenv("BOT_BOT_LOG_LEVEL", "WARNING")  # as an operator's config would say
    capsys.readouterr()
    with pytest.raises(SystemExit) if "many" in args else _nothing():
        assert main(args) != 0
    printed = capsys.readouterr()
    assert printed.out == "" and len(printed.err.strip().splitlines()) == 1
    assert rows(staff_cli, Event) == []


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return False


def test_import_reports_every_bad_row_and_imports_nothing_until_all_are_good(
        staff_cli, capsys, tmp_path):  # noqa: F811
    header = "kind,title,start,end,place,capacity\n"
    good = "培训,盲人按摩培训,2027-04-01 09:00,2027-04-01 16:00,区职教中心,20\n"
    path = tmp_path / "events.csv"
    path.write_text(header + good + "游园会,x,2027-04-02 09:00,,某地,\n"
                    + "招聘会,y,明天,,某地,\n" + good, encoding="utf-8")
    capsys.readouterr()
    assert main(["events", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 3:" in err and "line 4:" in err and "line 2:" not in err
    assert rows(staff_cli, Event) == []

    path.write_text(header + good + good.replace("盲人按摩培训", "电商客服培训"), encoding="utf-8")
    assert main(["events", "import", str(path)]) == 0
    assert [e.title for e in rows(staff_cli, Event)] == ["盲人按摩培训", "电商客服培训"]
    assert "imported 2 events" in capsys.readouterr().out


def test_residents_sign_up_within_the_capacity_and_see_or_cancel(chat):
    fixed_clock(chat.services)
    event_id = new_event(chat.services, capacity=2, employers_allowed=False)
    assert "报名成功" in say(chat, "res1", f"报名 {event_id}")
    assert "已经报名" in say(chat, "res1", f"报名{event_id}")
    assert "报名成功" in say(chat, "res2", f"报名 {event_id}")
    assert "已约满" in say(chat, "res3", f"报名 {event_id}")
    assert rows(chat, Event)[0].taken == 2

    mine = say(chat, "res1", "我的活动")
    assert "残疾人专场招聘会" in mine and "1." in mine
    assert "已取消" in say(chat, "res1", "1")  # cancel by its number: the seat is given back
    assert rows(chat, Event)[0].taken == 1
    assert "报名成功" in say(chat, "res3", f"报名 {event_id}")
    assert "没有找到编号为999" in say(chat, "res3", "报名 999")


def test_change_and_cancel_tell_subscribers_and_those_signed_up_once(chat):
    services = chat.services
    fixed_clock(services)
    say(chat, "watch1", "订阅招聘会")
    event_id = new_event(services)
    say(chat, "goer1", f"报名 {event_id}")  # role unknown at a fair that takes employers
    say(chat, "goer1", "1")  # 来参加的求职者
    assert jobs.push_notices(services) == 1
    chat.api_messages("watch1"), chat.api_messages("goer1")

    with services.sessions.begin() as session:
        queued = change_event(session, event_id, now=services.clock(), place="区文化中心二楼")
    assert queued == 2
    jobs.push_notices(services)
    [changed] = chat.api_messages("goer1")
    assert "活动变更" in changed and "区文化中心二楼" in changed
    assert len(chat.api_messages("watch1")) == 1

    with services.sessions.begin() as session:
        assert cancel_event(session, event_id, reason="场地维修", now=services.clock()) == 2
    jobs.push_notices(services)
    for user in ("watch1", "goer1"):
        [cancelled] = chat.api_messages(user)
        assert "活动取消" in cancelled and "场地维修" in cancelled
    assert "不能报名" in say(chat, "late1", f"报名 {event_id}")
    assert deliveries(chat.state)["watch1"] == 3


def test_the_reminder_goes_once_the_day_before(chat):
    services = chat.services
    clock = fixed_clock(services)
    event_id = new_event(services, publish=True)
    say(chat, "goer2", f"报名 {event_id}")
    say(chat, "goer2", "1")
    assert jobs.remind_events(services)["reminders"] == 0  # four days ahead: not yet
    clock.now = FAIR_START.astimezone(clock.now.tzinfo) - __import__("datetime").timedelta(
        hours=20)
    assert jobs.remind_events(services)["reminders"] == 1
    assert jobs.remind_events(services)["reminders"] == 0
    jobs.push_notices(services)
    [reminder] = chat.api_messages("goer2")
    assert "活动提醒" in reminder and f"取消报名 {event_id}" in reminder
    clock.advance(days=1)
    assert jobs.remind_events(services)["finished"] == 1


def test_quiet_hours_hold_notices_until_morning_unless_urgent(chat):
    services = chat.services
    clock = fixed_clock(services, FAIR_START.replace(day=1, hour=22, minute=30))
    say(chat, "night1", "订阅全部活动")
    new_event(services)
    assert jobs.push_notices(services) == 0
    assert chat.api_messages("night1") == []
    urgent = new_event(services, kind="培训", title="紧急：培训改期", urgent=True,
                       employers_allowed=False)
    assert jobs.push_notices(services) == 1
    [sent] = chat.api_messages("night1")
    assert "紧急：培训改期" in sent and str(urgent) in sent
    clock.now = FAIR_START.replace(day=2, hour=8, minute=5).astimezone(clock.now.tzinfo)
    assert jobs.push_notices(services) == 1
    assert len(chat.api_messages("night1")) == 1
    [row] = [r for r in rows(chat, OutboundMessage, user_id="night1")
             if r.notice_id is not None and r.sent_at.astimezone(SHANGHAI).hour == 8]
    assert row.status == "sent"
    assert len(rows(chat, EventNotice)) == 2
