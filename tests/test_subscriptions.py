"""活动订阅 through the webhook: subscribe, unsubscribe, the numbered list, the one-time offer."""

from __future__ import annotations

from db.models import Subscription, SubscriptionOffer
from handlers.subscriptions import OFFER, parse
from tests.dialog import rows, say


def kinds(chat, user: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """(kind, interest) of the user's subscriptions."""
    return sorted((s.kind, s.interest) for s in rows(chat, Subscription, user_id=user))


def test_one_message_subscribes_and_unsubscribes(chat):
    reply = say(chat, "sub1", "订阅招聘会")
    assert "订阅成功" in reply and "招聘会" in reply and "退订" in reply
    assert kinds(chat, "sub1") == [("招聘会", None)]
    assert "订阅成功" in say(chat, "sub1", "订阅培训通知")
    assert kinds(chat, "sub1") == [("培训", None), ("招聘会", None)]

    reply = say(chat, "sub1", "退订培训")
    assert "已退订培训" in reply
    assert kinds(chat, "sub1") == [("招聘会", None)]
    assert "您订阅了：招聘会" in say(chat, "sub1", "我的订阅")

    reply = say(chat, "sub1", "退订")
    assert "已退订" in reply and "订阅全部活动" in reply  # says how to subscribe again
    assert kinds(chat, "sub1") == []
    assert "还没有订阅" in say(chat, "sub1", "我的订阅")


def test_subscribe_to_everything_and_again_changes_nothing(chat):
    assert "订阅成功" in say(chat, "sub2", "订阅全部活动")
    assert "订阅成功" in say(chat, "sub2", "订阅全部活动")
    assert [k for k, _ in kinds(chat, "sub2")] == ["培训", "技能竞赛", "招聘会", "政策宣讲"]


def test_a_job_interest_narrows_a_subscription(chat):
    reply = say(chat, "sub3", "订阅招聘会 客服")
    assert "订阅成功" in reply and "客服" in reply
    assert kinds(chat, "sub3") == [("招聘会", "客服")]
    say(chat, "sub3", "订阅招聘会")  # again without an interest: everything
    assert kinds(chat, "sub3") == [("招聘会", None)]


def test_subscribe_alone_shows_numbered_choices_that_switch_kinds(chat):
    say(chat, "sub4", "订阅招聘会")
    listing = say(chat, "sub4", "订阅")
    assert "1. 招聘会（已订阅，选它退订）" in listing and "2. 培训（选它订阅）" in listing
    assert "订阅成功" in say(chat, "sub4", "2")
    assert [k for k, _ in kinds(chat, "sub4")] == ["培训", "招聘会"]
    say(chat, "sub4", "订阅")
    assert "已退订招聘会" in say(chat, "sub4", "1")
    say(chat, "sub4", "订阅")
    assert "已退订" in say(chat, "sub4", "6")
    assert kinds(chat, "sub4") == []


def test_the_menu_choice_opens_the_subscriptions_not_a_placeholder(chat):
    say(chat, "sub5", "菜单")
    reply = say(chat, "sub5", "4")
    assert "活动订阅" in reply and "建设中" not in reply and "1. 招聘会" in reply


def test_a_new_person_is_offered_once_after_a_useful_answer_never_subscribed(chat):
    first = say(chat, "sub6", "区级机关多少人以上要安排残疾人就业")
    assert OFFER in first
    second = say(chat, "sub6", "事业单位有例外吗")
    assert OFFER not in second
    assert kinds(chat, "sub6") == []  # never pushed unasked
    assert len(rows(chat, SubscriptionOffer, user_id="sub6")) == 1


def test_someone_subscribed_already_is_not_offered(chat):
    say(chat, "sub7", "订阅培训")
    assert OFFER not in say(chat, "sub7", "区级机关多少人以上要安排残疾人就业")


def test_parse_reads_the_forms_people_use():
    assert parse("订阅招聘会") == ("subscribe", ["招聘会"], None)
    assert parse("订阅培训通知") == ("subscribe", ["培训"], None)
    assert parse("订阅全部活动")[:2] == ("subscribe", ["招聘会", "培训", "政策宣讲", "技能竞赛"])
    assert parse("退订")[0] == "unsubscribe" and len(parse("退订")[1]) == 4
    assert parse("退订培训") == ("unsubscribe", ["培训"], None)
    assert parse("我的订阅")[0] == "mine"
    assert parse("订阅号是什么意思") is None
