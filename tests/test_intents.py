"""Requests for a service (register, book, subscribe, calculate) versus questions about it.

`intent_of` decides, and the route table sends a request to the service's route, never to a
policy answer. The replies of booking and subscriptions are being built: only what must hold
whatever they become is checked (a reply by the service's route, with 人工 or 菜单 offered).
"""

from __future__ import annotations

from typing import Any

import pytest

from handlers.intents import intent_of
from tests.dialog import assert_reply_rules, handlers_of

CITATION = "出处："
REQUESTS = [
    ("我想预约职业能力评估", "booking"), ("服务预约", "booking"), ("预约", "booking"),
    ("帮我约一下就业指导", "booking"), ("我要报名参加培训", "booking"),
    ("我想预约", "booking"), ("预约一下", "booking"), ("帮我预约", "booking"),
    ("能约个时间吗", "booking"), ("我想预约。", "booking"), ("能帮我预约一下吗", "booking"),
    ("俺想找活儿 区里能给俺做个评估不", "booking"), ("给我做个职业能力评估", "booking"),
    ("活动订阅", "subscribe"), ("订阅", "subscribe"), ("有招聘会通知我", "subscribe"),
    ("招聘会的消息推送给我", "subscribe"), ("我要订阅招聘会通知", "subscribe"),
    ("我想登记找工作", "register"), ("就业登记", "register"), ("帮我找份工作", "register"),
    ("算一下保障金", "levy"), ("帮我测算残保金", "levy"),
]
QUESTIONS = ["预约评估要带什么材料", "怎么预约培训", "订阅是什么", "登记要带什么",
             "残疾人证怎么办理", "招聘会什么时候办", "预约要带什么", "怎么预约", "预约怎么取消",
             "方案做没做效果评估"]


@pytest.mark.parametrize(("text", "intent"), REQUESTS)
def test_a_request_is_recognised_as_its_service(text: str, intent: str) -> None:
    assert intent_of(text) == intent


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_about_a_service_is_not_a_request(text: str) -> None:
    assert intent_of(text) is None


@pytest.mark.parametrize(("text", "intent"), [r for r in REQUESTS if r[1] in ("booking",
                                                                            "subscribe")])
def test_booking_and_subscription_requests_reach_their_route_not_a_policy_answer(
        chat: Any, services: Any, text: str, intent: str) -> None:
    user = f"intent-{intent}"
    replies = chat.send(user, text)
    assert_reply_rules(replies)
    [(kind, handler)] = handlers_of(services, user)
    module = {"booking": "booking", "subscribe": "subscriptions"}[intent]
    assert kind == "text" and handler.startswith(module) and not handler.startswith("policy.")
    joined = "\n".join(replies)
    assert CITATION not in joined  # not a knowledge-base answer
    assert "人工" in joined or "菜单" in joined


@pytest.mark.parametrize("text", ["预约评估要带什么材料", "订阅是什么", "预约要带什么"])
def test_a_question_about_booking_or_subscriptions_goes_to_the_knowledge_base(
        chat: Any, services: Any, text: str) -> None:
    chat.send("intent-asks", text)
    assert handlers_of(services, "intent-asks") == [("text", "policy.answer")]
