"""Employers sign up to recruit at a job fair: the credit code checked, contact encrypted,
their own sign-up seen and withdrawn, staff's list exported (0600, audited)."""

from __future__ import annotations

import csv
import stat

from sqlalchemy import text

from bot.__main__ import main
from db.models import AuditLog, EmployerSignup
from tests.dialog import rows, say
from tests.event_helpers import fixed_clock, new_event


def test_an_employer_signs_up_with_a_bad_then_a_good_credit_code(staff_cli, capsys,  # noqa: F811
                                                                  tmp_path):
    chat = staff_cli
    fixed_clock(chat.services)
    event_id = new_event(chat.services)
    asked = say(chat, "boss1", f"报名 {event_id}")
    assert "2. 来招聘的用人单位" in asked
    assert "单位名称" in say(chat, "boss1", "2")
    assert "统一社会信用代码" in say(chat, "boss1", "天津河北福乐包装有限公司")
    assert "校验位不对" in say(chat, "boss1", "911200007178897770")  # one character wrong
    assert "联系人" in say(chat, "boss1", "91350100M000100Y43")
    say(chat, "boss1", "李建华")
    say(chat, "boss1", "13912345678")
    assert "无障碍" in say(chat, "boss1", "包装工3人，客服2人")
    summary = say(chat, "boss1", "有无障碍卫生间，可弹性工时")
    assert "91350100M000100Y43" in summary and "13912345678" not in summary  # masked
    done = say(chat, "boss1", "确认")
    assert "招聘报名成功" in done

    [signup] = rows(chat, EmployerSignup)
    assert (signup.company, signup.credit_code, signup.contact, signup.phone) == \
        ("天津河北福乐包装有限公司", "91350100M000100Y43", "李建华", "13912345678")
    with chat.services.engine.connect() as connection:  # encrypted at rest
        raw = connection.execute(text("SELECT contact, phone FROM employer_signups")).one()
    assert "李建华" not in raw[0] and "13912345678" not in raw[1]

    assert "招聘报名：残疾人专场招聘会" in say(chat, "boss1", "我的活动")
    out = tmp_path / "signups.csv"
    capsys.readouterr()
    assert main(["events", "signups", str(event_id), "--out", str(out)]) == 0
    assert "0 residents, 1 employers" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig", newline="") as file:
        [row] = list(csv.DictReader(file))
    assert (row["报名类型"], row["联系人"], row["联系电话"]) == ("用人单位", "李建华", "13912345678")
    assert [a.detail for a in rows(chat, AuditLog)] == [f"event {event_id} signups 1"]

    assert "已撤回" in say(chat, "boss1", f"取消报名 {event_id}")
    assert rows(chat, EmployerSignup)[0].status == "withdrawn"


def test_an_employer_by_role_goes_straight_to_the_form_and_a_training_takes_residents(chat):
    fixed_clock(chat.services)
    fair = new_event(chat.services)
    training = new_event(chat.services, kind="培训", title="电商客服培训", employers_allowed=False)
    say(chat, "boss2", "我想登记找工作")
    say(chat, "boss2", "3")  # 用人单位: registration records the role and says what fits
    assert "单位名称" in say(chat, "boss2", f"报名 {fair}")
    say(chat, "boss2", "取消")
    assert "报名成功" in say(chat, "boss2", f"报名 {training}")
