"""Greetings, thanks, "are you a robot", insults, things out of scope, and people in distress."""

from __future__ import annotations

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.common import notify_staff, open_form
from handlers.greeting import menu_reply
from handlers.texts import text
from knowledge import scope

OUT_OF_SCOPE_TEXTS = {"medical": "out_of_scope_medical", "other_city": "out_of_scope_other_city",
                      "other_person_data": "out_of_scope_personal_data"}


def is_distress(msg: Incoming, ctx: Context) -> bool:
    """Self-harm, violence or abuse spoken of: answered before anything else."""
    return msg.kind == "text" and scope.distress(msg.text)


def distress(msg: Incoming, ctx: Context) -> Reply:
    """A warm, short reply; an urgent handoff to staff; the emergency numbers."""
    notify_staff(ctx, reason="distress", urgent=True, message=msg)
    ctx.conversation.state = None
    ctx.data.clear()  # an open form ends here, and its answers with it
    return Reply.text(text("distress"), options=())


def is_smalltalk(msg: Incoming, ctx: Context) -> bool:
    """A greeting, thanks, goodbye, "who are you", "what can you do" or an insult."""
    return msg.kind == "text" and scope.smalltalk(msg.text) is not None


def chat(msg: Incoming, ctx: Context) -> Reply:
    """Answer small talk; greetings and "what can you do" get the menu."""
    kind = scope.smalltalk(msg.text)
    if kind in ("greeting", "capabilities"):
        return menu_reply(text("greeting") if kind == "greeting" else text("welcome"))
    if kind == "insult":
        return Reply.text(text("insult"), options=())
    return Reply.text(text({"thanks": "thanks", "goodbye": "goodbye"}.get(kind or "",
                                                                         "who_are_you")))


def is_insult(msg: Incoming, ctx: Context) -> bool:
    """Predicate: the message is only an insult (any state, so a form never stores it)."""
    return msg.kind == "text" and scope.smalltalk(msg.text) == "insult"


def insult(msg: Incoming, ctx: Context) -> Reply:
    """A calm reply offering 人工 and 菜单; an open form stays where it was."""
    form = open_form(ctx)
    if form is None:
        return Reply.text(text("insult"), options=())
    return Reply.text(text("insult"), f"您的{form.title}还在，可以接着回答：\n"
                      + form.current_question(ctx), options=())


def is_out_of_scope(msg: Incoming, ctx: Context) -> bool:
    """Weather, medicine, stocks, other cities, someone else's data, ..."""
    return msg.kind == "text" and scope.out_of_scope(msg.text) is not None


def out_of_scope(msg: Incoming, ctx: Context) -> Reply:
    """A short, polite "I can't", what the bot can do, and a person."""
    kind = scope.out_of_scope(msg.text) or ""
    return Reply.text(text(OUT_OF_SCOPE_TEXTS.get(kind, "out_of_scope")), options=())
