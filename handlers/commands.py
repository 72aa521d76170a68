"""Universal commands (菜单、返回、取消、人工…), recognised only when sent on their own."""

from __future__ import annotations

from enum import StrEnum

from handlers.choices import normalize_text


class Command(StrEnum):
    """A word that works in every state; the caller decides what it does there."""

    MENU = "menu"
    BACK = "back"
    CANCEL = "cancel"
    HANDOFF = "handoff"
    HELP = "help"
    REPEAT = "repeat"
    SKIP = "skip"  # only meaningful on optional steps; the caller decides


WORDS: dict[Command, tuple[str, ...]] = {
    Command.MENU: ("菜单", "主菜单", "目录"),
    Command.BACK: ("返回", "上一步", "后退"),
    Command.CANCEL: ("取消", "退出", "不办了", "算了"),
    Command.HANDOFF: ("人工", "转人工", "人工服务", "找人工", "真人", "客服", "人工客服",
                      "找真人客服", "转人工服务"),
    Command.HELP: ("帮助", "怎么用", "使用说明"),
    Command.REPEAT: ("重复", "再说一遍", "再说一次", "没听清"),
    Command.SKIP: ("跳过", "不知道", "不清楚", "没有", "无"),
}
_LOOKUP = {word: command for command, words in WORDS.items() for word in words}


def normalize_command_text(text: str) -> str:
    """Simplified, half-width, lower case, without spaces, punctuation or symbols."""
    return normalize_text(text)


def parse_command(text: str) -> Command | None:
    """The command when the message is that word alone (give or take punctuation), else None."""
    return _LOOKUP.get(normalize_command_text(text))
