"""Event attendance: staff mark per sign-up who came, in the console and by command (one db
function), the marks can be corrected, wrong marks are refused in Chinese, and the yearly
report, the dashboard and the sign-ups export count the marks, not the sign-ups."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from docx import Document

from bot.__main__ import main
from db.models import EmployerSignup, EventSignup
from tests.console import add_accounts, logged_in, token
from tests.dialog import rows
from tests.event_helpers import fixed_clock, new_event

FIRM = {"company": "津门超市", "credit_code": "91120105MA05L8XX1X", "contact": "王经理",
        "phone": "13900001111", "positions": "收银员 2 名"}


def sign_up(services: Any, event_id: int, residents: list[str], firms: int = 1) -> None:
    """Residents and employers signed up (as the chat's 报名 does)."""
    with services.sessions.begin() as session:
        for user in residents:
            session.add(EventSignup(event_id=event_id, user_id=user, created_at=services.clock()))
        for n in range(firms):
            session.add(EmployerSignup(event_id=event_id, user_id=f"firm-{n}",
                                       created_at=services.clock(), **FIRM))


def report_figures(client: Any, year: str = "2027") -> dict[str, str]:
    """The yearly report's first table as {what: value}."""
    response = client.post("/admin/exports/report.docx", data={
        "year": year, "csrf_token": token(client, "/admin/exports/")})
    return {r.cells[0].text: r.cells[1].text
            for r in Document(io.BytesIO(response.data)).tables[0].rows}


def post_mark(client: Any, event_id: int, ref: str, attended: bool) -> str:
    """Press 已到场 / 未到场 on the sign-ups page; the page after the redirect."""
    return client.post(f"/admin/events/{event_id}/attendance", data={
        "ref": ref, "attended": "1" if attended else "0",
        "csrf_token": token(client, "/admin/")}, follow_redirects=True).get_data(as_text=True)


@pytest.fixture
def fair(app: Any, services: Any) -> int:
    """A published job fair on 2027-03-05 with residents ev-a, ev-b, ev-c and one employer."""
    add_accounts(services)
    fixed_clock(services)
    event_id = new_event(services)
    sign_up(services, event_id, ["ev-a", "ev-b", "ev-c"])
    return event_id


def test_staff_mark_who_came_and_the_report_counts_the_marks(app: Any, chat: Any,
                                                             fair: int) -> None:
    client = logged_in(app, "clerk")
    before = report_figures(client)
    assert before["活动报名的居民（人次）"] == "3"
    assert before["其中到场的居民（人次）"] == "0"
    assert before["其中尚未登记到场情况（人次）"] == "3"
    page = client.get(f"/admin/events/{fair}/signups").get_data(as_text=True)
    [a, b, c] = sorted(rows(chat, EventSignup), key=lambda r: r.id)
    [firm] = rows(chat, EmployerSignup)
    assert f"R{a.id} 已到场" in page and f"E{firm.id} 未到场" in page and "未标记" in page

    done = post_mark(client, fair, f"R{a.id}", True)
    assert f"报名 R{a.id}（居民）已标记为已到场" in done
    post_mark(client, fair, f"r{b.id}", True)  # lower case is the same number
    post_mark(client, fair, f"R{b.id}", False)  # corrected: did not come after all
    post_mark(client, fair, f"E{firm.id}", True)
    marked = {r.user_id: (r.attended, r.attendance_by) for r in rows(chat, EventSignup)}
    assert marked == {"ev-a": (True, "clerk"), "ev-b": (False, "clerk"), "ev-c": (None, None)}
    assert rows(chat, EmployerSignup)[0].attended is True

    after = report_figures(client)
    assert (after["活动报名的居民（人次）"], after["其中到场的居民（人次）"],
            after["其中未到场的居民（人次）"], after["其中尚未登记到场情况（人次）"]) == \
        ("3", "1", "1", "1")
    assert (after["报名参加招聘的用人单位（家）"], after["其中到场招聘的用人单位（家）"]) == ("1", "1")
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "今年活动到场：居民 1 人次（报名 3），用人单位 1 家" in dashboard
    exported = client.post("/admin/exports/signups.csv", data={
        "csrf_token": token(client, "/admin/exports/")}).data.decode("utf-8-sig")
    states = {row["报名编号"]: row["到场情况"] for row in csv.DictReader(io.StringIO(exported))}
    assert states == {f"R{a.id}": "已到场", f"R{b.id}": "未到场", f"R{c.id}": "未标记",
                      f"E{firm.id}": "已到场"}


def test_marks_that_cannot_be_made_are_refused_in_chinese(app: Any, chat: Any,
                                                          fair: int) -> None:
    client = logged_in(app, "clerk")
    other = new_event(chat.services, title="另一场招聘会")
    sign_up(chat.services, other, ["ev-other"], firms=0)
    [theirs] = [r for r in rows(chat, EventSignup) if r.user_id == "ev-other"]
    [gone] = [r for r in rows(chat, EventSignup) if r.user_id == "ev-c"]
    with chat.services.sessions.begin() as session:
        session.get(EventSignup, gone.id).status = "cancelled"
    refusals = {"12": "格式不对", f"R{theirs.id}": "不是活动", f"R{gone.id}": "已取消",
                "E999": "不是活动"}
    for ref, why in refusals.items():
        page = post_mark(client, fair, ref, True)
        assert "没有标记：" in page and why in page, ref
    draft = new_event(chat.services, publish=False, title="草稿活动")
    assert "还是草稿，不能登记到场" in post_mark(client, draft, "R1", True)
    assert client.post("/admin/events/999/attendance", data={
        "ref": "R1", "csrf_token": token(client, "/admin/")}).status_code == 404
    assert all(r.attended is None for r in rows(chat, EventSignup))


def test_the_command_marks_through_the_same_function(staff_cli: Any, capsys: Any,
                                                     fair: int) -> None:
    chat = staff_cli
    [a, b, _] = sorted(rows(chat, EventSignup), key=lambda r: r.id)
    [firm] = rows(chat, EmployerSignup)
    capsys.readouterr()
    assert main(["events", "attendance", str(fair), "--attended", f"R{a.id},E{firm.id}",
                 "--no-show", f"R{b.id}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3"
    assert f"R{a.id} 居民 已到场" in out and f"E{firm.id} 用人单位 已到场" in out
    assert f"R{b.id} 居民 未到场" in out
    marked = {r.user_id: r.attended for r in rows(chat, EventSignup)}
    assert marked == {"ev-a": True, "ev-b": False, "ev-c": None}
    assert all(r.attendance_by for r in rows(chat, EventSignup) if r.attended is not None)

    # a bad number: one Chinese line, exit 1, and nothing of the command is written
    assert main(["events", "attendance", str(fair), "--no-show", f"R{a.id},X1"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "格式不对" in err
    assert {r.user_id: r.attended for r in rows(chat, EventSignup)} == marked
