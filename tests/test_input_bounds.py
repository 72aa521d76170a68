"""What people type is bounded and checked with a clear reply: certificate formats, lengths,
numbers that are not numbers; and the dates people see are Shanghai's, not UTC's."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from db.models import Registration
from handlers.validators import id_check_char
from tests.dialog import REGISTRATION_WALK, another_app, rows, run, say, state_of, walk

NEW_YEAR_0030 = datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc)  # 2026-01-01 00:30 上海


def cert_born(day: str, category: str = "4", grade: str = "2") -> str:
    """A valid certificate number of someone born on `day` (YYYYMMDD)."""
    body = f"120105{day}123"
    return body + id_check_char(body) + category + grade


@pytest.mark.parametrize("number", ["A123456", "1" * 19, "1" * 21, "B1234567890123456X",
                                    "Z" + "9" * 349])
def test_only_second_generation_numbers_are_accepted(chat: Any, number: str) -> None:
    user = "bound-cert"
    walk(chat, user, REGISTRATION_WALK[:4])
    reply = say(chat, user, number)
    assert "20位" in reply and "人工" in reply
    assert state_of(chat, user) == "register:certificate"


def test_a_very_long_answer_is_asked_again_briefly(chat: Any) -> None:
    user = "bound-long"
    walk(chat, user, REGISTRATION_WALK[:3])
    reply = say(chat, user, "张" * 400)
    assert "姓名" in reply and state_of(chat, user) == "register:name"
    walk(chat, user, [(line, state) for line, state in REGISTRATION_WALK[3:11]])
    assert "200字以内" in say(chat, user, "会" * 1000)
    assert state_of(chat, user) == "register:skills"


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-inf", "nan万", "1e999999"])
def test_not_a_number_in_the_calculator_is_asked_again(chat: Any, word: str) -> None:
    user = "bound-nan"
    run(chat, user, ["算一下保障金", "1"])
    reply = say(chat, user, word)
    assert "请" in reply and "抱歉" not in reply
    assert state_of(chat, user) == "levy:staff"


def test_someone_turning_16_today_in_shanghai_is_accepted_at_0030(
        database: str, simulator: Any, knowledge_base: Any) -> None:
    with another_app(database, simulator, knowledge_base, clock=lambda: NEW_YEAR_0030) as chat:
        user = "bound-birthday"
        walk(chat, user, REGISTRATION_WALK[:4])
        reply = say(chat, user, cert_born("20100101"))  # 16 today, 1 January 2026
        assert "对吗" in reply and state_of(chat, user) == "register:certificate_ok"
        assert rows(chat, Registration) == []


def test_the_levy_estimate_names_this_year_in_shanghai_at_0030_on_1_january(
        database: str, simulator: Any, knowledge_base: Any) -> None:
    with another_app(database, simulator, knowledge_base, clock=lambda: NEW_YEAR_0030) as chat:
        turns = run(chat, "bound-levy", ["算一下保障金", "1", "200", "0", "80000"])
        assert "按2026年缴纳（2025年度）" in turns[-1][0]
