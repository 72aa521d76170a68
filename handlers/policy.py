"""Policy questions, answered only from the knowledge base, always with the source."""

from __future__ import annotations

from bot.masking import scrub
from bot.messages import Incoming, Reply
from bot.router import Context
from db.models import UnansweredQuestion
from handlers.greeting import filler
from handlers.subscriptions import offer_once
from handlers.texts import text
from knowledge import scope
from knowledge.curation import MAX_REPLY, render_answer, render_brief, render_detail

AUDIENCES = {"jobseeker", "family", "employer", "staff"}
DISTRICT_CONTACT = "contact-district-office"  # answered from [district] settings when set


def answer(msg: Incoming, ctx: Context) -> Reply:
    """One cited answer when confident; "您是想问" when close; else say so and record it."""
    role = ctx.user.role if ctx.user.role in AUDIENCES else None
    match = ctx.services.kb.answer(msg.text, audience=role)
    if match.kind == "confident":
        return with_offer(entry_reply(match.entry, ctx), ctx)
    if match.kind == "ambiguous":  # the list, and the most relevant answer in full
        lines = "\n".join(f"{i}. {hit.entry.title}" for i, hit in enumerate(match.hits, 1))
        top = match.hits[0].entry
        brief = (top.id == DISTRICT_CONTACT and district_contact(ctx)) or render_brief(top)
        options = tuple(f"kb:{hit.entry.id}" for hit in match.hits)
        together = f"{text('did_you_mean', options=lines, where='下面')}\n\n{brief}"
        if len(together) <= MAX_REPLY:  # one message: one notification, read in one go
            return Reply.text(together, options=options)
        return Reply.text(text("did_you_mean", options=lines, where="下一条"), brief,
                          options=options)
    return no_answer(msg, ctx)


def with_offer(reply: Reply, ctx: Context) -> Reply:
    """A first useful answer, with the one-time offer to subscribe to events."""
    offer = offer_once(ctx)
    if not offer:
        return reply
    texts = list(reply.texts)
    if len(texts[-1]) + len(offer) + 1 <= MAX_REPLY:
        texts[-1] = f"{texts[-1]}\n{offer}"
    else:
        texts.append(offer)
    return Reply(tuple(texts), reply.options, reply.handler, reply.meta)


def no_answer(msg: Incoming, ctx: Context) -> Reply:
    """Nothing fits: record the question for staff (not a number, "好的" or "你好") and offer
    a person."""
    if filler(msg.text) is None and scope.smalltalk(msg.text) is None:
        ctx.session.add(UnansweredQuestion(user_id=ctx.user.user_id,
                                           question=scrub(msg.text)[:1000], asked_at=ctx.now,
                                           status="open"))
    return Reply.text(text("no_answer"), options=())


def entry_reply(entry, ctx: Context) -> Reply:  # type: ignore[no-untyped-def]
    """The rendered answer; "1" then shows the detail when there is one."""
    if entry.id == DISTRICT_CONTACT and district_contact(ctx):
        return Reply.text(district_contact(ctx), options=())
    options = (f"kb-detail:{entry.id}",) if entry.detail else ()
    return Reply.text(render_answer(entry), options=options)


def district_contact(ctx: Context) -> str:
    """The office's address and phone as staff configured them ("" when they are not set)."""
    district = ctx.services.settings.district
    if not (district.office_address or district.office_phone):
        return ""
    parts = [f"地址：{district.office_address}" if district.office_address else "",
             f"电话：{district.office_phone}" if district.office_phone else "",
             f"服务时间：{district.staff_hours}" if district.staff_hours else ""]
    return (f"{district.office_name}的联系方式（由区里工作人员维护）："
            + "；".join(p for p in parts if p)
            + "。\n也可以回复“人工”，请工作人员联系您；回复“菜单”看其他服务。")


def find_entry(kb, entry_id: str):  # type: ignore[no-untyped-def]
    """The entry with this id, or None (entries may have been edited since the list was sent)."""
    return next((e for e in kb.entries if e.id == entry_id), None)


def show_entry(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """Action `kb:<id>`: the answer the person picked from "您是想问"."""
    entry = find_entry(ctx.services.kb, argument)
    return entry_reply(entry, ctx) if entry else no_answer(msg, ctx)


def show_detail(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """Action `kb-detail:<id>`: the longer answer behind "回复1查看详细"."""
    entry = find_entry(ctx.services.kb, argument)
    if entry is None or not entry.detail:
        return no_answer(msg, ctx)
    return Reply.text(render_detail(entry), options=())
