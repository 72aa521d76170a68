"""A reply that is not ready within the passive budget goes out through message/send, once."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from bot.messages import Incoming, Reply
from bot.router import Context, Route
from handlers import build_router
from tests.dialog import outbox

SLOW_ANSWER = "这是一个需要多想一会儿的回答。"


def slow(msg: Incoming, ctx: Context) -> Reply:
    """A handler that takes half a second, as a slow search would."""
    time.sleep(0.5)
    return Reply.text(SLOW_ANSWER)


def slow_two_parts(msg: Incoming, ctx: Context) -> Reply:
    """A slow handler that answers with two messages."""
    time.sleep(0.5)
    return Reply.text(SLOW_ANSWER, "第二条消息。")


@pytest.fixture
def slow_bot(services: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real route table with slow routes first ("慢" and "慢两条")."""
    router = build_router()
    router.routes.insert(0, Route(lambda m, c: m.kind == "text" and m.text == "慢", slow))
    router.routes.insert(0, Route(lambda m, c: m.kind == "text" and m.text == "慢两条",
                                  slow_two_parts))
    monkeypatch.setattr(services, "router", router)
    return services


def budget(services: Any, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Set bot.passive_reply_seconds for this test."""
    settings = services.settings
    bot = replace(settings.bot, passive_reply_seconds=seconds)
    monkeypatch.setattr(services, "settings", replace(settings, bot=bot))


def test_a_slow_reply_goes_through_message_send_once(chat, slow_bot, simulator, monkeypatch):
    budget(slow_bot, monkeypatch, 0.2)
    query, body = chat.peer.text("he1", "慢")
    response = chat.post(query, body)
    assert (response.status_code, response.get_data()) == (200, b"")
    assert [m["content"] for m in simulator[0].sent_to("he1")] == [SLOW_ANSWER]
    assert outbox(slow_bot, "he1") == [("sent", SLOW_ANSWER)]


def test_a_slow_reply_of_two_messages_sends_both_in_order(chat, slow_bot, simulator,
                                                          monkeypatch):
    budget(slow_bot, monkeypatch, 0.2)
    replies = chat.send("he2", "慢两条")
    assert replies == [SLOW_ANSWER, "第二条消息。"]
    assert outbox(slow_bot, "he2") == [("sent", SLOW_ANSWER), ("sent", "第二条消息。")]


def test_within_the_budget_the_reply_is_passive_and_nothing_is_sent(chat, slow_bot, simulator):
    assert slow_bot.settings.bot.passive_reply_seconds == 3.0
    query, body = chat.peer.text("he3", "慢")
    response = chat.post(query, body)
    assert response.status_code == 200
    assert chat.peer.read_reply(response.get_data()) == SLOW_ANSWER
    assert simulator[0].sent_to("he3") == []
    assert outbox(slow_bot, "he3") == [("passive", SLOW_ANSWER)]


def test_a_passive_reply_of_two_messages_sends_the_second_through_the_api(chat, slow_bot,
                                                                          simulator):
    query, body = chat.peer.text("he4", "慢两条")
    response = chat.post(query, body)
    assert chat.peer.read_reply(response.get_data()) == SLOW_ANSWER
    assert [m["content"] for m in simulator[0].sent_to("he4")] == ["第二条消息。"]
    assert outbox(slow_bot, "he4") == [("passive", SLOW_ANSWER), ("sent", "第二条消息。")]


def test_a_slow_reply_redelivered_by_wecom_is_not_sent_twice(chat, slow_bot, simulator,
                                                             monkeypatch):
    budget(slow_bot, monkeypatch, 0.2)
    query, body = chat.peer.text("he5", "慢")
    client = chat.app.test_client()
    first = client.post(f"/wecom/callback?{query}", data=body)
    again = client.post(f"/wecom/callback?{query}", data=body)  # while the first still runs
    slow_bot.pipeline.wait_idle()
    assert [(r.status_code, r.get_data()) for r in (first, again)] == [(200, b""), (200, b"")]
    assert [m["content"] for m in simulator[0].sent_to("he5")] == [SLOW_ANSWER]


def test_a_passive_reply_over_2048_bytes_is_split_and_nothing_is_lost(chat, slow_bot,
                                                                      simulator):
    long_answer = "".join(f"第{n}条：用人单位应当按比例安排残疾人就业。" for n in range(60))
    assert len(long_answer.encode()) > 2048
    slow_bot.router.routes.insert(0, Route(lambda m, c: m.kind == "text" and m.text == "长",
                                           lambda m, c: Reply.text(long_answer)))
    replies = chat.send("he6", "长")
    assert "".join(replies) == long_answer
    assert len(replies) >= 2 and all(len(r.encode()) <= 2048 for r in replies)
    assert [status for status, _ in outbox(slow_bot, "he6")] == (
        ["passive"] + ["sent"] * (len(replies) - 1))


def test_a_reply_whose_commit_outlasts_the_grace_is_handed_back_to_the_worker():
    """The request stops waiting without acknowledging; `give` tells the worker to send
    through the outbox."""
    import threading

    from bot.pipeline import NotRecorded, PassiveSlot

    slot = PassiveSlot()
    results: list[str | None] = []

    def request() -> None:
        try:
            results.append(slot.wait(budget=0.05, grace=0.05))
        except NotRecorded:  # not acknowledged (non-200): WeCom will deliver it again
            results.append(None)

    thread = threading.Thread(target=request)
    assert slot.claim() is True  # the reply is ready before the budget ends...
    thread.start()
    thread.join()  # ...but the commit takes longer than the grace
    assert results == [None]
    assert slot.give("答复") is False


def test_a_reply_handed_over_in_time_goes_back_passively():
    from bot.pipeline import PassiveSlot

    slot = PassiveSlot()
    assert slot.claim() is True
    assert slot.give("答复") is True
    assert slot.wait(budget=0.05) == "答复"


def test_more_callbacks_at_once_than_threads_are_all_answered_in_turn(chat, slow_bot, simulator,
                                                                     monkeypatch):
    """12 slow messages at once on the pipeline's 8 threads: the last 4 wait for a free
    thread and are answered after it (passively, within the budget), each once."""
    import threading

    budget(slow_bot, monkeypatch, 3.0)
    sent = [chat.peer.text(f"many{i:02d}", "慢") for i in range(12)]
    responses: dict[int, Any] = {}

    def post(i: int) -> None:
        responses[i] = chat.app.test_client().post(f"/wecom/callback?{sent[i][0]}",
                                                   data=sent[i][1],
                                                   content_type="application/xml")

    threads = [threading.Thread(target=post, args=(i,)) for i in range(12)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    slow_bot.pipeline.wait_idle()
    assert 0.9 < time.monotonic() - started < 3.0  # two turns of half a second
    assert [chat.peer.read_reply(responses[i].get_data()) for i in range(12)] == (
        [SLOW_ANSWER] * 12)
    assert all(outbox(slow_bot, f"many{i:02d}") == [("passive", SLOW_ANSWER)]
               for i in range(12))
