"""A text goes in encrypted and the answer comes back, on SQLite and PostgreSQL."""

from sqlalchemy import func, select

from db.models import InboundMessage, OutboundMessage


def test_a_greeting_gets_a_passive_reply_with_the_menu(chat):
    replies = chat.send("zhang3", "你好")
    assert len(replies) == 1
    assert replies[0].startswith("您好")
    assert "1. 政策咨询" in replies[0] and "5. 人工服务" in replies[0]


def test_every_message_is_recorded_once_with_its_reply(chat, services):
    chat.send("zhang3", "你好")
    with services.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1
        statuses = session.scalars(select(OutboundMessage.status)).all()
    assert statuses == ["passive"]


def test_a_reply_holding_the_end_of_a_cdata_section_arrives_whole(chat, services, monkeypatch):
    """A reply may read back what a person typed; "]]>" in it must not end the reply's CDATA
    section early (wechatpy's TextReply would send XML that does not parse)."""
    from bot.messages import Reply
    from bot.router import Route
    from handlers import build_router

    said = "您填写的是：A]]>B<![CDATA[C"
    router = build_router()
    router.routes.insert(0, Route(lambda m, c: m.kind == "text" and m.text == "回读",
                                  lambda m, c: Reply.text(said)))
    monkeypatch.setattr(services, "router", router)
    assert chat.send("zhang3", "回读") == [said]
