"""活动订阅: subscribe by kind (and optionally a job interest), unsubscribe, list; the offer.

One message does it ("订阅招聘会", "订阅培训通知", "订阅全部活动", "退订", "退订培训",
"我的订阅"); "订阅" alone shows the subscriptions with numbered choices to change them.
Nobody is subscribed unasked: a new person is offered it once, after a first useful answer.
"""

from __future__ import annotations

import re

from sqlalchemy import exists, or_, select

from bot.messages import Incoming, Reply
from bot.router import Context
from db import subscriptions as subs
from db.events import KINDS
from db.models import Subscription, SubscriptionOffer
from db.session import read_connection
from handlers.commands import normalize_command_text

KIND_WORDS = {"招聘会": "招聘会", "专场招聘会": "招聘会", "专场招聘": "招聘会", "招聘": "招聘会",
              "培训通知": "培训", "培训": "培训", "职业培训": "培训", "政策宣讲": "政策宣讲",
              "宣讲": "政策宣讲", "技能竞赛": "技能竞赛", "竞赛": "技能竞赛", "比赛": "技能竞赛"}
ALL_WORDS = ("全部活动", "全部", "所有活动", "活动通知", "活动", "全部通知")
_WORDS = "|".join(sorted(KIND_WORDS, key=len, reverse=True))
SUBSCRIBE = re.compile(rf"^(?:我要|我想|帮我)?订阅(?:(?P<all>{'|'.join(ALL_WORDS)})"
                       rf"|(?P<kind>{_WORDS})(?:通知)?(?P<interest>[\u4e00-\u9fffa-z]{{1,10}})?)?$")
UNSUBSCRIBE = re.compile(rf"^(?:退订|取消订阅|不要再发|别再发)(?:(?P<all>{'|'.join(ALL_WORDS)})"
                         rf"|(?P<kind>{_WORDS})(?:通知)?)?$")
SHOW = ("订阅", "活动订阅", "订阅活动", "订阅管理", "订阅通知")
MINE = ("我的订阅", "查看订阅", "我订阅了什么", "我的订阅有哪些")
OFFER = "想及时知道招聘会、培训等活动吗？回复“订阅全部活动”或“订阅招聘会”，不回复不会给您发。"
STOP = "回复“退订”可以随时停止；回复“我的订阅”查看；回复“菜单”看其他服务。"


def parse(text: str) -> tuple[str, list[str], str | None] | None:
    """("show" | "mine" | "subscribe" | "unsubscribe", kinds, interest) or None."""
    words = normalize_command_text(text)
    if words in SHOW:
        return "show", [], None
    if words in MINE:
        return "mine", [], None
    for action, pattern in (("subscribe", SUBSCRIBE), ("unsubscribe", UNSUBSCRIBE)):
        match = pattern.fullmatch(words)
        if match:
            kind = match.group("kind")
            kinds = [KIND_WORDS[kind]] if kind else list(KINDS)
            interest = match.groupdict().get("interest")
            return action, kinds, interest
    return None


def is_subscription(msg: Incoming, ctx: Context) -> bool:
    """Predicate: a subscription request (订阅…, 退订…, 我的订阅)."""
    return msg.kind == "text" and parse(msg.text) is not None


def handle(msg: Incoming, ctx: Context) -> Reply:
    """Do what the message asks."""
    action, kinds, interest = parse(msg.text) or ("show", [], None)
    if action == "subscribe" and kinds:
        return subscribe(ctx, kinds, interest)
    if action == "unsubscribe":
        return unsubscribe(ctx, kinds)
    if action == "mine":
        return mine(ctx)
    return show(msg, ctx)


def subscribe(ctx: Context, kinds: list[str], interest: str | None = None) -> Reply:
    """Subscribe; "订阅成功" and how to stop."""
    subs.subscribe(ctx.session, ctx.user.user_id, kinds, now=ctx.now, interest=interest)
    what = "全部活动（招聘会、培训、政策宣讲、技能竞赛）" if len(kinds) == len(KINDS) else \
        "、".join(kinds)
    only = f"，只推送和“{interest}”有关的" if interest else ""
    return Reply.text(f"订阅成功：{what}{only}。有新活动时我会发通知给您，通知里有时间、地点和"
                      f"无障碍情况，回复“报名 编号”就能报名。\n{STOP}", options=())


def unsubscribe(ctx: Context, kinds: list[str]) -> Reply:
    """Unsubscribe; "已退订" and how to subscribe again."""
    subs.unsubscribe(ctx.session, ctx.user.user_id, kinds)
    if len(kinds) == len(KINDS):
        return Reply.text("已退订全部活动通知，以后不会再给您发活动通知（已报名活动的变更和提醒"
                          "照常发送）。想再收到，回复“订阅全部活动”或“订阅招聘会”。"
                          "回复“菜单”看其他服务。", options=())
    return Reply.text(f"已退订{kinds[0]}通知。其他订阅不变，回复“我的订阅”查看；"
                      f"想再收到，回复“订阅{kinds[0]}”。", options=())


def mine(ctx: Context) -> Reply:
    """我的订阅: what this person subscribes to."""
    have = subs.kinds_of(ctx.session, ctx.user.user_id)
    if not have:
        return Reply.text("您还没有订阅活动通知。回复“订阅全部活动”或“订阅招聘会”订阅；"
                          "回复“订阅”看全部选项。", options=())
    lines = [f"{kind}" + (f"（只推送和“{interest}”有关的）" if interest else "")
             for kind, interest in have.items()]
    return Reply.text("您订阅了：" + "、".join(lines) + f"。\n{STOP}"
                      "回复“订阅”修改。", options=())


def show(msg: Incoming, ctx: Context) -> Reply:
    """订阅 / menu: the subscriptions, each kind a numbered choice to switch it on or off."""
    have = subs.kinds_of(ctx.session, ctx.user.user_id)
    now = "您现在订阅了：" + "、".join(have) + "。" if have else "您现在没有订阅活动通知。"
    lines = [f"{i}. {kind}（已订阅，选它退订）" if kind in have else f"{i}. {kind}（选它订阅）"
             for i, kind in enumerate(KINDS, 1)]
    lines += [f"{len(KINDS) + 1}. 订阅全部活动", f"{len(KINDS) + 2}. 全部退订"]
    options = tuple(f"sub:toggle:{kind}" for kind in KINDS) + ("sub:all", "sub:none")
    return Reply.text(f"活动订阅：{now}\n请回复数字：\n" + "\n".join(lines)
                      + "\n回复“菜单”返回。", options=options)


def action(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """A numbered choice from `show`: sub:toggle:<kind>, sub:all, sub:none."""
    if argument == "all":
        return subscribe(ctx, list(KINDS))
    if argument == "none":
        return unsubscribe(ctx, list(KINDS))
    kind = argument.partition(":")[2]
    if kind not in KINDS:
        return show(msg, ctx)
    if kind in subs.kinds_of(ctx.session, ctx.user.user_id):
        return unsubscribe(ctx, [kind])
    return subscribe(ctx, [kind])


SETTLED, SETTLED_MAX = "subscriptions.settled", 100_000  # services.extras: users known
# offered or subscribed in this process (that never becomes untrue, short of erasure)


def offer_once(ctx: Context) -> str:
    """The one-time offer ("" when made before or the person subscribes already); recorded.

    Policy answers are the hot path: the check reads without the write lock, and a person
    found settled is remembered by this process, so each pays the query about once."""
    user_id, settled_users = ctx.user.user_id, ctx.services.extras.setdefault(SETTLED, set())
    if user_id in settled_users:
        return ""
    known = select(or_(exists().where(SubscriptionOffer.user_id == user_id),
                       exists().where(Subscription.user_id == user_id)))
    with read_connection(ctx.services.engine) as connection:
        settled = bool(connection.scalar(known))
    if len(settled_users) >= SETTLED_MAX:
        settled_users.clear()
    settled_users.add(user_id)  # offered now (this transaction) or before
    if settled:
        return ""
    ctx.session.add(SubscriptionOffer(user_id=user_id, offered_at=ctx.now))
    return OFFER
