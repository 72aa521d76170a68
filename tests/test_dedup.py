"""A callback WeCom delivers again makes no second record, runs no handler twice and gets no
second reply (CONTRACT.md). A reply whose response was lost goes through message/send
(tests/test_acknowledgement.py).

Messages are keyed by MsgId; events by sender, CreateTime, Event, EventKey and TaskId, so two
different events in the same second are both answered (binarywang/WxJava#1745).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select

from db.models import InboundMessage, OutboundMessage
from handlers.texts import text


def inbound_rows(services: Any) -> list[tuple[str, str]]:
    """(kind, handler) of every inbound row, in order."""
    with services.sessions.begin() as session:
        rows = session.execute(select(InboundMessage.kind, InboundMessage.handler)
                               .order_by(InboundMessage.id)).all()
    return [tuple(r) for r in rows]


def outbound_count(services: Any) -> int:
    """How many messages (passive or sent) were recorded for anyone."""
    with services.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(OutboundMessage))


def deliver_at_once(app: Any, query: str, body: bytes, copies: int) -> list[Any]:
    """POST the same callback from `copies` threads released together; the responses."""
    barrier = threading.Barrier(copies)
    responses: list[Any] = [None] * copies

    def deliver(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = client.post(f"/wecom/callback?{query}", data=body,
                                       content_type="application/xml")

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses


def test_three_simultaneous_copies_get_one_reply_and_one_record(chat, services, simulator):
    query, body = chat.peer.text("chen1", "你好", msg_id=8000000000000000001)
    responses = deliver_at_once(chat.app, query, body, copies=3)
    services.pipeline.wait_idle()
    assert [r.status_code for r in responses] == [200, 200, 200]
    passive = [chat.peer.read_reply(r.get_data()) for r in responses if r.get_data()]
    sent = [m["content"] for m in simulator[0].sent_to("chen1")]
    # One reply in all: the copies that come after the first is recorded get none.
    assert len(passive + sent) == 1 and all(passive + sent)
    assert [kind for kind, _ in inbound_rows(services)] == ["text"]
    assert outbound_count(services) == 1


def test_three_simultaneous_copies_of_an_event_get_one_reply(chat, services, simulator):
    query, body = chat.peer.event("chen2", "click", "menu:policy", create_time=1700000000)
    responses = deliver_at_once(chat.app, query, body, copies=3)
    services.pipeline.wait_idle()
    replies = [chat.peer.read_reply(r.get_data()) for r in responses if r.get_data()]
    replies += [m["content"] for m in simulator[0].sent_to("chen2")]
    assert replies == [text("ask_policy")]
    assert inbound_rows(services) == [("event:click", "common.menu_action")]


def test_sequential_redelivery_gets_no_second_reply_and_no_second_record(chat, services,
                                                                         simulator):
    query, body = chat.peer.text("chen3", "你好", msg_id=8000000000000000002)
    first = chat.replies("chen3", chat.post(query, body))
    again = [chat.post(query, body) for _ in range(2)]
    assert len(first) == 1 and first[0]
    assert [(r.status_code, r.get_data()) for r in again] == [(200, b""), (200, b"")]
    assert chat.api_messages("chen3") == []
    assert len(inbound_rows(services)) == 1
    assert outbound_count(services) == 1


def test_a_redelivered_event_gets_no_second_reply_and_no_second_record(chat, services):
    query, body = chat.peer.event("chen4", "subscribe", create_time=1700000000)
    first = chat.replies("chen4", chat.post(query, body))
    again = chat.post(query, body)
    assert len(first) == 1
    assert chat.replies("chen4", again) == []
    assert inbound_rows(services) == [("event:subscribe", "greeting.welcome")]


def test_the_same_text_with_a_new_msg_id_is_answered_again(chat, services):
    first = chat.send("chen5", "你好", msg_id=8000000000000000003)
    second = chat.send("chen5", "你好", msg_id=8000000000000000004)
    assert len(first) == 1 and len(second) == 1
    assert len(inbound_rows(services)) == 2


def test_subscribe_and_enter_agent_in_the_same_second_are_both_processed(chat, services):
    now = int(time.time())
    subscribed = chat.event("chen6", "subscribe", create_time=now)
    entered = chat.event("chen6", "enter_agent", create_time=now)
    assert len(subscribed) == 1 and "隐私" in subscribed[0]
    assert entered == []  # welcomed a moment ago: no second welcome
    assert inbound_rows(services) == [("event:subscribe", "greeting.welcome"),
                                      ("event:enter_agent", "greeting.enter_agent")]


def test_two_menu_clicks_in_the_same_second_are_both_answered(chat, services):
    now = int(time.time())
    policy = chat.event("chen7", "click", "menu:policy", create_time=now)
    menu = chat.event("chen7", "click", "menu:show", create_time=now)
    assert policy == [text("ask_policy")]
    assert len(menu) == 1 and "5. " in menu[0]
    assert len(inbound_rows(services)) == 2


def test_two_different_events_delivered_at_once_are_both_processed(chat, services, simulator):
    now = int(time.time())
    first = chat.peer.event("chen8", "click", "menu:policy", create_time=now)
    second = chat.peer.event("chen8", "click", "menu:show", create_time=now)
    barrier = threading.Barrier(2)
    responses: list[Any] = [None, None]

    def deliver(index: int, query: str, body: bytes) -> None:
        client = chat.app.test_client()
        barrier.wait()
        responses[index] = client.post(f"/wecom/callback?{query}", data=body)

    threads = [threading.Thread(target=deliver, args=(i, *cb))
               for i, cb in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    services.pipeline.wait_idle()
    assert [r.status_code for r in responses] == [200, 200]
    replies = [chat.peer.read_reply(r.get_data()) for r in responses if r.get_data()]
    replies += [m["content"] for m in simulator[0].sent_to("chen8")]
    assert len(replies) == 2 and text("ask_policy") in replies
    assert sorted(inbound_rows(services)) == [("event:click", "common.menu_action")] * 2


def test_card_clicks_that_differ_only_in_task_id_are_both_processed(chat, services):
    now = int(time.time())
    first = chat.event("chen9", "template_card_event", "menu:policy", task_id="task-a",
                       create_time=now)
    second = chat.event("chen9", "template_card_event", "menu:policy", task_id="task-b",
                        create_time=now)
    assert first == second == [text("ask_policy")]
    assert inbound_rows(services) == [("event:template_card_event", "common.menu_action")] * 2


def test_a_redelivered_card_click_with_the_same_task_id_is_handled_once(chat, services):
    now = int(time.time())
    first = chat.event("chen10", "template_card_event", "menu:policy", task_id="task-a",
                       create_time=now)
    again = chat.event("chen10", "template_card_event", "menu:policy", task_id="task-a",
                       create_time=now)
    assert first == [text("ask_policy")] and again == []  # no second run, no second reply
    assert len(inbound_rows(services)) == 1


def test_an_unusually_long_msg_id_is_answered_once(chat, services):
    query, body = chat.peer.text("chen11", "你好", msg_id=int("9" * 300))
    first = chat.replies("chen11", chat.post(query, body))
    again = chat.post(query, body)
    assert len(first) == 1 and first[0]
    assert chat.replies("chen11", again) == []
    assert len(inbound_rows(services)) == 1
    assert outbound_count(services) == 1


def test_card_clicks_with_long_keys_are_told_apart_and_deduplicated(chat, services):
    now, key = int(time.time()), "menu:policy|" + "k" * 1000
    for task_id in ("task-a", "task-b", "task-a"):
        chat.event("chen12", "template_card_event", key, task_id=task_id, create_time=now)
    assert len(inbound_rows(services)) == 2
