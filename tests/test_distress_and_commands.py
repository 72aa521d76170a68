"""Universal commands in every state of every form; choices, skips, questions; distress, insults.

Each form is walked once through the real webhook, the conversation row is snapshotted in
every state, and each command is then tried in each state from its snapshot.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from db.models import Conversation, Handoff, Registration
from handlers.forms import FOOTER, RESUME
from tests.dialog import (CERT_ANSWER, FAMILY_WALK, LEVY_WALK, REGISTRATION_WALK, restore, rows,
                          run, say, snapshot, state_of, walk)

WORDS = {  # the command → ways people type it alone (simplified, traditional, full-width, …)
    "menu": ("菜单", "菜單", " 主菜单！"),
    "back": ("返回", "上一步", "返回。"),
    "cancel": ("取消", " 取消。", "退出", "取　消", "退 出"),
    "handoff": ("人工", "转人工", "轉人工", "人工服务"),
    "help": ("帮助", "幫助？"),
    "repeat": ("重复", "再说一遍", "再說一遍。"),
}
DISTRESS = "活着真没意思"


def every_state(chat: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Walk every form once; {state: (user, snapshot)} for each state, plus a resume offer."""
    states: dict[str, tuple[str, dict[str, Any]]] = {}
    for user, steps in (("cmd-reg", REGISTRATION_WALK), ("cmd-family", FAMILY_WALK),
                        ("cmd-levy", LEVY_WALK)):
        for state, saved in walk(chat, user, steps).items():
            states.setdefault(state, (user, saved))
    say(chat, "cmd-reg", "修改")  # from the summary to the numbered list of fields
    states["register:__change"] = ("cmd-reg", snapshot(chat, "cmd-reg"))
    user, saved = states["register:phone"]
    data = {**json.loads(saved["data"]), "resume": True}
    states["resume:register:phone"] = (user, {**saved, "data": json.dumps(data),
                                              "last_prompt": RESUME.format(title="就业登记")})
    return states


def conversation(chat: Any, user: str) -> tuple[str | None, dict[str, Any]]:
    """The state and the (valid JSON) data of the user's conversation."""
    [row] = rows(chat, Conversation, user_id=user)
    return row.state, json.loads(row.data)


@pytest.mark.parametrize("command", list(WORDS))
def test_universal_commands_work_in_every_state_of_every_form(chat: Any, command: str) -> None:
    states = every_state(chat)
    assert len(states) == 20
    for n, (name, (user, saved)) in enumerate(sorted(states.items())):
        word = WORDS[command][n % len(WORDS[command])]
        restore(chat, user, saved)
        handoffs, notices = len(rows(chat, Handoff)), len(chat.api_messages("staff01"))
        first = not rows(chat, Handoff, user_id=user)  # one open handoff per person
        replies = run(chat, user, [word])[0]
        state, data = conversation(chat, user)
        before = json.loads(saved["data"])
        where = f"{command} {word!r} in {name}"
        if command == "menu":
            assert state is None and data == {}, where
            assert "1. 政策咨询" in replies[-1], where
        elif command == "cancel":
            assert state is None and data == {}, where
            assert "已取消" in replies[-1], where
        elif command == "back":
            trail = before.get("trail", [])
            form = saved["state"].partition(":")[0]
            expected = f"{form}:{trail[-1]}" if trail else saved["state"]
            if name == "register:__change":  # from the list of fields: the summary again
                expected = "register:__confirm"
            assert state == expected, where
            assert FOOTER not in replies[-1], where  # said once, when the form started
            assert "请核对" in replies[-1] or "回复" in replies[-1].splitlines()[-1] \
                or "跳过" in replies[-1], where
            assert "resume" not in data, where
            if not trail:
                assert "这已经是第一步了" in replies[-1], where
        elif command == "handoff":
            assert (state, data) == (saved["state"], before), where
            assert len(rows(chat, Handoff)) == handoffs + first, where
            assert len(chat.api_messages("staff01")) == notices + first, where
            assert "已通知工作人员" in replies[0] and len(replies) == 2, where
            question = ("继续上次的" if "resume" in before else "请核对您填写的信息"
                        if saved["state"].endswith("__confirm") else "要修改哪一项"
                        if saved["state"].endswith("__change") else "回复")
            assert "已保存，可以接着回答" in replies[1] and question in replies[1], where
            assert FOOTER not in replies[1], where
        elif command == "help":
            assert (state, data) == (saved["state"], before), where
            assert "使用说明" in replies[0] and "返回：回到上一步" in replies[0], where
            assert "可以接着回答" in replies[1], where
        else:
            assert (state, data) == (saved["state"], before), where
            assert replies == [saved["last_prompt"]], where


def test_commands_inside_a_sentence_are_answers(chat: Any) -> None:
    user = "cmd-sentence"
    states = walk(chat, user, REGISTRATION_WALK[:11])
    assert "无障碍支持" in say(chat, user, "人工智能标注")
    assert state_of(chat, user) == "register:accessibility"
    restore(chat, user, states["register:skills"])
    assert "无障碍支持" in say(chat, user, "会做菜单设计")
    assert rows(chat, Handoff) == []


@pytest.mark.parametrize("answer", ["1", "１", "一", "第一个", "光复道街", "光复道", "选1"])
def test_numbered_choices_accept_digits_chinese_numerals_and_words(chat: Any,
                                                                   answer: str) -> None:
    user = "cmd-choice"
    walk(chat, user, REGISTRATION_WALK[:7])
    assert "文化程度" in say(chat, user, answer)
    assert state_of(chat, user) == "register:education"
    run(chat, user, ["3", "1", "1", "跳过", "跳过"])
    assert "所在街道：光复道街" in say(chat, user, "重复")


def test_the_summary_is_confirmed_in_words_and_numbers_pick_from_the_list_of_fields(
        chat: Any) -> None:
    user = "cmd-summary"
    states = walk(chat, user, REGISTRATION_WALK)
    summary = states["register:__confirm"]["last_prompt"]
    assert "1. " not in summary and "姓名：欧阳明远" in summary  # values, read without numbers
    assert summary.endswith("都对请回复“确认”提交；要改请回复“修改”。")
    for number in ("1", "１", "第一个", "2"):  # "1" was "yes" before: here it is asked again
        restore(chat, user, states["register:__confirm"])
        again = say(chat, user, number)
        assert "请回复“确认”提交" in again and "修改" in again, number
        assert state_of(chat, user) == "register:__confirm" and rows(chat, Registration) == []
    assert say(chat, user, "重复") == summary  # the brief re-prompt stands for the summary
    for word, asked in (("修改电话", "联系电话"), ("所在街道", "住在哪个街道")):
        restore(chat, user, states["register:__confirm"])
        assert asked in say(chat, user, word), word
    for word in ("修改", "不对"):
        restore(chat, user, states["register:__confirm"])
        listing = say(chat, user, word)
        assert "要修改哪一项？请回复数字：\n1. 姓名：欧阳明远\n2. 残疾人证" in listing, word
        assert state_of(chat, user) == "register:__change"
    for answer, asked in (("１", "请回复您的姓名"), ("第三个", "联系电话"), ("所在街道", "街道"),
                          ("10", "请回复1到9之间的序号")):
        restore(chat, user, states["register:__confirm"])
        say(chat, user, "修改")
        assert asked in say(chat, user, answer), answer
    assert "登记成功" in say(chat, user, "确认")  # in the list too: nothing more to change


@pytest.mark.parametrize("skip", ["跳过", "不知道", "没有", "无", "跳过。"])
def test_skip_words_skip_optional_steps(chat: Any, skip: str) -> None:
    user = "cmd-skip"
    walk(chat, user, REGISTRATION_WALK[:11])
    assert "无障碍支持" in say(chat, user, skip)
    assert "技能和证书：未填写" in say(chat, user, skip)


def test_skip_is_refused_on_a_required_step(chat: Any) -> None:
    user = "cmd-required"
    walk(chat, user, REGISTRATION_WALK[:3])
    assert "不能跳过" in say(chat, user, "跳过")
    assert "请告诉我您的姓名" in say(chat, user, "不知道")
    assert state_of(chat, user) == "register:name"


def test_a_question_at_a_choice_step_is_answered_and_the_step_asked_again(chat: Any) -> None:
    user = "cmd-question"
    walk(chat, user, REGISTRATION_WALK[:7])
    [replies] = run(chat, user, ["残疾人证怎么办理"])
    assert len(replies) == 2 and CERT_ANSWER in replies[0]
    assert replies[1].startswith("我们接着就业登记。") and "您住在哪个街道" in replies[1]
    assert state_of(chat, user) == "register:street"
    [unknown] = run(chat, user, ["火星上有没有残联"])
    assert len(unknown) == 1 and "请回复选项前面的序号" in unknown[0]
    assert "文化程度" in say(chat, user, "2")


@pytest.mark.parametrize("where", ["idle", "register:name", "register:__confirm", "levy:staff",
                                   "resume"])
def test_distress_gets_emergency_numbers_and_an_urgent_handoff_in_any_state(
        chat: Any, where: str) -> None:
    user = "cmd-distress"
    if where != "idle":
        states = walk(chat, user, LEVY_WALK if where.startswith("levy") else REGISTRATION_WALK)
        saved = states.get(where) or states["register:phone"]
        if where == "resume":
            data = {**json.loads(saved["data"]), "resume": True}
            saved = {**saved, "data": json.dumps(data)}
        restore(chat, user, saved)
    before = len(chat.api_messages("staff01"))
    reply = say(chat, user, DISTRESS)
    assert "110" in reply and "120" in reply and "人工" in reply
    [handoff] = rows(chat, Handoff, user_id=user)
    assert handoff.urgent and handoff.reason == "distress" and handoff.status == "open"
    notices = chat.api_messages("staff01")
    assert before == 0 and len(notices) == 1  # sent at once, through message/send
    assert "紧急" in notices[0] and user in notices[0] and DISTRESS in notices[0]
    state, data = conversation(chat, user)
    assert state is None and data == {}
    assert rows(chat, Registration) == []


def test_distress_is_caught_before_commands_and_in_longer_messages(chat: Any) -> None:
    user = "cmd-distress-2"
    for line in ("我真的不想活了", "他又打我了，我该怎么办"):
        assert "110" in say(chat, user, line)
    [handoff] = rows(chat, Handoff, user_id=user)  # one open handoff; staff hear both
    assert handoff.urgent and "他又打我了" in handoff.recent
    assert len(chat.api_messages("staff01")) == 2


@pytest.mark.parametrize("insult", ["你是傻子吧", "破机器人", "垃圾", "你真没用"])
def test_an_insult_gets_a_calm_reply_offering_a_person_and_the_menu(chat: Any,
                                                                    insult: str) -> None:
    reply = say(chat, "cmd-insult", insult)
    assert "人工" in reply and "菜单" in reply and "抱歉" in reply
    assert rows(chat, Handoff) == []


def test_an_insult_in_a_form_is_not_taken_as_an_answer(chat: Any) -> None:
    user = "cmd-insult-form"
    walk(chat, user, REGISTRATION_WALK[:11])
    for step, insult in (("register:skills", "你这个破机器人"), ("register:skills", "傻子")):
        [replies] = run(chat, user, [insult])
        assert "人工" in replies[0] and "菜单" in replies[0]
        assert "技能或证书" in replies[-1] and state_of(chat, user) == step
    run(chat, user, ["跳过"])
    assert "技能和证书：未填写" in say(chat, user, "跳过")
    walk(chat, "cmd-insult-name", REGISTRATION_WALK[:3])
    say(chat, "cmd-insult-name", "你这个破机器人")
    assert state_of(chat, "cmd-insult-name") == "register:name"
