"""The console's events pages: create, publish (the notice reaches subscribers), change and
cancel (everyone told), sign-ups decrypted and audited, each notice's delivery with a retry
of the failed ones, the dashboard card, the sign-ups exports and the report's figures."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document

from db.models import AuditLog, EmployerSignup, Event, EventSignup, OutboundMessage
from tests.console import add_accounts, logged_in, token
from tests.dialog import assert_reply_rules, rows
from tests.event_helpers import add_subscribers, fixed_clock

FAIR = {"kind": "招聘会", "title": "河北区残疾人专场招聘会", "start_at": "2027-03-05T09:00",
        "end_at": "2027-03-05T12:00", "place": "河北区残联一楼大厅",
        "accessibility": "有无障碍坡道和电梯，提供手语翻译", "capacity": "50",
        "employers_allowed": "y"}


@pytest.fixture
def console(app: Any, services: Any) -> Any:
    """The app with accounts, a clock on 2027-03-01 10:00 and two job-fair subscribers."""
    add_accounts(services)
    fixed_clock(services)
    add_subscribers(services, "招聘会", ["ev-sub-1", "ev-sub-2"])
    return app


def create(client: Any, **changes: str) -> Any:
    """Post the new-event form; the response after redirects."""
    return client.post("/admin/events/new", data={**FAIR, **changes,
                                                   "csrf_token": token(client, "/admin/")},
                       follow_redirects=True)


def test_create_publish_change_cancel_reach_the_people(console: Any, chat: Any) -> None:
    client = logged_in(console, "clerk")
    refused = create(client, place="", online_url="").get_data(as_text=True)
    assert "没有保存" in refused and not rows(chat, Event)
    draft = create(client).get_data(as_text=True)
    assert "活动已保存为草稿" in draft and "还没有发出通知" in draft
    [event] = rows(chat, Event)
    assert event.status == "draft" and event.start_at.hour == 1  # 09:00 Shanghai in UTC
    form = token(client, f"/admin/events/{event.id}")
    published = client.post(f"/admin/events/{event.id}/publish", data={"csrf_token": form},
                            follow_redirects=True).get_data(as_text=True)
    assert "通知已排队发给 2 位订阅的人" in published
    for user in ("ev-sub-1", "ev-sub-2"):
        [notice] = chat.api_messages(user)
        assert "河北区残疾人专场招聘会" in notice and "报名" in notice
    assert "发布通知" in published and "<td>2</td><td>0</td><td>0</td>" in published
    assert "将要举办的活动" in client.get("/admin/").get_data(as_text=True)

    changed = client.post(f"/admin/events/{event.id}", data={
        **FAIR, "place": "河北区残疾人就业服务中心二楼", "csrf_token": form},
        follow_redirects=True).get_data(as_text=True)
    assert "变更通知已发给 2 人" in changed
    assert "河北区残疾人就业服务中心二楼" in chat.api_messages("ev-sub-1")[0]
    cancelled = client.post(f"/admin/events/{event.id}/cancel", data={
        "reason": "场地维修", "urgent": "y", "csrf_token": form},
        follow_redirects=True).get_data(as_text=True)
    assert "活动已取消" in cancelled and "原因：场地维修" in cancelled
    changed_notice, told = chat.api_messages("ev-sub-2")
    assert "活动变更通知" in changed_notice
    assert "原因：场地维修" in told
    assert_reply_rules([told])
    assert "取消活动" not in cancelled.split("通知发送情况")[1]  # no more edits


def test_signups_are_shown_decrypted_and_the_view_is_audited(console: Any, chat: Any) -> None:
    client = logged_in(console, "boss")
    create(client)
    [event] = rows(chat, Event)
    with chat.services.sessions.begin() as session:
        now = chat.services.clock()
        session.add(EventSignup(event_id=event.id, user_id="ev-resident", created_at=now))
        session.add(EmployerSignup(event_id=event.id, user_id="ev-firm", company="津门超市",
                                   credit_code="91120105MA05L8XX1X", contact="王经理",
                                   phone="13900001111", positions="收银员 2 名",
                                   created_at=now))
    page = client.get(f"/admin/events/{event.id}/signups").get_data(as_text=True)
    assert "ev-resident" in page and "津门超市" in page and "王经理" in page
    assert "13900001111" in page
    assert ("view_signups", "boss") in [(r.action, r.actor) for r in rows(chat, AuditLog)]
    form = token(client, "/admin/exports/")
    exported = client.post("/admin/exports/signups.csv", data={"csrf_token": form})
    text = exported.data.decode("utf-8-sig")
    assert "活动编号,活动,活动时间,报名类型" in text and "王经理" in text
    assert client.post("/admin/exports/signups.xlsx", data={"csrf_token": form}).status_code == 200
    assert client.post("/admin/exports/nothing.csv", data={"csrf_token": form}).status_code == 404
    actions = [r.action for r in rows(chat, AuditLog)]
    assert "export_signups_csv" in actions and "export_signups_xlsx" in actions
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "查看活动报名" in audit_page and "导出活动报名（CSV）" in audit_page
    client.post(f"/admin/events/{event.id}/publish", data={"csrf_token": form})
    report = client.post("/admin/exports/report.docx", data={"year": "2027", "csrf_token": form})
    figures = {r.cells[0].text: r.cells[1].text
               for r in Document(io.BytesIO(report.data)).tables[0].rows}
    assert figures["本年度举办招聘会等活动（场）"] == "1"
    assert figures["活动报名的居民（人次）"] == "1"
    assert figures["报名参加招聘的用人单位（家）"] == "1"


def test_failed_notices_are_counted_and_retried(console: Any, chat: Any) -> None:
    client = logged_in(console, "clerk")
    create(client)
    [event] = rows(chat, Event)
    form = token(client, f"/admin/events/{event.id}")
    chat.state.fail_next(60020)  # not a retryable error: both recipients fail at once
    page = client.post(f"/admin/events/{event.id}/publish", data={"csrf_token": form},
                       follow_redirects=True).get_data(as_text=True)
    assert "<td>0</td><td>2</td><td>0</td>" in page
    assert "重试这条通知发送失败的 2 人" in page
    assert not chat.api_messages("ev-sub-1")
    [notice_id] = {r.notice_id for r in rows(chat, OutboundMessage) if r.notice_id}
    retried = client.post(f"/admin/events/notices/{notice_id}/retry",
                          data={"csrf_token": form}, follow_redirects=True)
    text = retried.get_data(as_text=True)
    assert "已重新发送 2 条" in text and "<td>2</td><td>0</td><td>0</td>" in text
    assert chat.api_messages("ev-sub-1") and chat.api_messages("ev-sub-2")
    again = client.post(f"/admin/events/notices/{notice_id}/retry", data={"csrf_token": form},
                        follow_redirects=True)
    assert "没有可以重试的失败通知" in again.get_data(as_text=True)
