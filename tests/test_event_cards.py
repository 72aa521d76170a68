"""Notices as button cards ([events] cards = true): the same text and reply words, a 报名 button
that signs up like "报名 12", a 不感兴趣 button that only answers politely, clicks de-duplicated;
through the broadcaster, the simulator and the webhook."""

from __future__ import annotations

import time

import pytest

from bot.broadcast import Broadcaster
from db.models import Event, EventSignup, InboundMessage
from tests.dialog import another_app, assert_reply_rules, rows, say
from tests.event_helpers import add_subscribers, deliveries, fixed_clock, new_event


@pytest.fixture
def carded(database, simulator, knowledge_base):  # type: ignore[no-untyped-def]
    """An app that sends notices of new and changed events as button cards."""
    with another_app(database, simulator, knowledge_base, events={"cards": True}) as chat:
        fixed_clock(chat.services)
        yield chat


def click(chat, user: str, key: str, *, task_id: str,  # type: ignore[no-untyped-def]
          at: int) -> list[str]:
    """A button click as WeCom sends it: a template_card_event with the card's task id."""
    return chat.event(user, "template_card_event", key, task_id=task_id, create_time=at)


def card_of(chat, user: str) -> dict:  # type: ignore[no-untyped-def]
    """The one message the user got: it must be a card; return it."""
    [message] = chat.state.sent_to(user)
    assert message["msgtype"] == "template_card"
    return message


def test_a_card_notice_carries_the_same_text_and_both_buttons(carded):
    add_subscribers(carded.services, "招聘会", ["card1", "card2"])
    event_id = new_event(carded.services)
    assert Broadcaster(carded.services).run() == 2
    message = card_of(carded, "card1")
    card = message["card"]
    assert card["card_type"] == "button_interaction" and card["task_id"]
    assert [(b["text"], b["key"]) for b in card["button_list"]] == [
        ("报名", f"evt:signup:{event_id}"), ("不感兴趣", f"evt:notinterested:{event_id}")]
    text = message["content"]
    assert text.startswith("【活动通知】") and f"回复“报名 {event_id}”" in text
    assert "回复“退订”" in text and "无障碍" in text
    assert_reply_rules([text])
    assert deliveries(carded.state) == {"card1": 1, "card2": 1}  # one call, both people
    assert Broadcaster(carded.services).run() == 0  # nothing twice


def test_the_signup_button_signs_up_within_the_capacity(carded):
    add_subscribers(carded.services, "招聘会", ["btn1", "btn2", "btn3"])
    event_id = new_event(carded.services, capacity=2, employers_allowed=False)
    Broadcaster(carded.services).run()
    task_id, key, now = card_of(carded, "btn1")["card"]["task_id"], f"evt:signup:{event_id}", \
        int(time.time())
    carded.api_messages("btn1"), carded.api_messages("btn2"), carded.api_messages("btn3")
    [first] = click(carded, "btn1", key, task_id=task_id, at=now)
    assert "报名成功" in first and f"取消报名 {event_id}" in first
    assert "报名成功" in click(carded, "btn2", key, task_id=task_id, at=now)[0]
    [full] = click(carded, "btn3", key, task_id=task_id, at=now)
    assert "已约满" in full
    assert_reply_rules([first, full])
    assert rows(carded, Event)[0].taken == 2
    assert sorted(s.user_id for s in rows(carded, EventSignup, status="active")) == \
        ["btn1", "btn2"]


def test_a_redelivered_click_is_handled_once(carded):
    event_id = new_event(carded.services, capacity=5, employers_allowed=False)
    key, now = f"evt:signup:{event_id}", int(time.time())
    first = click(carded, "twice1", key, task_id="notice1-1", at=now)
    assert "报名成功" in first[0]
    again = click(carded, "twice1", key, task_id="notice1-1", at=now)  # WeCom's retry
    assert again == []  # no second run and no second reply
    assert rows(carded, Event)[0].taken == 1 and len(rows(carded, EventSignup)) == 1
    assert len(rows(carded, InboundMessage, user_id="twice1")) == 1
    # a second click later is a new event: it is answered, and still takes no second seat
    assert "已经报名" in click(carded, "twice1", key, task_id="notice1-1", at=now + 5)[0]
    assert rows(carded, Event)[0].taken == 1


def test_not_interested_answers_politely_and_records_nothing(carded):
    event_id = new_event(carded.services, capacity=5, employers_allowed=False)
    now = int(time.time())
    [reply] = click(carded, "nope1", f"evt:notinterested:{event_id}", task_id="notice1-1",
                    at=now)
    assert "好的" in reply and "没有为此记下任何信息" in reply
    assert "退订招聘会" in reply and "回复“退订”" in reply
    assert_reply_rules([reply])
    assert rows(carded, EventSignup) == [] and rows(carded, Event)[0].taken == 0

    say(carded, "nope2", f"报名 {event_id}")  # signed up, then not interested: how to withdraw
    [signed] = click(carded, "nope2", f"evt:notinterested:{event_id}", task_id="notice1-1",
                     at=now)
    assert f"取消报名 {event_id}" in signed
    assert len(rows(carded, EventSignup, status="active")) == 1  # nothing cancelled unasked


def test_cancellations_stay_text_even_with_cards(carded):
    from db.events import cancel_event

    add_subscribers(carded.services, "招聘会", ["stay1"])
    event_id = new_event(carded.services)
    Broadcaster(carded.services).run()
    carded.api_messages("stay1")
    with carded.services.sessions.begin() as session:
        cancel_event(session, event_id, reason="场地维修", now=carded.services.clock())
    Broadcaster(carded.services).run()
    assert [m["msgtype"] for m in carded.state.sent_to("stay1")] == ["template_card", "text"]


def test_with_cards_off_notices_stay_text(chat):
    fixed_clock(chat.services)
    assert chat.services.settings.events.cards is False  # the default
    add_subscribers(chat.services, "招聘会", ["plain1"])
    event_id = new_event(chat.services)
    Broadcaster(chat.services).run()
    [message] = chat.state.sent_to("plain1")
    assert message["msgtype"] == "text" and message["card"] is None
    assert f"回复“报名 {event_id}”" in message["content"]


def test_the_simulator_refuses_a_card_without_buttons(carded):
    client = carded.services.client
    card = {"card_type": "button_interaction", "main_title": {"title": "t"}, "task_id": "x1",
            "button_list": []}
    from wechatpy.exceptions import WeChatClientException

    with pytest.raises(WeChatClientException) as refused:
        client.message.send(client.agent_id, ["sim1"],
                            msg={"msgtype": "template_card", "template_card": card})
    assert refused.value.errcode == 40058
    assert carded.state.sent_to("sim1") == []
