"""Every message type and event WeCom sends gets a fitting answer, through the real webhook.

Wording comes from knowledge/texts.toml, which staff edit; the tests check what the person can
rely on (a way to type, a way to 人工, the numbered menu) or compare with the text the handler
is meant to send, read from the same place.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Handoff
from handlers.texts import text
from tests.dialog import handlers_of, outbox

MEDIA = {
    "image": {"PicUrl": "http://example.invalid/p.jpg", "MediaId": "media-image-1"},
    "voice": {"MediaId": "media-voice-1", "Format": "amr"},
    "video": {"MediaId": "media-video-1", "ThumbMediaId": "media-thumb-1"},
    "location": {"Location_X": "39.1456", "Location_Y": "117.1979", "Scale": "15",
                 "Label": "天津市河北区"},
    "link": {"Title": "招聘会", "Description": "河北区招聘会", "Url": "http://example.invalid/",
             "PicUrl": "http://example.invalid/p.jpg"},
}


def event(chat: Any, user: str, name: str, key: str = "", *, at: int,
          task_id: str = "") -> tuple[int, bytes, list[str]]:
    """Send an event at CreateTime `at`: (status, raw body, what the user received)."""
    query, body = chat.peer.event(user, name, key, task_id=task_id, create_time=at)
    response = chat.post(query, body)
    return response.status_code, response.get_data(), chat.replies(user, response)


@pytest.mark.parametrize("msg_type", sorted(MEDIA))
def test_a_non_text_message_gets_a_polite_answer_asking_for_text(chat, services, msg_type):
    query, body = chat.peer.message("li4", msg_type, **MEDIA[msg_type])
    replies = chat.replies("li4", chat.post(query, body))
    assert len(replies) == 1
    assert "文字" in replies[0] or "打字" in replies[0]
    assert "人工" in replies[0]
    assert handlers_of(services, "li4") == [
        (msg_type, "common.location" if msg_type == "location" else "common.unsupported_media")]


def test_subscribe_gets_the_welcome_with_the_numbered_menu_and_a_privacy_note(chat, services):
    status, _, replies = event(chat, "wang5", "subscribe", at=int(time.time()))
    assert status == 200 and len(replies) == 1
    welcome = replies[0]
    for number in range(1, 6):
        assert f"{number}. " in welcome
    assert "隐私" in welcome
    assert handlers_of(services, "wang5") == [("event:subscribe", "greeting.welcome")]


def test_enter_agent_welcomes_on_the_first_visit_only(chat, services):
    now = int(time.time())
    _, _, first = event(chat, "zhao6", "enter_agent", at=now)
    _, body, again = event(chat, "zhao6", "enter_agent", at=now + 1)
    assert len(first) == 1 and "隐私" in first[0] and "1. " in first[0]
    assert (body, again) == (b"", [])
    assert [h for _, h in handlers_of(services, "zhao6")] == ["greeting.enter_agent"] * 2


def test_enter_agent_welcomes_again_after_30_days_away_not_after_29(frozen_chat):
    chat, clock = frozen_chat, frozen_chat.services.clock
    away = chat.services.settings.conversation.welcome_again_after_days
    assert away == 30

    def enter() -> list[str]:
        return event(chat, "zhao7", "enter_agent", at=int(clock().timestamp()))[2]

    assert "隐私" in enter()[0]  # the first visit
    clock.advance(days=away - 1)
    assert enter() == []  # back within 30 days: no welcome
    clock.advance(days=away, minutes=1)  # 30 days and a minute since that visit
    [again] = enter()
    assert "隐私" in again and "1. 政策咨询" in again


def test_a_menu_click_on_policy_asks_for_the_question(chat):
    assert event(chat, "qian7", "click", "menu:policy", at=int(time.time()))[2] == [
        text("ask_policy")]


def test_a_template_card_click_is_handled_like_the_menu(chat, services):
    status, _, replies = event(chat, "sun8", "template_card_event", "menu:policy",
                               at=int(time.time()), task_id="task-20240101-1")
    assert (status, replies) == (200, [text("ask_policy")])
    assert handlers_of(services, "sun8") == [("event:template_card_event", "common.menu_action")]


def test_a_template_card_click_as_wecom_sends_it_is_handled(chat, services):
    fields = {"MsgType": "event", "Event": "template_card_event", "EventKey": "menu:policy",
              "TaskId": "task-20240101-2", "CardType": "button_interaction",
              "ResponseCode": "response-code-abc",
              "SelectedItems": {"SelectedItem": [
                  {"QuestionKey": "q1", "OptionIds": {"OptionId": ["o1", "o2"]}},
                  {"QuestionKey": "q2", "OptionIds": {"OptionId": "o3"}}]}}
    query, body = chat.peer.callback("sun9", fields, create_time=int(time.time()))
    assert chat.replies("sun9", chat.post(query, body)) == [text("ask_policy")]
    assert handlers_of(services, "sun9") == [("event:template_card_event", "common.menu_action")]


def test_a_template_card_click_with_an_unknown_key_shows_the_menu(chat):
    status, _, replies = event(chat, "sun8", "template_card_event", "nothing:here",
                               at=int(time.time()), task_id="task-2")
    assert status == 200 and len(replies) == 1
    assert "1. " in replies[0] and "5. " in replies[0]


def test_a_view_event_gets_an_empty_200_and_is_recorded(chat, services):
    status, body, replies = event(chat, "zhou9", "view", "https://example.invalid/",
                                  at=int(time.time()))
    assert (status, body, replies) == (200, b"", [])
    assert handlers_of(services, "zhou9") == [("event:view", "common.silent")]


def test_after_unsubscribe_nothing_is_sent_until_subscribe_again(chat, services, simulator):
    state = simulator[0]
    now = int(time.time())
    event(chat, "wu10", "subscribe", at=now)
    status, body, replies = event(chat, "wu10", "unsubscribe", at=now + 1)
    assert (status, body, replies) == (200, b"", [])

    services.sender.send_text("wu10", "招聘会通知")
    services.pipeline.wait_idle()
    assert outbox(services, "wu10")[-1] == ("suppressed", "招聘会通知")
    assert state.sent_to("wu10") == []

    _, _, welcome = event(chat, "wu10", "subscribe", at=now + 2)
    assert len(welcome) == 1 and "隐私" in welcome[0]
    services.sender.send_text("wu10", "招聘会通知")
    assert [m["content"] for m in state.sent_to("wu10")] == ["招聘会通知"]
    assert outbox(services, "wu10")[-1] == ("sent", "招聘会通知")


def test_five_after_the_menu_hands_over_to_staff_with_honest_hours(chat, services, simulator):
    event(chat, "zheng11", "subscribe", at=int(time.time()))
    replies = chat.send("zheng11", "5")
    assert len(replies) == 1
    assert services.settings.district.staff_hours in replies[0]
    with services.sessions.begin() as session:
        handoffs = session.execute(select(Handoff.user_id, Handoff.reason, Handoff.status)).all()
    assert [tuple(h) for h in handoffs] == [("zheng11", "request", "open")]
    notices = simulator[0].sent_to("staff01")
    assert len(notices) == 1 and notices[0]["content"]


@pytest.mark.parametrize("choice", ["1", "１", "一"], ids=["ascii", "full-width", "chinese"])
def test_a_numbered_answer_picks_from_the_menu(chat, services, choice):
    event(chat, "feng12", "subscribe", at=int(time.time()))
    assert chat.send("feng12", choice) == [text("ask_policy")]
    assert handlers_of(services, "feng12")[-1] == ("text", "common.menu_action")
