"""微信客服: the same bot for residents on plain WeChat, through the webhook and the simulator."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bot.app import create_app
from bot.services import build_services
from db.models import InboundMessage, KfCursor, Registration, User
from tests.conftest import make_settings
from tests.dialog import assert_reply_rules, register, rows, state_of
from tests.kf_chat import OPEN_KFID, KfChat


@pytest.fixture
def kf_chat(chat: Any) -> KfChat:
    """A WeChat customer's view of the bot; the simulated kf accounts start empty."""
    chat.state.kf.reset()
    return KfChat(chat)


def test_a_customer_is_welcomed_on_entering_and_gets_answers(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmCustomer0001")
    welcome = kf_chat.enter(user)
    assert len(welcome) == 1 and "残疾人就业服务助手" in welcome[0]
    assert [m["via"] for m in kf_chat.sent(user)] == ["send_msg_on_event"]

    question = "河北区残疾人就业三年行动 目标是新增多少人就业"
    answer = kf_chat.send(user, question)
    assert answer == kf_chat.chat.send("member01", question)  # the same bot, the same answer
    hello = kf_chat.send(user, "你好")
    assert_reply_rules(hello)
    assert {m["via"] for m in kf_chat.sent(user)[1:]} == {"send_msg"}
    assert all(m["msgid"].startswith("ob") for m in kf_chat.sent(user))
    with kf_chat.services.sessions.begin() as session:
        assert session.get(User, user) is not None and len(user) <= 64
        kinds = session.execute(select(InboundMessage.kind, InboundMessage.delivery_key)
                                .where(InboundMessage.user_id == user)
                                .order_by(InboundMessage.id)).all()
    assert [k for k, _ in kinds] == ["event:enter_agent", "text", "text"]
    assert kinds[1][1].startswith("msg:kf:")


def test_a_registration_over_the_customer_service_channel(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmCustomerRegister02")
    done = register(kf_chat, user)
    assert "登记" in done
    assert state_of(kf_chat, user) is None
    [registration] = rows(kf_chat, Registration, user_id=user)
    assert registration.phone == "13812345678"


def test_the_cursor_moves_past_what_was_recorded(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmCursor03")
    kf_chat.send(user, "你好")
    kf_chat.send(user, "谢谢")
    with kf_chat.services.sessions.begin() as session:
        cursor = session.get(KfCursor, OPEN_KFID)
        assert (cursor.cursor, cursor.lease_owner, cursor.wanted) == ("c2", None, False)
    assert [s.get("cursor") for s in kf_chat.kf.syncs] == [None, "c1"]
    assert all(s.get("token") for s in kf_chat.kf.syncs)


def test_the_demo_page_chats_as_a_wechat_customer(database: str, knowledge_base: Any) -> None:
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                         threaded=True)  # the demo app calls its own simulator, as in make run
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = make_settings(database, f"http://127.0.0.1:{server.port}/simulator",
                                 bot={"demo": True})
        services = build_services(settings, kb=knowledge_base)
        holder["app"] = create_app(services=services)
        client = holder["app"].test_client()
        assert "微信客服" in client.get("/demo/").get_data(as_text=True)
        user = "wechat:wmDemoCustomer01"
        assert client.post("/demo/api/send", json={"user": user, "event": "subscribe"}
                           ).get_json() == {"status": 200, "passive": ""}
        assert client.post("/demo/api/send", json={"user": user, "text": "你好"}
                           ).get_json() == {"status": 200, "passive": ""}
        services.pipeline.wait_idle()
        sent = client.get("/simulator/kf/messages?user=wmDemoCustomer01").get_json()
        assert len(sent) == 2 and "残疾人就业服务助手" in sent[0]["content"]
        assert client.get(f"/simulator/kf/messages?user=wmDemoCustomer01&after={sent[0]['id']}"
                          ).get_json() == sent[1:]
        services.engine.dispose()
    finally:
        server.shutdown()


def test_a_customer_quiet_past_the_retention_is_forgotten_by_the_purge(
        kf_chat: KfChat, monkeypatch: Any) -> None:
    from datetime import timedelta

    from db.models import KfCustomer
    from scheduler import jobs

    user = kf_chat.user("wmCustomerQuiet")
    kf_chat.send(user, "你好")
    services = kf_chat.services
    assert [c.user_id for c in rows(kf_chat.chat, KfCustomer)] == [user]
    assert jobs.purge_history(services)["kf"] == 0  # written today: kept
    later = services.clock() + timedelta(days=services.settings.retention.message_days + 1)
    monkeypatch.setattr(services, "clock", lambda: later)
    assert jobs.purge_history(services)["kf"] >= 1
    assert rows(kf_chat.chat, KfCustomer) == []  # the external_userid is gone too
