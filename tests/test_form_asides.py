"""Inside a form, what is not an answer but "你能帮我干点啥" / "你是谁" gets its answer and the
question again; a request for another service (the calculator, booking) asks before the form
is left. Through the encrypted webhook."""

from __future__ import annotations

from typing import Any

from handlers.texts import text
from tests.dialog import assert_reply_rules, say, state_of

ROLE_QUESTION = "请问您是"


def test_what_can_you_do_in_a_form_is_answered_and_the_question_comes_again(chat: Any) -> None:
    assert ROLE_QUESTION in say(chat, "aside-who", "就业登记")
    replies = chat.send("aside-who", "你能帮我干点啥")
    assert_reply_rules(replies)
    assert replies[0] == text("who_are_you")
    assert "我们接着就业登记" in replies[-1] and ROLE_QUESTION in replies[-1]
    assert state_of(chat, "aside-who") == "register:role"
    assert "请回复数字" not in replies[0]  # the menu's numbers would clash with the form's
    assert "同意" in say(chat, "aside-who", "1")  # the form goes on: the consent


def test_the_calculator_asked_for_in_a_form_asks_before_leaving(chat: Any) -> None:
    say(chat, "aside-levy", "就业登记")
    ask = say(chat, "aside-levy", "帮我算一下我们公司要交多少残保金")
    assert "还没有完成" in ask and "1. 继续填写" in ask and "2. 估算保障金" in ask
    assert ROLE_QUESTION in say(chat, "aside-levy", "1")
    assert state_of(chat, "aside-levy") == "register:role"
    say(chat, "aside-levy", "帮我算一下我们公司要交多少残保金")
    started = say(chat, "aside-levy", "2")
    assert "保障金" in started and (state_of(chat, "aside-levy") or "").startswith("levy:")


def test_booking_asked_for_in_a_form_asks_before_leaving(chat: Any) -> None:
    say(chat, "aside-book", "就业登记")
    ask = say(chat, "aside-book", "我想预约职业能力评估")
    assert "还没有完成" in ask and "2. 预约服务" in ask
    assert state_of(chat, "aside-book") == "register:role"
