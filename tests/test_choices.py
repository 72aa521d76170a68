"""Tests for handlers.choices: numbered answers, multi-select and yes/no."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.choices import (
    NotAChoice,
    fold,
    normalize_text,
    numbered,
    parse_choice,
    parse_choices,
    parse_yes_no,
)
from handlers.validators import InvalidAnswer

WHO = ["本人", "家属代办", "用人单位"]
JOBS = ["手工制作", "客服", "按摩", "其他"]


@pytest.mark.parametrize("text", ["1", "１", "一", "壹", "第一个", "第1项", "选1", "1号", "第一",
                                  "选第一个", " 1 ", "1。", "本人", "我是本人"])
def test_every_way_of_saying_the_first_option(text):
    assert parse_choice(text, WHO) == 0


@pytest.mark.parametrize(("text", "expected"), [
    ("2", 1), ("二", 1), ("贰", 1), ("貳", 1), ("两", 1), ("第3个", 2), ("三号", 2), ("３", 2),
    ("家属代办", 1), ("家属", 1), ("我是家属", 1), ("家屬代辦", 1), ("用人单位。", 2),
    ("用人 单位", 2), ("单位", 2),
])
def test_numbers_and_words_pick_an_option(text, expected):
    assert parse_choice(text, WHO) == expected


def test_ten_or_more_options_accept_two_digit_numbers():
    options = [f"选项{n}" for n in range(1, 13)]
    assert (parse_choice("12", options), parse_choice("十二", options),
            parse_choice("第十个", options)) == (11, 11, 9)


@pytest.mark.parametrize("text", ["4", "0", "第五个", "人", "随便", "", "？？", "本人和家属"])
def test_nothing_or_something_unclear_is_not_a_choice(text):
    with pytest.raises(NotAChoice):
        parse_choice(text, WHO)


def test_an_out_of_range_number_says_the_range():
    with pytest.raises(NotAChoice) as caught:
        parse_choice("7", WHO)
    assert caught.value.hint == "请回复1到3之间的序号。"


def test_not_a_choice_is_an_invalid_answer_with_a_hint():
    with pytest.raises(InvalidAnswer) as caught:
        parse_choice("随便", WHO)
    assert caught.value.hint == "请回复选项前面的序号，例如：1"


@pytest.mark.parametrize(("text", "expected"), [
    ("1 3", [0, 2]), ("1、3", [0, 2]), ("1,3", [0, 2]), ("1，3", [0, 2]), ("13", [0, 2]),
    ("一和三", [0, 2]), ("1和3", [0, 2]), ("3 1", [0, 2]), ("1 1", [0]), ("2", [1]),
    ("客服", [1]), ("客服、按摩", [1, 2]), ("手工和按摩", [0, 2]), ("全部", [0, 1, 2, 3]),
    ("１ ３", [0, 2]), ("第一个和第四个", [0, 3]), ("234", [1, 2, 3]),
])
def test_parse_choices(text, expected):
    assert parse_choices(text, JOBS) == expected


def test_run_of_digits_is_one_number_when_there_are_ten_or_more_options():
    options = [f"选项{n}" for n in range(1, 14)]
    assert (parse_choices("13", options), parse_choices("1 3", options)) == ([12], [0, 2])


@pytest.mark.parametrize("text", ["15", "1和9", "随便", "", "1 随便"])
def test_parse_choices_refuses_what_does_not_fit(text):
    with pytest.raises(NotAChoice):
        parse_choices(text, JOBS)


@pytest.mark.parametrize("text", ["同意", "是", "好", "可以", "对", "确认", "行", "嗯", "1",
                                  "好的", "是的", "嗯嗯", "我同意", "同意。", "可以的", "OK",
                                  "確認", "１"])
def test_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["不同意", "不", "否", "不是", "不要", "拒绝", "2", "我不同意",
                                  "不了", "不行", "拒絕", "２", "算了"])
def test_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["也许吧", "3", "", "什么意思", "同意吗？不"])
def test_neither_yes_nor_no(text):
    with pytest.raises(NotAChoice) as caught:
        parse_yes_no(text)
    assert caught.value.hint == "请回复“同意”或“不同意”（也可以回复1或2）。"


def test_numbered():
    assert numbered(["本人", "家属代办"]) == "1. 本人\n2. 家属代办"


def test_numbered_of_nothing_is_empty():
    assert numbered([]) == ""


def test_normalize_text_and_fold():
    assert (normalize_text(" 選擇：ＡＢ！ "), fold("選擇：ＡＢ")) == ("选择ab", "选择:ab")


@given(text=st.text(max_size=30) | st.text(alphabet="0123456789 、和一三", max_size=5000))
def test_random_text_raises_nothing_but_not_a_choice(text):
    try:
        assert 0 <= parse_choice(text, JOBS) < len(JOBS)
    except NotAChoice as exc:
        assert exc.hint
    try:
        picked = parse_choices(text, JOBS)
        assert picked == sorted(set(picked)) and all(0 <= i < len(JOBS) for i in picked)
    except NotAChoice as exc:
        assert exc.hint
    try:
        assert parse_yes_no(text) in (True, False)
    except NotAChoice as exc:
        assert exc.hint
