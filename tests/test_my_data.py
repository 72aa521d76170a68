"""我的信息 through the real webhook: see (masked), correct, change role, withdraw and erase."""

from __future__ import annotations

from typing import Any

from db.models import AuditLog, Consent, Conversation, Handoff, Registration, User
from tests.dialog import (assert_reply_rules, certificate, find_in_database, register, rows, run,
                          say, state_of)

CERT = certificate("12010519780512345", "1", "2")
NAME, PHONE = "慕容晓岚", "13698761234"


def test_my_data_shows_masked_data_and_corrects_a_field(chat: Any) -> None:
    user = "mine-correct"
    register(chat, user, name=NAME, cert=CERT, phone=PHONE)
    shown = say(chat, user, "我的信息")
    assert f"{NAME}，证号尾号{CERT[14:18]}，手机尾号1234" in shown
    assert "1. 修改登记信息" in shown and "2. 撤回同意并删除我的全部信息" in shown
    assert PHONE not in shown and CERT not in shown and "视力" not in shown
    listing = say(chat, user, "1")  # straight to the numbered list of fields
    assert "要修改哪一项" in listing and "3. 联系电话：手机尾号1234" in listing
    assert "联系电话" in say(chat, user, "3")
    assert "联系电话：手机尾号9876" in say(chat, user, "+86 136 0000 9876")
    assert "已更新之前的登记" in say(chat, user, "确认")
    [row] = rows(chat, Registration)
    assert (row.name, row.certificate, row.phone) == (NAME, CERT, "13600009876")
    assert (row.category, row.grade) == ("视力", "二级")
    assert state_of(chat, user) is None


def test_my_data_without_a_registration_and_changing_role(chat: Any) -> None:
    user = "mine-empty"
    shown = say(chat, user, "我的資料")  # traditional characters
    assert "您还没有就业登记" in shown and "您的身份：还没有说明" in shown
    assert "请问您是" in say(chat, user, "3")
    assert "已把您的身份改为：家属" in say(chat, user, "2")
    assert rows(chat, User, user_id=user)[0].role == "family"
    assert "您还没有登记信息" in run(chat, user, ["我的信息", "1"])[1][0]


def test_my_data_in_the_middle_of_a_form_asks_before_leaving_it(chat: Any) -> None:
    user = "mine-levy"
    run(chat, user, ["算一下保障金", "1"])
    assert state_of(chat, user) == "levy:staff"
    ask = say(chat, user, "我的信息")
    assert "保障金估算还没有完成" in ask and "1. 继续填写\n2. 查看我的信息" in ask
    assert state_of(chat, user) == "levy:staff"  # nothing thrown away yet
    assert "请回复1继续填写" in say(chat, user, "200")  # not taken as the staff count
    carry_on = say(chat, user, "1")
    assert "我们接着填写" in carry_on and "在职职工有多少人" in carry_on
    assert "已安排多少名残疾人" in say(chat, user, "200")
    say(chat, user, "我的信息")
    shown = say(chat, user, "2")
    assert "您的身份" in shown and "1. 修改登记信息" in shown
    assert state_of(chat, user) is None  # so "2" picks from 我的信息, not a staff count
    assert "确定要撤回同意并删除" in say(chat, user, "2")
    assert "1. 政策咨询" in say(chat, user, "2")  # 不删了


def test_delete_my_data_goes_straight_to_the_confirmation(chat: Any) -> None:
    user = "mine-delete-now"
    register(chat, user, name=NAME, cert=CERT, phone=PHONE)
    for phrase in ("删除我的信息", "撤回同意", "删除我的资料。"):
        asked = say(chat, user, phrase)
        assert asked.startswith("确定要撤回同意并删除您的全部信息吗"), phrase
        assert "1. 确定删除" in asked and "您的身份" not in asked
    # In the middle of a registration: asked first, then the same confirmation.
    run(chat, user, ["菜单", "就业登记", "同意"])
    assert state_of(chat, user) == "register:name"
    ask = say(chat, user, "删除我的信息")
    assert "就业登记还没有完成" in ask and "2. 删除我的信息" in ask
    assert "确定要撤回同意并删除" in say(chat, user, "2")
    assert "已撤回同意" in say(chat, user, "1")
    assert rows(chat, Registration) == [] and rows(chat, Consent) == []


def test_deletion_leaves_no_personal_data_in_any_table(chat: Any, services: Any) -> None:
    user, other = "mine-erase-7f3a", "mine-keeps"
    welcome = chat.event(user, "subscribe")
    assert_reply_rules(welcome)
    assert "隐私提示" in welcome[0] and "1. 政策咨询" in welcome[0]
    assert chat.event(user, "enter_agent") == []  # welcomed a moment ago: nothing again
    register(chat, other, name="司马青云", cert=certificate("12010519700101001"),
             phone="13511112222")
    typed = ["残疾人就业有什么扶持政策", "我家楼下的健身器材坏了谁来修"]
    run(chat, user, typed)
    register(chat, user, name=NAME, cert=CERT, phone=PHONE)
    run(chat, user, ["人工", "我的信息", "1", "人工", "取消", "订阅招聘会"])
    assert rows(chat, Handoff, user_id=user) and rows(chat, Consent, user_id=user)

    assert "确定要撤回同意并删除" in run(chat, user, ["我的信息", "2"])[1][0]
    done = say(chat, user, "1")
    assert "已撤回同意，并删除了您的全部登记信息" in done

    assert find_in_database(services.engine, [user, NAME, CERT, CERT[-6:], PHONE, *typed]) == []
    audit = rows(chat, AuditLog)
    assert [a.action for a in audit] == ["erase"]
    assert audit[0].subject_hash == services.cipher.keyed_hash(user)
    assert rows(chat, User, user_id=user) == [] and rows(chat, Conversation, user_id=user) == []
    # The other person's registration is untouched, and the erased person can start afresh.
    [kept] = rows(chat, Registration)
    assert kept.user_id == other and kept.name == "司马青云"
    assert "1. 政策咨询" in say(chat, user, "你好")
    assert "您还没有就业登记" in say(chat, user, "我的信息")


def test_deletion_is_asked_twice_and_can_be_declined(chat: Any) -> None:
    user = "mine-keeps-it"
    register(chat, user, name=NAME, cert=CERT, phone=PHONE)
    assert "确定要撤回同意并删除" in run(chat, user, ["我的信息", "2"])[1][0]
    assert "1. 政策咨询" in say(chat, user, "2")
    assert len(rows(chat, Registration)) == 1 and rows(chat, AuditLog) == []
