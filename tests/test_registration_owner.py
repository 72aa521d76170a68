"""A registration only its owner can change: another user typing the same certificate number
is told it is registered (nothing more) and offered 人工; 我的信息 corrections keep one row."""

from __future__ import annotations

import threading
from typing import Any

from db.models import Registration
from tests.dialog import REGISTRATION_WALK, certificate, register, rows, say, state_of, walk

CERT = certificate("12010519850615432", "2", "3")
OTHER = certificate("12010519880920111", "4", "2")


def to_summary(chat: Any, user: str, cert: str, name: str, phone: str) -> None:
    """Walk `user` to the registration summary with these answers."""
    steps = [(line, state) for line, state in REGISTRATION_WALK]
    steps[3] = (name, "register:certificate")
    steps[4] = (cert, "register:certificate_ok")
    steps[6] = (phone, "register:street")
    walk(chat, user, steps)


def test_another_user_cannot_take_over_change_or_delete_a_registration(chat: Any) -> None:
    owner, intruder = "own-owner", "own-intruder"
    assert "登记成功" in register(chat, owner, name="上官明月", cert=CERT, phone="13811110001")
    [before] = rows(chat, Registration)

    to_summary(chat, intruder, CERT, "冒名顶替", "13922220002")
    refused = say(chat, intruder, "确认")
    assert "已经登记过" in refused and "人工" in refused
    assert before.ref not in refused and "上官" not in refused and "0001" not in refused
    assert "已更新" not in refused and "登记成功" not in refused

    [after] = rows(chat, Registration)
    assert (after.id, after.user_id, after.name, after.phone) == (
        before.id, owner, "上官明月", "13811110001")
    assert "上官明月" in say(chat, owner, "我的信息")
    say(chat, intruder, "取消")  # leaves the refused form (else 我的信息 asks before leaving it)
    mine = say(chat, intruder, "我的信息")
    assert "您还没有就业登记" in mine and "上官" not in mine
    say(chat, intruder, "2")
    say(chat, intruder, "1")  # 确定删除: only the intruder's own data goes
    assert [r.id for r in rows(chat, Registration)] == [before.id]


def test_the_intruder_can_correct_a_mistyped_number_and_register_their_own(chat: Any) -> None:
    owner, other = "own-first", "own-typo"
    register(chat, owner, cert=CERT, phone="13811110003")
    to_summary(chat, other, CERT, "令狐晓东", "13922220004")
    say(chat, other, "确认")
    assert state_of(chat, other) == "register:certificate"  # asked for the number again
    assert "对吗" in say(chat, other, OTHER)
    assert "请核对" in say(chat, other, "对")
    assert "登记成功" in say(chat, other, "确认")
    assert sorted(r.user_id for r in rows(chat, Registration)) == [owner, other]


def test_correcting_the_number_in_my_data_updates_the_same_registration(chat: Any) -> None:
    user = "own-fix"
    register(chat, user, cert=CERT, phone="13811110005")
    [before] = rows(chat, Registration)
    say(chat, user, "我的信息")
    say(chat, user, "1")  # 修改登记信息: the summary
    say(chat, user, "2")  # 残疾人证
    say(chat, user, OTHER)
    say(chat, user, "对")
    assert "已更新之前的登记" in say(chat, user, "确认")
    [after] = rows(chat, Registration)
    assert (after.id, after.ref, after.certificate) == (before.id, before.ref, OTHER)


def test_a_correction_cannot_move_onto_a_number_someone_else_registered(chat: Any) -> None:
    owner, user = "own-taken", "own-mover"
    register(chat, owner, cert=OTHER, phone="13811110006")
    register(chat, user, cert=CERT, phone="13811110007")
    say(chat, user, "我的信息")
    say(chat, user, "1")
    say(chat, user, "2")
    say(chat, user, OTHER)
    say(chat, user, "对")
    refused = say(chat, user, "确认")
    assert "已经登记过" in refused and "人工" in refused
    got = {r.user_id: r.certificate for r in rows(chat, Registration)}
    assert got == {owner: OTHER, user: CERT}


def test_two_users_racing_for_one_number_one_registers_the_other_is_told(chat: Any) -> None:
    users = ["own-race-a", "own-race-b"]
    for n, user in enumerate(users):
        to_summary(chat, user, CERT, "公孙" + "甲乙"[n], f"1391111000{n}")
    queries = {user: chat.peer.text(user, "确认") for user in users}
    barrier, replies = threading.Barrier(2), {}

    def confirm(user: str) -> None:
        client = chat.app.test_client()
        barrier.wait()
        query, body = queries[user]
        replies[user] = client.post(f"/wecom/callback?{query}", data=body)

    threads = [threading.Thread(target=confirm, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    chat.services.pipeline.wait_idle()
    texts = {u: "\n".join(chat.replies(u, replies[u])) for u in users}
    [row] = rows(chat, Registration)
    winner = row.user_id
    loser = next(u for u in users if u != winner)
    assert "登记成功" in texts[winner]
    assert "已经登记过" in texts[loser] and "人工" in texts[loser]
