"""Events for people: sign up ("报名 12"), cancel ("取消报名 12"), 我的活动, 近期活动.

A notice card's buttons (bot/cards.py) arrive as actions: 报名 (evt:signup:12) is the same
sign-up as "报名 12"; 不感兴趣 (evt:notinterested:12) is acknowledged and records nothing.

A resident takes one seat (db/signups.py, the atomic seat-taking bookings use too). At a job
fair that takes employers, an employer (role 用人单位) signs up to recruit instead
(handlers/recruit.py); someone whose role is unknown is asked which they are.
"""

from __future__ import annotations

import re

from bot.messages import Incoming, Reply
from bot.router import Context
from bot.cards import NOT_INTERESTED
from bot.cards import SIGN_UP as SIGN_UP_BUTTON
from db import signups
from db.events import OPEN, upcoming
from db.models import Event
from db.notices import describe, when
from handlers.commands import normalize_command_text

SIGN_UP = re.compile(r"^(?:我要|我想)?(?:报名|参加|报名参加)(?:第)?(\d{1,6})(?:号)?(?:活动)?$")
CANCEL = re.compile(r"^(?:取消报名|不参加了?|撤回报名|撤回招聘报名|取消招聘报名)(?:第)?(\d{1,6})"
                    r"(?:号)?(?:活动)?$")
MINE = ("我的活动", "我报名的活动", "我的报名", "查看报名")
UPCOMING = ("近期活动", "最近活动", "活动列表", "有什么活动", "最近有什么活动", "招聘会信息")


def parse(text: str) -> tuple[str, int | None] | None:
    """("signup" | "cancel", id), ("mine", None), ("upcoming", None) or None."""
    words = normalize_command_text(text)
    if words in MINE:
        return "mine", None
    if words in UPCOMING:
        return "upcoming", None
    for name, pattern in (("signup", SIGN_UP), ("cancel", CANCEL)):
        match = pattern.fullmatch(words)
        if match:
            return name, int(match.group(1))
    return None


def is_event_request(msg: Incoming, ctx: Context) -> bool:
    """Predicate: 报名 N, 取消报名 N, 我的活动, 近期活动."""
    return msg.kind == "text" and parse(msg.text) is not None


def handle(msg: Incoming, ctx: Context) -> Reply:
    """Do what the message asks."""
    name, event_id = parse(msg.text) or ("mine", None)
    if name == "signup" and event_id is not None:
        return sign_up(event_id, msg, ctx)
    if name == "cancel" and event_id is not None:
        return cancel(event_id, ctx)
    if name == "upcoming":
        return show_upcoming(ctx)
    return mine(ctx)


def sign_up(event_id: int, msg: Incoming, ctx: Context, *, as_role: str = "") -> Reply:
    """Sign up as a resident, or (job fairs) route an employer to the recruiting form."""
    from handlers.recruit import FORM  # the form imports this module's texts

    event = ctx.session.get(Event, event_id)
    if event is None:
        return Reply.text(f"没有找到编号为{event_id}的活动。回复“近期活动”看可以报名的活动，"
                          "或回复“人工”。", options=())
    role = as_role or ctx.user.role
    if event.status not in OPEN:
        return _reply("closed", event)
    if event.employers_allowed and role == "employer":
        return FORM.start(msg, ctx, given={"event_id": event_id})
    if event.employers_allowed and role == "unknown":
        return Reply.text(f"报名“{event.title}”：请问您是\n1. 来参加的求职者或家属\n"
                          "2. 来招聘的用人单位\n回复数字；回复“菜单”返回。",
                          options=(f"evt:join:{event_id}", f"evt:recruit:{event_id}"))
    return _reply(signups.sign_up(ctx.session, event_id, ctx.user.user_id, now=ctx.now), event)


def _reply(result: str, event: Event) -> Reply:
    return Reply.text(SIGN_UP_REPLIES[result].format(
        id=event.id, title=event.title, when=when(event), capacity=event.capacity or "",
        place=event.place or event.online_url or "见通知"), options=())


SIGN_UP_REPLIES = {
    "ok": "报名成功：{title}（活动编号{id}），{when}，{place}。活动前一天我会提醒您。"
          "不能参加了请回复“取消报名 {id}”；回复“我的活动”查看。",
    "already": "您已经报名了“{title}”（活动编号{id}），不用重复报名。"
               "回复“我的活动”查看，或回复“取消报名 {id}”。",
    "full": "很抱歉，“{title}”名额已满（{capacity}人），已约满。有人取消时名额会空出来，"
            "可以稍后再回复“报名 {id}”试试，或回复“人工”。",
    "closed": "“{title}”现在不能报名了（报名已截止、活动已开始、结束或取消）。"
              "回复“近期活动”看其他活动，或回复“人工”。",
    "missing": "没有找到编号为{id}的活动。回复“近期活动”看可以报名的活动。",
}


def action(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """Choices evt:join|recruit|cancel:<id>; card buttons evt:signup|notinterested:<id>."""
    name, _, raw = argument.partition(":")
    if not raw.isdigit():
        return mine(ctx)
    if name == SIGN_UP_BUTTON:  # the card's 报名: the same as "报名 12"
        return sign_up(int(raw), msg, ctx)
    if name == NOT_INTERESTED:
        return not_interested(int(raw), ctx)
    if name == "join":
        return sign_up(int(raw), msg, ctx, as_role="jobseeker")
    if name == "recruit":
        ctx.user.role = "employer"
        return sign_up(int(raw), msg, ctx, as_role="employer")
    return cancel(int(raw), ctx)


def not_interested(event_id: int, ctx: Context) -> Reply:
    """The card's 不感兴趣: thank, record nothing, say how to stop notices or withdraw."""
    event = ctx.session.get(Event, event_id)
    name = f"“{event.title}”" if event is not None else f"活动{event_id}"
    kind = event.kind if event is not None else ""
    lines = [f"好的，{name}您不用理会，我没有为此记下任何信息。"]
    if event is not None and signups.is_signed_up(ctx.session, event_id, ctx.user.user_id):
        lines.append(f"您已经报名了这个活动，不去了请回复“取消报名 {event_id}”，把名额让给别人。")
    stop = f"回复“退订{kind}”只停{kind}通知，" if kind else ""
    lines.append(f"以后有新活动还会通知您；{stop}回复“退订”停止全部活动通知。回复“菜单”返回。")
    return Reply.text("\n".join(lines), options=())


def cancel(event_id: int, ctx: Context) -> Reply:
    """取消报名 N: give the seat back, or withdraw the employer's sign-up."""
    user = ctx.user.user_id
    if signups.cancel_signup(ctx.session, event_id, user):
        return Reply.text(f"已取消活动{event_id}的报名，名额已让出。想再参加，回复“报名 {event_id}”。"
                          "回复“我的活动”查看其他报名。", options=())
    if signups.withdraw_employer(ctx.session, event_id, user):
        return Reply.text(f"已撤回贵单位在活动{event_id}的招聘报名。需要时可以回复“报名 {event_id}”"
                          "重新报名。回复“菜单”返回。", options=())
    return Reply.text(f"您没有报名活动{event_id}。回复“我的活动”查看您报名的活动。", options=())


def mine(ctx: Context) -> Reply:
    """我的活动: the person's sign-ups, each with a numbered choice to cancel it."""
    found = signups.my_signups(ctx.session, ctx.user.user_id)
    if not found:
        return Reply.text("您还没有报名活动。回复“近期活动”看可以报名的活动；"
                          "回复“订阅”接收活动通知。", options=())
    lines = [f"{i}. {'招聘报名：' if role == 'recruit' else ''}{e.title}（编号{e.id}），"
             f"{when(e)}，{e.place or e.online_url or ''}" + ("（已取消）" if e.status ==
                                                              "cancelled" else "")
             for i, (e, role) in enumerate(found, 1)]
    options = tuple(f"evt:cancel:{e.id}" for e, _ in found)
    return Reply.text("您报名的活动：\n" + "\n".join(lines)
                      + "\n要取消哪一个，请回复它前面的数字；回复“菜单”返回。", options=options)


def show_upcoming(ctx: Context) -> Reply:
    """近期活动: the next open events, briefly, with how to sign up."""
    found = upcoming(ctx.session, now=ctx.now, limit=3)
    if not found:
        return Reply.text("近期还没有发布的活动。回复“订阅全部活动”，有新活动时我会通知您；"
                          "回复“菜单”返回。", options=())
    parts = ["\n".join(describe(e)[:3]) + f"\n报名：回复“报名 {e.id}”" for e in found]
    return Reply.text("近期活动：\n" + "\n\n".join(parts) + "\n回复“菜单”返回。", options=())
