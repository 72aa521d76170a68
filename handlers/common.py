"""The commands that work in every state (取消, 返回, 人工, 帮助, 重复), other types, fallback."""

from __future__ import annotations

from bot.masking import scrub
from bot.messages import Incoming, Reply
from bot.router import Context
from db.handoffs import join_open_handoff, open_handoff
from handlers.commands import parse_command
from handlers.greeting import menu_reply
from handlers.subscriptions import show as show_subscriptions
from handlers.texts import text


def cancel(msg: Incoming, ctx: Context) -> Reply:
    """取消 / 退出: end whatever is open."""
    ctx.conversation.state = None
    ctx.data.clear()
    return Reply.text(text("cancelled"), options=())


def open_form(ctx: Context):  # type: ignore[no-untyped-def]
    """The form the user is in, or None."""
    return ctx.services.router.forms.get((ctx.conversation.state or "").partition(":")[0])


def back(msg: Incoming, ctx: Context) -> Reply:
    """返回: one step back in a form; outside a form, the menu."""
    form = open_form(ctx)
    if form is not None:
        return form.back(ctx)
    return menu_reply(text("nothing_to_go_back"))


def help_(msg: Incoming, ctx: Context) -> Reply:
    """帮助: how to talk to the bot (返回, 取消, 人工 …); in a form, then its question again."""
    form = open_form(ctx)
    if form is None:
        return Reply.text(text("help"))
    return Reply.text(text("help"), f"您的{form.title}还在，可以接着回答：\n"
                      + form.current_question(ctx), options=())


def repeat(msg: Incoming, ctx: Context) -> Reply:
    """重复 / 再说一遍: the last message again (its numbered list stays valid); after a brief
    re-prompt in a form ("请回复1同意，2不同意"), the whole question it stands for."""
    form = open_form(ctx)
    last = (form.repeat_text(ctx) if form is not None else None) or ctx.conversation.last_prompt
    return Reply.text(last or text("nothing_to_repeat"))


def handoff(msg: Incoming, ctx: Context) -> Reply:
    """人工: record a handoff, tell the staff at once, tell the person honestly when."""
    notify_staff(ctx, reason="request", urgent=False, message=msg)
    reply = text("handoff", hours=staff_hours_line(ctx))
    form = open_form(ctx)
    if form is not None:  # nothing is lost: the form stays open where it was
        return Reply.text(reply, f"您的{form.title}已保存，可以接着回答：\n"
                          + form.current_question(ctx), options=())
    return Reply.text(reply, options=())


def notify_staff(ctx: Context, *, reason: str, urgent: bool, note: str = "",
                 message: Incoming | None = None) -> None:
    """Create the handoff record and queue a message to every configured staff member.

    One open handoff per person: a repeat joins it and notifies nobody again, unless it is
    urgent (distress: staff hear every time) or carries a note. `message`: the one being
    answered; staff see it (scrubbed) after the earlier ones.
    """
    latest = scrub(message.text) if message is not None and message.kind == "text" else None
    record = join_open_handoff(ctx.session, ctx.user.user_id, reason=reason, urgent=urgent,
                               latest=latest)
    if record is not None and not (urgent or note):
        return
    record = record or open_handoff(ctx.session, ctx.user.user_id, reason=reason,
                                    urgent=urgent, now=ctx.now, latest=latest)
    # Staff need the real WeCom user id to answer; it is masked only in logs.
    notice = text("handoff_staff_notice", user=ctx.user.user_id,
                  urgent="（紧急）" if urgent else "", question=opening_question(record.recent),
                  recent=record.recent or "（无文字消息）")
    lines = "\n".join([notice, *([note] if note else []),
                       text("handoff_staff_how", id=record.id)])
    for staff in ctx.services.settings.wecom.handoff_staff:
        ctx.services.sender.enqueue(ctx.session, staff, lines, urgent=urgent,
                                    about_user=ctx.user.user_id)


def opening_question(recent: str) -> str:
    """The person's own words that led to the handoff: the latest message that is not a
    command (人工, 菜单 ...) or a bare option number; "（未留言）" when there is none."""
    for line in reversed(recent.splitlines()):
        if line.strip() and parse_command(line) is None and not line.strip().isdigit():
            return line.strip()
    return "（未留言）"


def staff_hours_line(ctx: Context) -> str:
    """When staff answer, from the settings; never a made-up time."""
    hours = ctx.services.settings.district.staff_hours
    return text("handoff_hours", staff_hours=hours) if hours else text("handoff_no_hours")


def unsupported_media(msg: Incoming, ctx: Context) -> Reply:
    """Voice, image, video, file, link: say what the bot can do with text; offer 人工."""
    return Reply.text(text("unsupported_media"))


def location(msg: Incoming, ctx: Context) -> Reply:
    """A shared location: not used yet; ask in words."""
    return Reply.text(text("unsupported_location"))


def silent(msg: Incoming, ctx: Context) -> Reply:
    """Events that need no answer (view, location reports, batch results, ...)."""
    return Reply.text()


def menu_action(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """A choice from the main menu (by number, by menu click or by card button)."""
    if argument == "show":
        return menu_reply()
    if argument == "policy":
        return Reply.text(text("ask_policy"), options=())
    if argument == "handoff":
        return handoff(msg, ctx)
    registered = ctx.services.router.forms.get(argument)
    if registered is not None:
        return registered.start(msg, ctx)  # type: ignore[attr-defined]
    if argument == "subscribe":
        return show_subscriptions(msg, ctx)
    return menu_reply()  # an action from an old list or button: show what there is


def start_service(name: str):  # type: ignore[no-untyped-def]
    """A handler that starts service `name` (register, booking, levy) as the menu does."""
    def start(msg: Incoming, ctx: Context) -> Reply:
        return menu_action(name, msg, ctx)
    start.__name__ = f"start_{name}"
    return start


def fallback(msg: Incoming, ctx: Context) -> Reply:
    """Nothing else matched: say so politely, offer the menu and a person."""
    return Reply.text(text("fallback"), options=("menu:show", "menu:handoff"))
