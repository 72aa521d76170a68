"""Welcome and menu: the first thing a person sees, and the way back from anywhere."""

from __future__ import annotations

from datetime import timedelta

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.texts import text

MENU_ACTIONS = ("menu:policy", "menu:register", "menu:booking", "menu:subscribe", "menu:handoff")


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


def menu(msg: Incoming, ctx: Context) -> Reply:
    """菜单: leave any form and show the menu."""
    ctx.conversation.state = None
    ctx.data.clear()
    return menu_reply()
