"""Tests for handlers.commands: universal commands, only when sent alone."""

import pytest

from handlers.commands import WORDS, Command, normalize_command_text, parse_command

EXPECTED_WORDS = {
    Command.MENU: ["菜单", "主菜单", "目录"],
    Command.BACK: ["返回", "上一步", "后退"],
    Command.CANCEL: ["取消", "退出", "不办了", "算了"],
    Command.HANDOFF: ["人工", "转人工", "人工服务", "找人工", "真人", "客服", "人工客服",
                      "找真人客服", "转人工服务"],
    Command.HELP: ["帮助", "怎么用", "使用说明"],
    Command.REPEAT: ["重复", "再说一遍", "再说一次", "没听清"],
    Command.SKIP: ["跳过", "不知道", "不清楚", "没有", "无"],
}
ALL = [(word, command) for command, words in EXPECTED_WORDS.items() for word in words]


@pytest.mark.parametrize(("word", "command"), ALL)
def test_every_command_word_is_recognised(word, command):
    assert parse_command(word) == command


def test_the_table_is_exactly_the_agreed_words():
    assert {c: list(w) for c, w in WORDS.items()} == EXPECTED_WORDS


@pytest.mark.parametrize(("text", "command"), [
    ("菜单。", Command.MENU), ("  菜单  ", Command.MENU), ("菜單", Command.MENU),
    ("返回！", Command.BACK), ("取消~", Command.CANCEL), ("取消～", Command.CANCEL),
    ("人工？", Command.HANDOFF), ("轉人工", Command.HANDOFF), ("人 工", Command.HANDOFF),
    ("幫助", Command.HELP), ("再說一遍…", Command.REPEAT), ("沒聽清", Command.REPEAT),
    ("跳過", Command.SKIP), ("“取消”", Command.CANCEL), ("【菜单】", Command.MENU),
    ("退出!!!", Command.CANCEL), ("算了吧。", None),
])
def test_spaces_punctuation_and_traditional_characters_are_ignored(text, command):
    assert parse_command(text) == command


@pytest.mark.parametrize("text", ["我要取消", "取消预约", "菜单在哪", "人工客服电话是多少",
                                  "我不知道证号", "没有残疾人证", "", "   ", "1", "无障碍"])
def test_a_command_inside_a_longer_message_is_not_a_command(text):
    assert parse_command(text) is None


def test_command_values_are_stable_strings():
    assert [str(c) for c in Command] == ["menu", "back", "cancel", "handoff", "help", "repeat",
                                         "skip"]


def test_normalize_command_text():
    assert normalize_command_text(" 轉　人工！？ ") == "转人工"
