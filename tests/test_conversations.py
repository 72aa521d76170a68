"""Conversations as a whole: concurrent messages of one user, restarts, replies everywhere.

The concurrent test exercises the pipeline's version check: a message whose state changed
while it was being answered runs again under the lock (see tests/test_pipeline_state.py).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Conversation, InboundMessage, OutboundMessage
from handlers.forms import CONFIRM
from handlers.job_demand import FORM
from handlers.levy_form import CALCULATOR
from tests.dialog import (CERT_ANSWER, LEVY_WALK, REGISTRATION_WALK, another_app,
                          assert_reply_rules, register, rows, run, say, state_of, walk)

STEPS = {f"{form.name}:{step.name}" for form in (FORM, CALCULATOR) for step in form.steps} | \
    {f"{FORM.name}:{CONFIRM}"}


def send_at_once(chat: Any, user: str, lines: list[str]) -> list[str]:
    """Post the lines from as many threads, each with its own test client, released together."""
    bodies = [chat.peer.text(user, line) for line in lines]
    barrier = threading.Barrier(len(lines))
    passive: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def post(query: str, body: bytes) -> None:
        client = chat.app.test_client()
        barrier.wait()
        response = client.post(f"/wecom/callback?{query}", data=body,
                               content_type="application/xml")
        text = chat.peer.read_reply(response.get_data()) if response.status_code == 200 else ""
        with lock:
            statuses.append(response.status_code)
            if text:
                passive.append(text)

    threads = [threading.Thread(target=post, args=body) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    chat.services.pipeline.wait_idle()
    assert statuses == [200] * len(lines)
    return passive + chat.api_messages(user)


def inbound_count(chat: Any, user: str) -> int:
    """How many inbound rows this user has."""
    with chat.services.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.user_id == user))


def assert_state_is_sound(chat: Any, user: str) -> dict[str, Any]:
    """The conversation row holds valid JSON and a real step of a form (or no form)."""
    [row] = rows(chat, Conversation, user_id=user)
    data = json.loads(row.data)
    assert isinstance(data, dict) and isinstance(json.loads(row.options), list)
    assert row.state is None or row.state in STEPS, row.state
    assert all(step in {s.name for s in FORM.steps + CALCULATOR.steps}
               for step in data.get("trail", []))
    return data


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_messages_of_one_user_never_corrupt_the_state(chat: Any,
                                                                 round_: int) -> None:
    user = f"conc-{round_}"
    walk(chat, user, REGISTRATION_WALK[:7 + round_])
    before, version = inbound_count(chat, user), rows(chat, Conversation, user_id=user)[0].version
    replies = send_at_once(chat, user, ["1", "2", "返回", "帮助", "重复"])
    # Each message read the state the one before it wrote: no update was lost.
    assert rows(chat, Conversation, user_id=user)[0].version == version + 5
    assert len(replies) >= 5
    for reply in replies:  # each of these answers is a single message
        assert_reply_rules([reply])
    assert inbound_count(chat, user) == before + 5
    handlers = [m.handler for m in rows(chat, InboundMessage, user_id=user)][-5:]
    assert all(h and h not in ("pipeline.sorry", "error") for h in handlers), handlers
    data = assert_state_is_sound(chat, user)
    assert isinstance(data.get("answers"), dict)
    # The conversation goes on normally afterwards.
    say(chat, user, "菜单")
    assert "登记成功" in register(chat, user, cert=None)
    assert_state_is_sound(chat, user)


def test_concurrent_messages_in_the_calculator_and_of_a_brand_new_user(chat: Any) -> None:
    user = "conc-levy"
    walk(chat, user, LEVY_WALK[:3])
    before, version = inbound_count(chat, user), rows(chat, Conversation, user_id=user)[0].version
    send_at_once(chat, user, ["1", "没有", "返回", "人工", "200"])
    assert inbound_count(chat, user) == before + 5
    assert rows(chat, Conversation, user_id=user)[0].version == version + 5
    assert_state_is_sound(chat, user)
    fresh = "conc-new"
    replies = send_at_once(chat, fresh, ["你好", "菜单", "帮助", "残疾人证怎么办理", "我的信息"])
    assert len(replies) >= 5 and inbound_count(chat, fresh) == 5
    assert_state_is_sound(chat, fresh)


def test_two_app_instances_share_one_conversation(chat: Any, database: str, simulator: Any,
                                                  knowledge_base: Any) -> None:
    user = "conc-two-workers"
    with another_app(database, simulator, knowledge_base, seen=chat.seen) as other:
        lines = [line for line, _ in REGISTRATION_WALK]
        for n, line in enumerate(lines):  # alternate the workers message by message
            worker = chat if n % 2 == 0 else other
            say(worker, user, line)
            assert state_of(chat, user) == REGISTRATION_WALK[n][1]
        assert "登记成功" in say(other, user, "确认")


def test_a_first_time_question_gets_its_answer_and_every_reply_follows_the_rules(
        chat: Any) -> None:
    user = "conv-first"
    [first] = run(chat, user, ["残疾人证怎么办理"])
    assert CERT_ANSWER in first[0]
    run(chat, user, ["你好", "1", "区里招聘会什么时候办", "菜单", "2", "取消", "谢谢", "再见",
                     "帮助", "重复", "返回", "今天天气怎么样", "我想查一下邻居的电话"])
    with chat.services.sessions.begin() as session:
        texts = session.scalars(select(OutboundMessage.text)
                                .where(OutboundMessage.user_id == user)).all()
    assert len(texts) >= 14
    for text in texts:
        assert_reply_rules([text])
