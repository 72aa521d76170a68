"""Welcome and menu: the first thing a person sees, and the way back from anywhere."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.commands import normalize_command_text
from handlers.texts import text
from handlers.validators import parse_chinese_number

MENU_ACTIONS = ("menu:policy", "menu:register", "menu:booking", "menu:subscribe", "menu:handoff")
ACKS = frozenset({"好", "好的", "好吧", "好嘞", "好滴", "嗯", "嗯好", "哦", "噢", "喔", "行", "行吧",
                  "可以", "收到", "知道了", "知道", "明白", "明白了", "了解", "懂了", "ok", "okay",
                  "是", "是的", "对", "对的", "没事", "没事了", "没问题", "哦哦", "噢噢"})


def menu_reply(*before: str) -> Reply:
    """The numbered main menu, after any texts given."""
    return Reply.text("\n".join((*before, text("menu"))), options=MENU_ACTIONS)


def welcome(msg: Incoming, ctx: Context) -> Reply:
    """On subscribe: welcome, the menu and the privacy note; sending resumes if it had stopped."""
    ctx.user.unsubscribed_at = None
    ctx.user.welcomed_at = ctx.now
    return menu_reply(text("welcome"), text("privacy_note"))


def enter_agent(msg: Incoming, ctx: Context) -> Reply:
    """Opening the chat: welcome only on a first visit or after a long absence."""
    away = timedelta(days=ctx.services.settings.conversation.welcome_again_after_days)
    last = ctx.user.welcomed_at
    if last is not None and ctx.previous_seen_at is not None and \
            ctx.now - ctx.previous_seen_at < away:
        return Reply.text()
    return welcome(msg, ctx)


def unsubscribe(msg: Incoming, ctx: Context) -> Reply:
    """The member left the app: remember it, say nothing, send nothing more."""
    ctx.user.unsubscribed_at = ctx.now
    return Reply.text()


def hello(msg: Incoming, ctx: Context) -> Reply:
    """A greeting gets a greeting and the menu."""
    return menu_reply(text("greeting"))


def _number(word: str) -> bool:
    return word.isdigit() or parse_chinese_number(word) is not None


def filler(text_: str) -> str | None:
    """What a message that asks nothing is: "number", "ack" (好的, 嗯), "bare" (one
    character, punctuation or emoji only), else None. Never a question for staff."""
    word = normalize_command_text(text_)
    if _number(word):
        return "number"
    if word in ACKS or re.sub(r"(.)\1+", r"\1", word) in ACKS:
        return "ack"
    return "bare" if len(word) <= 1 else None


def is_filler(msg: Incoming, ctx: Context) -> bool:
    """Predicate: a bare number, "好的", "嗯", a single character (no list picked it)."""
    return msg.kind == "text" and filler(msg.text) is not None


def nudge(msg: Incoming, ctx: Context) -> Reply:
    """No question in it: the menu, politely; a number beyond an open list says the range."""
    kind = filler(msg.text)
    count = len(ctx.options)
    if kind == "number" and count:  # the list stays open: the person may try again
        where = "1" if count == 1 else f"1到{count}之间的数字"
        return Reply.text(text("idle_number_in_list", where=where))
    return menu_reply(text(f"idle_{kind}"))


def menu(msg: Incoming, ctx: Context) -> Reply:
    """菜单: leave any form and show the menu."""
    ctx.conversation.state = None
    ctx.data.clear()
    return menu_reply()
