"""Understand answers to numbered questions: "2", "第二个", "家属", "1、3", "同意"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from handlers.validators import InvalidAnswer, parse_chinese_number

HINT_CHOICE = "请回复选项前面的序号，例如：1"
_SEPARATORS = re.compile(r"[\s,，、;；/|+&]+|以及|还有|和|与|及|跟")
_NUMBER = re.compile(r"(?:选择|选|第)?第?(.+?)(?:个|项|号|条|种|类)?")
_FILLER = re.compile(r"^(?:我是|我要|我想要|我想|我选|选择|选|是|要)")
_ALL = frozenset({"全部", "全选", "都要", "都选", "都可以", "都行", "所有"})
_YES = frozenset({"同意", "是", "好", "可以", "对", "确认", "行", "嗯", "1", "ok", "yes", "y",
                  "愿意", "确定", "没问题", "要"})
_NO = frozenset({"不同意", "不", "否", "不是", "不要", "拒绝", "2", "不行", "不好", "不可以",
                 "不用", "不对", "不愿意", "no", "n", "算了"})


class NotAChoice(InvalidAnswer):
    """The message matches none of the options; `.hint` asks for a number."""

    def __init__(self, hint: str = HINT_CHOICE) -> None:
        super().__init__(hint)


@cache
def _t2s() -> Any:
    from opencc import OpenCC  # loaded once, on first use

    return OpenCC("t2s")


@lru_cache(maxsize=4096)  # every route predicate folds the same message: convert it once
def fold(text: str) -> str:
    """Full-width → half-width, traditional → simplified, lower case (punctuation kept)."""
    return _t2s().convert(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=4096)
def normalize_text(text: str) -> str:
    """`fold` the text, then drop spaces, punctuation and symbols."""
    return "".join(c for c in fold(text) if unicodedata.category(c)[0] not in "PSZC")


def numbered(options: Sequence[str]) -> str:
    """Options as numbered lines: "1. 选项一\\n2. 选项二"."""
    return "\n".join(f"{i}. {option}" for i, option in enumerate(options, start=1))


def _number(word: str) -> int | None:
    """The number in "1", "一", "壹", "第一个", "第1项", "选1", "1号", else None."""
    match = _NUMBER.fullmatch(word)
    if not match:
        return None
    core = match.group(1)
    if core.isascii() and core.isdigit():
        return int(core) if len(core) <= 4 else None
    return parse_chinese_number(core)


def parse_choice(text: str, options: Sequence[str]) -> int:
    """The 0-based index of the option the message picks; NotAChoice when none or unclear."""
    word = normalize_text(text)
    if not word:
        raise NotAChoice()
    number = _number(word)
    if number is not None:
        if 1 <= number <= len(options):
            return number - 1
        raise NotAChoice(f"请回复1到{len(options)}之间的序号。")
    names = [normalize_text(option) for option in options]
    for candidate in dict.fromkeys((word, _FILLER.sub("", word))):
        if candidate in names:
            return names.index(candidate)
        found = {i for i, name in enumerate(names)
                 if name and (name in candidate or (len(candidate) >= 2 and candidate in name))}
        if len(found) == 1 and not any(_shares_two(name, candidate) for i, name
                                       in enumerate(names) if i not in found):
            return found.pop()
    raise NotAChoice()


def _shares_two(name: str, text: str) -> bool:
    """Whether two adjacent characters of an option appear in the text ("家属" of 家属代办)."""
    return any(name[k:k + 2] in text for k in range(len(name) - 1))


def parse_choices(text: str, options: Sequence[str]) -> list[int]:
    """Several options at once ("1 3", "1、3", "13", "一和三", words), ascending, no repeats."""
    word = normalize_text(text)
    if word in _ALL:
        return list(range(len(options)))
    if len(word) > 1 and word.isascii() and word.isdigit() and len(options) < 10:
        picked = [int(d) - 1 for d in word]
        if all(0 <= i < len(options) for i in picked):
            return sorted(set(picked))
    parts = [part for part in _SEPARATORS.split(fold(text)) if normalize_text(part)]
    if len(parts) > 1:
        try:
            return sorted({parse_choice(part, options) for part in parts})
        except NotAChoice:
            pass
    return [parse_choice(text, options)]


def parse_yes_no(text: str) -> bool:
    """同意/是/好/可以… → True; 不同意/不/否/不要… → False; anything else → NotAChoice."""
    word = re.sub(r"^我", "", normalize_text(text))
    collapsed = re.sub(r"(.)\1+", r"\1", word)  # 嗯嗯 → 嗯, 好好 → 好
    bare = re.sub(r"(?<=.)[的啊吧呀哦呢了滴哈]+$", "", collapsed)
    for candidate in (word, collapsed, bare):
        if candidate in _NO:
            return False
        if candidate in _YES:
            return True
    raise NotAChoice("请回复“同意”或“不同意”（也可以回复1或2）。")
