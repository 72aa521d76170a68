"""The pipeline's state handling: read without the lock, write with a version check.

A message reads its user's state, runs its handler, and writes everything in one short
transaction. If another message of the same user was answered in between, the write is
stale: the message runs again on top of the newer state, under the lock. A handler that
fails leaves nothing of its own behind, but the message is recorded and answered.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.messages import Incoming, Reply
from bot.router import Context, Route
from db.models import Conversation, Handoff, InboundMessage, OutboundMessage
from handlers import build_router
from handlers.common import notify_staff
from tests.dialog import (REGISTRATION_WALK, assert_reply_rules, handlers_of, rows, say,
                          state_of, walk)


def post_now(chat: Any, user: str, line: str) -> str:
    """Send a line and read its passive reply, without waiting for other messages."""
    query, body = chat.peer.text(user, line)
    response = chat.app.test_client().post(f"/wecom/callback?{query}", data=body,
                                           content_type="application/xml")
    assert response.status_code == 200
    return chat.peer.read_reply(response.get_data())


def handled(chat: Any, user: str) -> list[str]:
    """The handler recorded for each of the user's inbound messages, in order."""
    return [handler for _, handler in handlers_of(chat.services, user)]


def test_a_message_whose_state_changed_meanwhile_runs_again_on_the_new_state(chat: Any,
                                                                            monkeypatch):
    user = "stale-1"
    walk(chat, user, REGISTRATION_WALK[:7])
    [before] = rows(chat, Conversation, user_id=user)
    step_before = before.state
    router, runs, other_reply = chat.services.router, [], []
    dispatch = router.dispatch

    def dispatch_with_a_message_in_between(msg: Incoming, ctx: Context) -> Reply:
        runs.append(msg.text)
        if msg.text == "重复" and runs.count("重复") == 1:
            # While "重复" is being answered, "返回" of the same user is answered in full.
            thread = threading.Thread(target=lambda: other_reply.append(
                post_now(chat, user, "返回")))
            thread.start()
            thread.join(30)
        return dispatch(msg, ctx)

    monkeypatch.setattr(router, "dispatch", dispatch_with_a_message_in_between)
    reply = say(chat, user, "重复")

    assert runs == ["重复", "返回", "重复"]  # the stale answer was thrown away and made again
    assert other_reply and other_reply[0] and reply
    [after] = rows(chat, Conversation, user_id=user)
    assert after.version == before.version + 2  # both messages changed the state, in turn
    assert after.state != step_before  # 返回 went one step back, and 重复 kept that
    assert after.last_prompt and after.last_prompt in reply
    assert all(name not in ("", "pipeline.sorry") for name in handled(chat, user)[-2:])
    with chat.services.sessions.begin() as session:  # one reply each, nothing doubled
        counts = session.execute(select(OutboundMessage.inbound_id, func.count())
                                 .join(InboundMessage,
                                       InboundMessage.id == OutboundMessage.inbound_id)
                                 .where(InboundMessage.user_id == user)
                                 .group_by(OutboundMessage.inbound_id)).all()
    assert all(count == 1 for _, count in counts)


@pytest.fixture
def failing_bot(services: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real route table, and "出错" (in any state) leads to a handler that writes, then
    fails."""
    def fails_after_writing(msg: Incoming, ctx: Context) -> Reply:
        notify_staff(ctx, reason="request", urgent=False, message=msg)
        ctx.conversation.state = None
        raise RuntimeError("a bug in a handler")

    router = build_router()
    router.interrupts.insert(0, Route(lambda m, c: m.kind == "text" and m.text == "出错",
                                      fails_after_writing))
    monkeypatch.setattr(services, "router", router)
    return services


def test_a_failing_handler_leaves_nothing_of_its_own_but_the_person_is_answered(chat: Any,
                                                                               failing_bot):
    user = "fails-1"
    walk(chat, user, REGISTRATION_WALK[:5])
    step = state_of(chat, user)
    [before] = rows(chat, Conversation, user_id=user)

    reply = say(chat, user, "出错")

    assert "人工" in reply and "抱歉" in reply
    assert rows(chat, Handoff, user_id=user) == []  # the handler's own writes are gone
    assert state_of(chat, user) == step  # the form is where it was
    [after] = rows(chat, Conversation, user_id=user)
    assert after.data == before.data
    assert handled(chat, user)[-1] == "pipeline.sorry"  # the message is recorded, once
    assert_reply_rules([say(chat, user, "重复")])  # and the conversation goes on


def test_the_orm_session_is_made_only_for_a_handler_that_uses_it(chat: Any, services: Any,
                                                                 monkeypatch) -> None:
    """A policy answer touches no rows of its own: the pipeline makes no Session for it. A
    handler that writes (人工: a handoff) gets one, and its rows are committed with the
    message."""
    made: list[dict[str, Any]] = []
    real = services.sessions

    class CountingSessions:
        def __call__(self, **kwargs: Any) -> Any:
            made.append(kwargs)
            return real(**kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    user = "lazy-session"
    say(chat, user, "你好")  # a first message (welcome) out of the way
    monkeypatch.setattr(services, "sessions", CountingSessions())
    assert "补贴" in say(chat, user, "残疾人就业有什么补贴")
    assert made == []
    assert "工作人员" in say(chat, user, "人工")
    assert len(made) == 1 and rows(chat, Handoff, user_id=user)
    assert handled(chat, user)[-2:] == ["policy.answer", "common.handoff"]


def test_staff_see_the_message_that_asked_for_them(chat: Any) -> None:
    user = "handoff-latest"
    say(chat, user, "残疾人就业有什么补贴")
    say(chat, user, "我家孩子的情况比较特殊，电话13812345678")
    say(chat, user, "人工")
    [handoff] = rows(chat, Handoff, user_id=user)
    lines = handoff.recent.splitlines()
    assert lines[-1] == "人工" and "残疾人就业有什么补贴" in lines
    assert "13812345678" not in handoff.recent  # scrubbed, as in the inbound record
    staff = "\n".join(chat.api_messages("staff01"))
    assert "人工" in staff and f"编号：{handoff.id}" in staff


def test_when_the_database_fails_the_person_is_told_the_message_was_not_kept(chat, services,
                                                                            monkeypatch):
    from db.session import make_engine, make_sessions

    unreachable = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    monkeypatch.setattr(services, "engine", unreachable)
    monkeypatch.setattr(services, "sessions", make_sessions(unreachable))
    try:
        replies = chat.send("db-down", "残疾人就业服务有哪些")
    finally:
        unreachable.dispose()
    assert len(replies) == 1 and "没能记下来" in replies[0] and "再发一次" in replies[0]
    assert_reply_rules(replies)
    monkeypatch.undo()
    assert handled(chat, "db-down") == []  # nothing was recorded, and nothing claims it was
    assert "没能记下来" not in say(chat, "db-down", "残疾人就业服务有哪些")  # back to normal
