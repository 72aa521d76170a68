"""Personal text is stored nowhere in clear, and nothing personal is kept for ever: abandoned
forms are purged after `[retention] form_days`, open handoffs and questions expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from db.models import Consent, Conversation, Handoff, Registration, UnansweredQuestion
from scheduler import jobs
from tests.dialog import certificate, register, rows, run, say, state_of

NAME, CERT, PHONE = "端木秋菊", certificate("12010519820304567", "4", "3"), "13712345678"
SKILL = "会编中国结和十字绣"


def raw(services: Any, sql: str) -> list[str]:
    """The first column of a raw query, as stored (no decryption)."""
    with services.engine.connect() as connection:
        return [str(v) for v in connection.execute(text(sql)).scalars().all()]


def test_summary_and_my_data_replies_are_not_stored_in_clear(chat: Any, services: Any) -> None:
    user = "keep-clear"
    register(chat, user, name=NAME, cert=CERT, phone=PHONE)
    shown = say(chat, user, "我的信息")
    assert NAME in shown
    say(chat, user, "1")  # the summary, with the name and the masked numbers
    stored = raw(services, "SELECT text FROM outbound_messages") + \
        raw(services, "SELECT last_prompt FROM conversations") + \
        raw(services, "SELECT COALESCE(text, '') FROM inbound_messages")
    assert stored and not any(NAME in value or "肢体残疾" in value for value in stored)
    assert NAME in say(chat, user, "重复")  # the person can still have it repeated


def test_a_purge_400_days_later_reaches_forms_handoffs_and_questions(
        chat: Any, services: Any, monkeypatch: Any) -> None:
    done, left, asker = "keep-done", "keep-abandoned", "keep-asker"
    register(chat, done, name=NAME, cert=CERT, phone=PHONE)
    run(chat, left, ["我想登记找工作", "1", "同意", "司徒雨桐"])  # then never came back
    assert state_of(chat, left) == "register:certificate"
    say(chat, asker, "我叫李四住在光复道我的腿不方便，人工")
    say(chat, asker, "人工")
    say(chat, asker, "火星上有残疾人就业补贴吗")
    assert rows(chat, Handoff) and rows(chat, UnansweredQuestion)

    later = services.clock() + timedelta(days=400)
    monkeypatch.setattr(services, "clock", lambda: later)
    counts = jobs.purge_history(services)
    assert counts["forms"] >= 1 and counts["consents"] == 1 and counts["expired"] >= 2

    abandoned = rows(chat, Conversation, user_id=left)[0]
    assert (abandoned.state, abandoned.data, abandoned.last_prompt) == (None, "{}", "")
    assert [c.user_id for c in rows(chat, Consent)] == [done]  # the registration's stays
    assert [r.user_id for r in rows(chat, Registration)] == [done]
    assert rows(chat, Handoff) == [] and rows(chat, UnansweredQuestion) == []


def test_open_handoffs_expire_before_they_are_purged(chat: Any, services: Any,
                                                    monkeypatch: Any) -> None:
    say(chat, "keep-waiting", "人工")
    days = services.settings.retention.open_days
    later = services.clock() + timedelta(days=days + 1)
    monkeypatch.setattr(services, "clock", lambda: later)
    jobs.purge_history(services)
    [handoff] = rows(chat, Handoff)
    assert handoff.status == "expired"  # kept until message_days, then purged
