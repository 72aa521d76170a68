"""The console's error paths say in Chinese what is wrong and what to do, next to the field
(with the format hint tied to it), and keep what the person typed: events, services, slots,
registrations (status, plan steps, the list's date filter), attendance, knowledge, refusals."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from db.catalogue import seed_services
from tests.console import add_accounts, logged_in, token
from tests.dialog import register
from tests.event_helpers import fixed_clock, new_event

ALLOWED = {"CSV", "Excel", "Word", "TOML", "UTF", "ID", "HTTPS"}
IDENTIFIER = re.compile(r"[A-Za-z0-9]*[-._/:][A-Za-z0-9._/:-]*")  # job-club, a.toml, URLs
MESSAGES = re.compile(r'<p class="(?:error|flash)"[^>]*>(.*?)</p>|<li class="problem">(.*?)</li>',
                      re.S)
FAIR = {"kind": "招聘会", "title": "河北区残疾人专场招聘会", "start_at": "2027-03-05T09:00",
        "place": "河北区残联一楼大厅", "capacity": "50"}


def shown(page: str) -> list[str]:
    """The texts of the page's error and flash messages."""
    return [unescape(re.sub(r"<[^>]+>", "", "".join(m))).strip()
            for m in MESSAGES.findall(page)]


def english_words(text: str) -> list[str]:
    """Words of 3+ Latin letters outside identifiers, what the person typed (quoted “…”)
    and the allowed names."""
    text = IDENTIFIER.sub(" ", re.sub(r"“[^”]*”", " ", text))
    return [w for w in re.findall(r"[A-Za-z]{3,}", text)
            if w not in ALLOWED]


def assert_chinese(page: str, *expected: str) -> None:
    """Every message is Chinese (CJK, no English sentence) and the expected ones are there."""
    messages = shown(page)
    assert messages, page[-2000:]
    for message in messages:
        assert re.search(r"[\u4e00-\u9fff]", message), message
        assert not english_words(message), message
    for text in expected:
        assert any(text in m for m in messages), (text, messages)


def error_of(page: str, field_id: str) -> str:
    """The error shown next to a field, which the field names with aria-describedby."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', page)
    assert tag, field_id
    assert f'{field_id}-error' in tag.group(0) and 'aria-invalid="true"' in tag.group(0)
    found = re.search(rf'<p class="error" id="{field_id}-error"[^>]*>(.*?)</p>', page, re.S)
    assert found, field_id
    return unescape(found.group(1))


def post(client: Any, path: str, **data: str) -> str:
    """A form post with the CSRF token; the page shown after it."""
    return client.post(path, data={**data, "csrf_token": token(client, "/admin/")},
                       follow_redirects=True).get_data(as_text=True)


@pytest.fixture
def client(app: Any, services: Any) -> Any:
    """The admin, a seeded catalogue, the clock on Monday 2027-03-01 10:00."""
    add_accounts(services)
    fixed_clock(services)
    with services.sessions.begin() as session:
        seed_services(session, now=services.clock())
    return logged_in(app, "boss")


def test_event_errors_are_chinese_next_to_their_fields_and_keep_the_rest(client: Any,
                                                                          chat: Any) -> None:
    page = post(client, "/admin/events/new", **{**FAIR, **dict(start_at="明天上午")})
    assert_chinese(page, "其他填好的内容都还在")
    assert "“明天上午”看不懂" in error_of(page, "start_at") and "2026-12-01 14:30" in \
        error_of(page, "start_at")
    assert 'value="河北区残疾人专场招聘会"' in page and 'value="河北区残联一楼大厅"' in page
    page = post(client, "/admin/events/new", **{**FAIR, **dict(place="", kind="培训",
                                                               employers_allowed="y")})
    assert_chinese(page)
    assert "请填写地点或线上参加的链接" in error_of(page, "place")
    assert "只有招聘会接受用人单位报名" in error_of(page, "employers_allowed")
    page = post(client, "/admin/events/new", **{**FAIR, **dict(capacity="0")})
    assert "名额至少 1 人" in error_of(page, "capacity")
    page = post(client, "/admin/events/new", **{**FAIR, **dict(end_at="2027-03-05T08:00")})
    assert_chinese(page)
    assert "结束时间要晚于开始时间" in error_of(page, "end_at")
    page = post(client, "/admin/events/new", **{**FAIR, **dict(capacity="五十")})
    assert "“五十”不是整数" in error_of(page, "capacity")
    saved = post(client, "/admin/events/new", **{**FAIR, **dict(capacity="", end_at="",
                                                                 start_at="2027-03-05 09:00")})
    assert "活动已保存为草稿" in saved and 'class="error"' not in saved  # blank is no limit
    event_id = new_event(chat.services)
    assert_chinese(post(client, f"/admin/events/{event_id}/publish"), "只有草稿可以发布")
    assert_chinese(post(client, f"/admin/events/{event_id}/cancel", reason=""), "没有取消")
    assert_chinese(post(client, f"/admin/events/{event_id}/attendance", ref="X1"),
                   "格式不对")
    assert_chinese(post(client, f"/admin/events/{event_id}/cancel", reason="场地维修"))
    assert_chinese(post(client, f"/admin/events/{event_id}/cancel", reason="再取消"),
                   "不需要再取消")


def test_service_and_slot_errors_are_chinese_and_keep_the_form(client: Any) -> None:
    page = post(client, "/admin/bookings/services/new", code="job-club", name="求职俱乐部",
                modes="飞鸽")
    assert "办理方式“飞鸽”不认识" in error_of(page, "modes")
    assert_chinese(page)
    slot = {"service": "1", "start": "2027-03-08T09:00", "minutes": "60", "capacity": "4",
            "place": "河北区残联服务大厅"}
    for change, field, says in (({"start": "2027-02-30 09:00"}, "start", "看不懂"),
                                ({"start": "2027-02-01T09:00"}, "start", "已经过去"),
                                ({"capacity": "ten"}, "capacity", "不是整数"),
                                ({"capacity": ""}, "capacity", "请填写这一项"),
                                ({"weekly": "MON"}, "until", "重复到哪一天"),
                                ({"until": "2027-3-32"}, "until", "看不懂")):
        page = post(client, "/admin/bookings/slots", **{**slot, **change})
        assert_chinese(page, "没有添加")
        assert says in error_of(page, field), (change, error_of(page, field))
        assert 'value="河北区残联服务大厅"' in page, change  # the other fields are kept
    assert_chinese(post(client, "/admin/bookings/slots/999/cancel", reason="x"), "没有取消")


def test_registration_date_errors_keep_the_note_and_the_filter_says_why(client: Any,
                                                                        chat: Any) -> None:
    register(chat, "err-person")
    page = post(client, "/admin/registrations/1/status", status="已就业", on="2027-02-30",
                note="在社区超市做收银")
    assert_chinese(page, "其他填好的内容都还在")
    assert "“2027-02-30”看不懂" in error_of(page, "on")
    assert "在社区超市做收银" in page
    page = post(client, "/admin/registrations/1/status", status="已就业", on="2027-12-01",
                note="还没到岗")
    assert "生效日期不能晚于今天" in error_of(page, "on") and "还没到岗" in page
    assert_chinese(page)
    post(client, "/admin/registrations/1/plan", goal="三个月内到岗", responsible="李老师")
    page = post(client, "/admin/registrations/1/plan/steps", due_on="下周", action="联系单位",
                responsible="王老师")
    assert "“下周”看不懂" in error_of(page, "due_on") and "联系单位" in page
    assert_chinese(page)
    listing = client.get("/admin/registrations/?since=2027-13-01&status=待联系")
    text = listing.get_data(as_text=True)
    assert "“2027-13-01”看不懂" in error_of(text, "since")
    assert_chinese(text)


def test_knowledge_and_refusals_are_chinese(client: Any, app: Any) -> None:
    page = post(client, "/admin/knowledge/new", entry_id="bus-fares", title="公交乘车",
                audience="jobseeker,family", questions="坐公交要钱吗", answer="可以免费。",
                source="某文件", section="一", period="2027年")
    assert_chinese(page, "问法少于 5 个")
    page = post(client, "/admin/exports/report.docx", year="二〇二六")
    assert "请填写 2020 到 2100 之间的四位数字" in error_of(page, "year")
    assert_chinese(page)
    for response in (client.get("/admin/events/999"), client.get("/admin/no-such-page"),
                     client.post("/admin/events/new", data={"title": "无令牌"})):
        text = response.get_data(as_text=True)
        assert response.status_code in (400, 404)
        heading = re.search(r"<h1>(.*?)</h1>", text).group(1)
        advice = re.search(r"</h1>\s*<p>(.*?)</p>", text).group(1)
        for line in (heading, advice):
            assert re.search(r"[\u4e00-\u9fff]", line) and not english_words(line), line
    clerk = logged_in(app, "clerk")
    refused = clerk.get("/admin/users")
    assert refused.status_code == 403 and "只有管理员能用" in refused.get_data(as_text=True)
