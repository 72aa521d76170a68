"""The console's bookings pages: the catalogue, slots (one or weekly), the roster with needs
(audited), attendance, cancellation that tells everyone booked, the bookings exports and the
report's booking figures. The same db/ functions as the `slots` commands and the chat."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from db.models import AuditLog, Booking, Service, Slot
from tests.booking_kit import catalogue, clock, slot  # noqa: F401 (fixtures)
from tests.console import add_accounts, https_client, logged_in, token
from tests.dialog import assert_reply_rules, run

BOOK_WITH_NEEDS = ["我想约个职业能力评估", "1", "1 4", "需要低一点的桌子"]


@pytest.fixture
def console(app: Any, services: Any, catalogue: dict) -> Any:
    """The app with accounts and the seeded catalogue, the clock on Monday 2026-12-07 10:00."""
    add_accounts(services)
    return app


def test_new_pages_and_posts_refuse_anonymous_and_tokenless_requests(console: Any) -> None:
    anonymous = https_client(console)
    for page in ("/admin/bookings/", "/admin/bookings/services/new", "/admin/bookings/slots/1",
                 "/admin/events/", "/admin/events/new", "/admin/events/1",
                 "/admin/events/1/signups"):
        response = anonymous.get(page)
        assert response.status_code == 302 and "/admin/login" in response.location, page
    client = logged_in(console, "clerk")
    for path in ("/admin/bookings/services/new", "/admin/bookings/services/1",
                 "/admin/bookings/services/1/retire", "/admin/bookings/slots",
                 "/admin/bookings/slots/1/attendance", "/admin/bookings/slots/1/cancel",
                 "/admin/events/new", "/admin/events/1", "/admin/events/1/publish",
                 "/admin/events/1/cancel", "/admin/events/1/attendance",
                 "/admin/events/notices/1/retry",
                 "/admin/exports/bookings.csv", "/admin/exports/signups.xlsx"):
        assert client.post(path, data={"name": "x", "reason": "x"}).status_code == 400, path
        assert anonymous.post(path, data={"csrf_token": token(client, "/admin/")}) \
            .status_code in (302, 400), path


def test_the_catalogue_is_kept_in_the_console(console: Any, chat: Any) -> None:
    client = logged_in(console, "clerk")
    form = token(client, "/admin/bookings/services/new")
    added = client.post("/admin/bookings/services/new", data={
        "code": "job-club", "name": "求职俱乐部", "modes": "在窗口、视频", "place": "区残联三楼",
        "csrf_token": form})
    assert added.status_code == 302
    [new] = [s for s in chat_rows(chat, Service) if s.code == "job-club"]
    assert (new.name, new.modes, new.retired_at) == ("求职俱乐部", "在窗口、视频", None)
    again = client.post("/admin/bookings/services/new", data={
        "code": "job-club", "name": "重复", "csrf_token": form}).get_data(as_text=True)
    assert "没有保存" in again and "编号“job-club”已被别的服务使用，请换一个" in again
    bad = client.post(f"/admin/bookings/services/{new.id}", data={
        "name": "求职俱乐部", "modes": "飞鸽", "csrf_token": form}).get_data(as_text=True)
    assert "没有保存" in bad and "办理方式“飞鸽”不认识" in bad
    assert client.post(f"/admin/bookings/services/{new.id}", data={
        "name": "求职俱乐部（每周）", "modes": "在窗口", "csrf_token": form}).status_code == 302
    assert client.post(f"/admin/bookings/services/{new.id}/retire",
                       data={"csrf_token": form}).status_code == 302
    [kept] = [s for s in chat_rows(chat, Service) if s.code == "job-club"]
    assert kept.name == "求职俱乐部（每周）" and kept.retired_at is not None
    page = client.get("/admin/bookings/").get_data(as_text=True)
    assert "求职俱乐部（每周）" in page and "已停用" in page


def chat_rows(chat: Any, model: Any) -> list[Any]:
    with chat.services.sessions.begin() as session:
        found = session.query(model).all()
        session.expunge_all()
        return found


def test_weekly_slots_a_chat_booking_in_the_roster_attendance_and_the_report(
        console: Any, chat: Any, catalogue: dict) -> None:
    client = logged_in(console, "clerk")
    form = token(client, "/admin/bookings/")
    added = client.post("/admin/bookings/slots", data={
        "service": catalogue["assessment"], "start": "2026-12-08T09:00", "minutes": "60",
        "capacity": "3", "place": "河北区残联服务大厅（一楼）", "weekly": ["TUE", "THU"],
        "until": "2026-12-17", "csrf_token": form}, follow_redirects=True)
    assert "已添加 4 个时段" in added.get_data(as_text=True)
    past = client.post("/admin/bookings/slots", data={
        "service": catalogue["assessment"], "start": "2026-12-01T09:00", "minutes": "60",
        "capacity": "3", "place": "大厅", "csrf_token": form}, follow_redirects=True)
    assert "没有添加" in past.get_data(as_text=True)
    assert "开始时间已经过去，请填写以后的时间" in past.get_data(as_text=True)
    first = min(s.id for s in chat_rows(chat, Slot))
    assert len(chat_rows(chat, Slot)) == 4

    done = run(chat, "bk-console", BOOK_WITH_NEEDS)[-1]
    assert_reply_rules(done)
    assert "预约成功" in done[0]
    [booking] = chat_rows(chat, Booking)
    roster = client.get(f"/admin/bookings/slots/{first}").get_data(as_text=True)
    assert booking.ref in roster and "手语翻译、需要低一点的桌子" in roster
    assert ("view_roster", "clerk") in [(r.action, r.actor) for r in chat_rows(chat, AuditLog)]

    marked = client.post(f"/admin/bookings/slots/{first}/attendance", data={
        "ref": booking.ref, "attended": "1", "csrf_token": form}, follow_redirects=True)
    assert f"预约 {booking.ref} 已标记为已到场" in marked.get_data(as_text=True)
    assert chat_rows(chat, Booking)[0].status == "attended"
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "本周预约" in dashboard and "1 人次" in dashboard and "已到场 1" in dashboard

    report = client.post("/admin/exports/report.docx", data={"year": "2026", "csrf_token": form})
    document = Document(io.BytesIO(report.data))
    figures = {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}
    assert figures["本年度服务预约（人次）"] == "1" and figures["其中已到场（人次）"] == "1"
    steps = {r.cells[0].text: r.cells[1].text for r in document.tables[1].rows}
    assert steps["职业能力评估"] == "1 / 1" and steps["基础信息核对"] == "0 / 0"
    assert "（预约与活动模块上线后统计）" not in "".join(figures.values())

    sheet = load_workbook(io.BytesIO(client.post("/admin/exports/bookings.xlsx", data={
        "csrf_token": form}).data)).active
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0][:2] == ["预约编号", "服务"] and table[1][0] == booking.ref
    assert table[1][6] == "手语翻译、需要低一点的桌子" and table[1][7] == "已到场"
    text = client.post("/admin/exports/bookings.csv", data={"csrf_token": form}).data
    assert booking.ref in text.decode("utf-8-sig")
    actions = [r.action for r in chat_rows(chat, AuditLog)]
    assert "export_bookings_xlsx" in actions and "export_bookings_csv" in actions


def test_cancelling_a_slot_in_the_console_tells_everyone_booked(console: Any, chat: Any,
                                                                catalogue: dict) -> None:
    when = slot(chat.services, catalogue["assessment"], "2026-12-10 09:00")
    slot(chat.services, catalogue["assessment"], "2026-12-12 09:00")
    run(chat, "bk-told", ["我想约个职业能力评估", "1", "确认"])
    chat.api_messages("bk-told")
    client = logged_in(console, "clerk")
    form = token(client, f"/admin/bookings/slots/{when}")
    empty = client.post(f"/admin/bookings/slots/{when}/cancel",
                        data={"reason": " ", "csrf_token": form}, follow_redirects=True)
    assert "没有取消" in empty.get_data(as_text=True)
    done = client.post(f"/admin/bookings/slots/{when}/cancel",
                       data={"reason": "评估老师临时外出培训", "csrf_token": form},
                       follow_redirects=True).get_data(as_text=True)
    assert "已通知 1 位预约的人" in done and "已取消，原因：评估老师临时外出培训" in done
    [told] = chat.api_messages("bk-told")
    assert "原因：评估老师临时外出培训" in told and "12月12日" in told
    assert_reply_rules([told])
    assert chat_rows(chat, Booking)[0].status == "cancelled"
