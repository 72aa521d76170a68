"""Messages that ask nothing (a bare number, "好的", "嗯", one character) through the webhook."""

from __future__ import annotations

from typing import Any

import pytest

from db.models import UnansweredQuestion
from tests.dialog import rows, say


@pytest.mark.parametrize(("line", "before"), [
    ("5", "现在没有需要选择的编号"), ("１２", "现在没有需要选择的编号"), ("三", "现在没有需要选择的编号"),
    ("好的", "好的。还有什么可以帮您"), ("嗯", "好的。还有什么可以帮您"), ("嗯嗯", "好的。还有什么可以帮您"),
    ("OK", "好的。还有什么可以帮您"), ("嗯嗯。", "好的。还有什么可以帮您"),
    ("啊", "我没太明白"), ("？", "我没太明白"), ("👍", "我没太明白"),
])
def test_a_message_that_asks_nothing_gets_the_menu_and_is_not_kept_for_staff(
        chat: Any, line: str, before: str) -> None:
    user = f"idle-{ord(line[0])}"
    reply = say(chat, user, line)
    assert reply.startswith(before) and "1. 政策咨询" in reply and "5. 人工服务" in reply
    assert "知识库" not in reply
    assert rows(chat, UnansweredQuestion) == []
    # The menu is now the open list: a number picks from it.
    assert "请直接把您想问的政策问题发给我" in say(chat, user, "1")


def test_a_number_beyond_the_open_list_gets_its_range_and_the_list_stays(chat: Any) -> None:
    user = "idle-range"
    say(chat, user, "菜单")
    again = say(chat, user, "8")
    assert again.startswith("没有这个序号。请回复1到5之间的数字") and "菜单" in again
    assert "已通知工作人员" in say(chat, user, "5")  # the menu is still the list "5" picks from
    assert rows(chat, UnansweredQuestion) == []


def test_greetings_and_small_talk_are_not_kept_as_unanswered_questions(chat: Any) -> None:
    for n, line in enumerate(("你好", "hi～在吗", "谢谢", "嗯？", "1", "。。。")):
        say(chat, f"idle-talk-{n}", line)
    assert rows(chat, UnansweredQuestion) == []
    say(chat, "idle-talk-q", "区残联的无障碍电梯坏了找谁修")  # a real question still is
    assert [q.question for q in rows(chat, UnansweredQuestion)] == ["区残联的无障碍电梯坏了找谁修"]
