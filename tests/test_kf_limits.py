"""微信客服 limits: state 0/1 only, 48 hours after the customer's message, 5 answers each;
held notices told when the person writes; 人工 hands the session to staff and back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot import kf_api
from db.models import Handoff, InboundMessage, KfEvent, OutboundMessage
from tests.console import add_accounts, logged_in
from tests.dialog import another_app, assert_reply_rules, outbox
from tests.kf_chat import OPEN_KFID, KfChat

NOTICE = "【活动通知】5月20日上午9点，河北区残疾人专场招聘会在区残联举行。回复“菜单”看其他服务。"


@pytest.fixture
def kf_chat(chat: Any) -> KfChat:
    """A WeChat customer's view of the bot; the simulated kf accounts start empty."""
    chat.state.kf.reset()
    return KfChat(chat)


@pytest.fixture
def clock(kf_chat: KfChat) -> list[datetime]:
    """One fixed time for the bot and the simulated WeCom; move it with clock[0] += ..."""
    now = [datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)]
    kf_chat.services.clock = lambda: now[0]
    kf_chat.kf.clock = lambda: now[0].timestamp()
    return now


def sent_since(kf_chat: KfChat, user: str, after: int) -> list[dict[str, Any]]:
    return [m for m in kf_chat.sent(user) if m["id"] > after]


def test_a_notice_outside_the_48_hours_waits_and_is_told_when_the_person_writes(
        kf_chat: KfChat, clock: list[datetime]) -> None:
    user = kf_chat.user("wmHeld01")
    assert kf_chat.send(user, "你好")
    clock[0] += timedelta(hours=49)
    kf_chat.services.sender.send_text(user, NOTICE)
    assert kf_chat.received(user) == []
    assert outbox(kf_chat.services, user)[-1] == ("held", NOTICE)
    with pytest.raises(WeChatClientException) as refused:  # WeCom would refuse it as well
        kf_api.send_text(kf_chat.services.client, OPEN_KFID, "wmHeld01", NOTICE, "manual1")
    assert refused.value.errcode == kf_api.SESSION_INVALID

    clock[0] += timedelta(hours=1)
    replies = kf_chat.send(user, "谢谢")
    assert_reply_rules(replies)
    assert replies[-1].startswith("您有1条通知") and "专场招聘会" in replies[-1]
    assert "held" not in [status for status, _ in outbox(kf_chat.services, user)]
    assert [r["errcode"] for r in kf_chat.kf.refused] == [95018]  # only the manual try


def test_never_more_than_five_messages_per_customer_message(
        kf_chat: KfChat, clock: list[datetime]) -> None:
    user = kf_chat.user("wmFive02")
    kf_chat.send(user, "你好")
    start = kf_chat.kf.sent[-1]["id"] - 1
    long_notice = "招聘会通知。" + "岗位说明很长。" * 100 + "回复“菜单”看其他服务。"  # ~2.1 kB
    for n in range(7):
        kf_chat.services.sender.send_text(user, f"第{n + 1}条。" + long_notice[:560])
    assert len(sent_since(kf_chat, user, start)) == 5  # the answer and 4 notices
    assert len(kf_chat.received(user)) == 4
    assert [s for s, _ in outbox(kf_chat.services, user)].count("held") == 3
    clock[0] += timedelta(minutes=5)
    before = kf_chat.kf.sent[-1]["id"]
    replies = kf_chat.send(user, "好的")
    assert 2 <= len(replies) <= 5 and len(sent_since(kf_chat, user, before)) == len(replies)
    assert "您有3条通知" in "".join(replies) and "第7条" in "".join(replies)
    assert kf_chat.kf.refused == []  # the bot never tried a sixth


def test_short_messages_are_packed_into_one(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmPack03")
    kf_chat.send(user, "你好")
    services = kf_chat.services
    with services.sessions.begin() as session:
        for n in range(3):
            services.sender.enqueue(session, user, f"通知{n + 1}：周三有培训。")
        ids = sorted(session.info.pop("bot.sender.enqueued"))
    assert services.sender.deliver(ids) == 1
    assert kf_chat.received(user)[-1] == "\n\n".join(f"通知{n}：周三有培训。" for n in (1, 2, 3))


def test_the_simulator_refuses_a_sixth_message_and_a_session_with_a_person(
        kf_chat: KfChat) -> None:
    client, kf = kf_chat.services.client, kf_chat.kf
    kf.customer_says(OPEN_KFID, "wmSim04", "你好")
    for n in range(5):
        kf_api.send_text(client, OPEN_KFID, "wmSim04", f"答复{n}", f"sim{n}")
    kf_api.send_text(client, OPEN_KFID, "wmSim04", "答复0", "sim0")  # the same msgid: once
    with pytest.raises(WeChatClientException) as sixth:
        kf_api.send_text(client, OPEN_KFID, "wmSim04", "第六条", "sim5")
    assert sixth.value.errcode == kf_api.COUNT_LIMIT and len(kf.sent_to("wmSim04")) == 5
    kf.customer_says(OPEN_KFID, "wmSim04", "还在吗")
    kf_api.trans(client, OPEN_KFID, "wmSim04", 3, "zhangsan")
    assert kf_api.get_state(client, OPEN_KFID, "wmSim04") == (3, "zhangsan")
    with pytest.raises(WeChatClientException) as served:
        kf_api.send_text(client, OPEN_KFID, "wmSim04", "机器人插话", "sim6")
    assert served.value.errcode == kf_api.SESSION_INVALID


def test_handoff_transfers_the_session_and_the_bot_takes_over_when_it_returns(
        kf_chat: KfChat, app: Any) -> None:
    user, kf = kf_chat.user("wmHuman05"), kf_chat.kf
    kf_chat.send(user, "你好")
    replies = kf_chat.send(user, "人工")
    assert_reply_rules(replies)
    assert "已通知工作人员" in replies[-1]
    assert kf.sessions[(OPEN_KFID, "wmHuman05")].state == 2  # to the 接待池
    with kf_chat.services.sessions.begin() as session:
        [handoff] = session.scalars(select(Handoff).where(Handoff.user_id == user)).all()
        assert handoff.status == "open"
    assert any("人工服务请求" in m for m in kf_chat.chat.api_messages("staff01"))
    add_accounts(kf_chat.services)
    inbox = logged_in(app, "clerk").get("/admin/handoffs/").get_data(as_text=True)
    assert f"#{handoff.id}" in inbox and "微信客服" in inbox

    kf.sessions[(OPEN_KFID, "wmHuman05")].state = 3  # a servicer takes it from the pool
    kf.event(OPEN_KFID, "wmHuman05", "session_status_change", change_type=1,
             new_servicer_userid="zhangsan")
    assert kf_chat.send(user, "我想问一下按摩培训") == []  # a person serves: the bot is quiet
    with kf_chat.services.sessions.begin() as session:
        last = session.scalars(select(InboundMessage).where(InboundMessage.user_id == user)
                               .order_by(InboundMessage.id.desc())).first()
        assert (last.handler, last.text) == ("kf.servicer", "我想问一下按摩培训")

    kf.sessions[(OPEN_KFID, "wmHuman05")].state = 4  # the servicer ends the session
    kf.event(OPEN_KFID, "wmHuman05", "session_status_change", change_type=3)
    kf_chat.notify()
    assert_reply_rules(kf_chat.send(user, "菜单"))  # a new session: the bot answers again
    with kf_chat.services.sessions.begin() as session:
        kinds = session.scalars(select(KfEvent.event_type)).all()
    assert kinds == ["session_status_change", "session_status_change"]


def test_handoff_to_a_named_servicer(kf_chat: KfChat, database: str, simulator: Any,
                                     knowledge_base: Any) -> None:
    with another_app(database, simulator, knowledge_base, seen={},
                     kf={"servicer": "zhangsan"}) as named:
        chat = KfChat(named)
        user = chat.user("wmNamed06")
        assert "已通知工作人员" in chat.send(user, "人工")[-1]
    assert kf_chat.kf.sessions[(OPEN_KFID, "wmNamed06")].state == 3
    assert kf_chat.kf.sessions[(OPEN_KFID, "wmNamed06")].servicer == "zhangsan"


def test_msg_send_fail_is_recorded_on_the_message(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmFail07")
    kf_chat.send(user, "你好")
    msgid = kf_chat.sent(user)[-1]["msgid"]
    kf_chat.kf.event(OPEN_KFID, "wmFail07", "msg_send_fail", fail_msgid=msgid, fail_type=4)
    kf_chat.notify()
    kf_chat.notify()  # the same event is kept once
    with kf_chat.services.sessions.begin() as session:
        row = session.get(OutboundMessage, int(msgid[2:]))
        assert (row.status, row.errmsg) == ("failed", "msg_send_fail 4")
        [event] = session.scalars(select(KfEvent)).all()
        assert (event.event_type, event.user_id) == ("msg_send_fail", user)
