"""The route table: every handler is registered here, in one visible place."""

from __future__ import annotations

from bot.messages import Incoming, Reply
from bot.router import Context, Route, Router
from handlers import (booking, common, events, greeting, job_demand, levy_form, my_bookings,
                      my_data, policy, recruit, smalltalk, subscriptions)
from handlers.choices import NotAChoice, parse_choice
from handlers.commands import Command, parse_command
from handlers.intents import wants

MENU_LABELS = {"menu:policy": "政策咨询", "menu:register": "就业登记", "menu:booking": "服务预约",
               "menu:subscribe": "活动订阅", "menu:handoff": "人工服务", "menu:show": "菜单"}
MEDIA = {"image", "voice", "video", "shortvideo", "file", "link", "unknown"}


def command(*names: Command):  # type: ignore[no-untyped-def]
    """Predicate: the message is one of these universal commands, alone."""
    def predicate(msg: Incoming, ctx: Context) -> bool:
        return msg.kind == "text" and parse_command(msg.text) in names
    return predicate


def event(*names: str):  # type: ignore[no-untyped-def]
    """Predicate: an event of one of these kinds."""
    return lambda msg, ctx: msg.kind == "event" and msg.event in names


def kind(*names: str):  # type: ignore[no-untyped-def]
    """Predicate: a message of one of these types."""
    return lambda msg, ctx: msg.kind in names


def always(msg: Incoming, ctx: Context) -> bool:
    """Predicate: the catch-all."""
    return True


def choose(text: str, options: list[str]) -> int | None:
    """A numbered answer ("2", "第二个", "人工服务") to the last list, or None."""
    try:
        return parse_choice(text, [MENU_LABELS.get(o, o) for o in options])
    except NotAChoice:
        return None


def button(msg: Incoming, ctx: Context) -> Reply:
    """A custom-menu click or a card button: its EventKey is an action such as menu:policy."""
    router = ctx.services.router
    prefix = msg.event_key.partition(":")[0]
    if prefix in router.actions:
        return router.run_action(msg.event_key, msg, ctx)
    return greeting.menu_reply()


def build_router() -> Router:
    """All routes. Urgent and interrupts work in every state; otherwise first match wins."""
    return Router(
        urgent=[Route(smalltalk.is_distress, smalltalk.distress)],
        interrupts=[Route(command(Command.MENU), greeting.menu),
                    Route(command(Command.CANCEL), common.cancel),
                    Route(command(Command.BACK), common.back),
                    Route(command(Command.HANDOFF), common.handoff),
                    Route(command(Command.HELP), common.help_),
                    Route(command(Command.REPEAT), common.repeat),
                    Route(smalltalk.is_insult, smalltalk.insult),
                    Route(my_data.is_my_data, my_data.show),
                    Route(my_bookings.is_my_bookings, my_bookings.show),
                    Route(subscriptions.is_subscription, subscriptions.handle)],
        forms={"register": job_demand.FORM, "levy": levy_form.CALCULATOR,
               "booking": booking.FLOW, "recruit": recruit.FORM},
        choose=choose,
        actions={"menu": common.menu_action, "mydata": my_data.action, "kb": policy.show_entry,
                 "kb-detail": policy.show_detail, "booking": booking.action,
                 "sub": subscriptions.action, "evt": events.action},
        routes=[Route(event("subscribe"), greeting.welcome),
                Route(event("enter_agent"), greeting.enter_agent),
                Route(event("unsubscribe"), greeting.unsubscribe),
                Route(event("click", "template_card_event"), button),
                Route(kind("event"), common.silent),
                Route(kind("location"), common.location),
                Route(kind(*MEDIA), common.unsupported_media),
                Route(events.is_event_request, events.handle),
                Route(wants("register"), common.start_service("register")),
                Route(wants("booking"), booking.start),
                Route(wants("subscribe"), subscriptions.show),
                Route(wants("levy"), levy_form.start),
                Route(smalltalk.is_smalltalk, smalltalk.chat),
                Route(greeting.is_filler, greeting.nudge),
                Route(smalltalk.is_out_of_scope, smalltalk.out_of_scope),
                Route(kind("text"), policy.answer),
                Route(always, common.fallback)])
