"""From an inbound message to a handler: small predicates, first match wins.

Order of precedence (see handlers/__init__.py for the table itself):
1. `urgent` routes (a person in distress) before anything else;
2. `interrupts`: the universal commands (菜单, 返回, 取消, 人工, ...) in every state;
3. the open form, if the user is in one, gets the message;
4. a numbered answer ("2", "第二个") picks from the last numbered list sent;
5. `routes`, in order; the last one should always match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.messages import Incoming, Reply
from db.state import ConversationState, Loaded, UserState


class Form(Protocol):
    """A multi-step conversation (handlers/forms.py implements it)."""

    name: str

    def handle(self, msg: Incoming, ctx: Context) -> Reply | None:
        """Answer the message inside the form; None lets the router try the other routes."""


@dataclass
class Context:
    """What a handler may use: the services, the open transaction, the user and their state."""

    services: Any  # bot.app.Services; typed loosely so handlers/ need not import Flask code
    open_session: Callable[[], Session]  # see `session`
    user: UserState  # written back by the pipeline after the handler
    conversation: ConversationState  # likewise, with a version check
    now: datetime
    data: dict[str, Any] = field(default_factory=dict)
    previous_seen_at: datetime | None = None  # None: the user's first message

    @classmethod
    def of(cls, services: Any, open_session: Callable[[], Session], loaded: Loaded,
           now: datetime) -> Context:
        """The context of one message, from the state the pipeline read."""
        return cls(services, open_session, loaded.user, loaded.conversation, now,
                   json.loads(loaded.conversation.data), loaded.previous_seen_at)

    @property
    def session(self) -> Session:
        """The message's write transaction (begun at its first statement). The session is
        made when a handler first asks for it: most answers never touch the database."""
        return self.open_session()

    @property
    def today(self) -> date:
        """Today's date where the people are (settings.bot.timezone), not UTC's."""
        return self.now.astimezone(ZoneInfo(self.services.settings.bot.timezone)).date()

    @property
    def options(self) -> list[str]:
        """The actions behind the last numbered list sent to this user."""
        return list(json.loads(self.conversation.options or "[]"))

    def remember(self, reply: Reply) -> None:
        """Keep what the next message needs: the numbered list, the last prompt, form data."""
        conv = self.conversation
        if reply.options is not None:
            conv.options = json.dumps(list(reply.options), ensure_ascii=False)
        if reply.texts:
            conv.last_prompt = reply.texts[-1]
        conv.data = json.dumps(self.data, ensure_ascii=False)


Predicate = Callable[[Incoming, Context], bool]
Handler = Callable[[Incoming, Context], Reply]


@dataclass(frozen=True)
class Route:
    """A predicate and the handler it leads to."""

    when: Predicate
    handler: Handler


@dataclass
class Router:
    """Dispatch an Incoming to the first matching route; see the module docstring."""

    routes: list[Route]
    urgent: list[Route] = field(default_factory=list)
    interrupts: list[Route] = field(default_factory=list)
    forms: dict[str, Form] = field(default_factory=dict)
    actions: dict[str, Callable[[str, Incoming, Context], Reply]] = field(default_factory=dict)
    choose: Callable[[str, list[str]], int | None] | None = None

    def dispatch(self, msg: Incoming, ctx: Context) -> Reply:
        """Find the handler for `msg` and return its reply (remembered in the conversation)."""
        reply = self._route(msg, ctx)
        if not reply.meta.get("erased"):  # after erasure there is no conversation to keep
            ctx.remember(reply)
        return reply

    def _route(self, msg: Incoming, ctx: Context) -> Reply:
        for route in self.urgent + self.interrupts:
            if route.when(msg, ctx):
                return _named(route.handler(msg, ctx), route.handler)
        form = self.forms.get((ctx.conversation.state or "").split(":")[0])
        if form is not None and msg.kind == "text":
            reply = form.handle(msg, ctx)
            if reply is not None:
                return reply.with_handler(f"form.{form.name}")
        picked = self.pick_option(msg, ctx)
        if picked is not None:
            return picked
        for route in self.routes:
            if route.when(msg, ctx):
                return _named(route.handler(msg, ctx), route.handler)
        raise LookupError("no route matched: the route table needs a catch-all")

    def pick_option(self, msg: Incoming, ctx: Context) -> Reply | None:
        """A numbered answer to the last list: run the chosen action."""
        options = ctx.options
        if msg.kind != "text" or not options or self.choose is None:
            return None
        index = self.choose(msg.text, options)
        if index is None:
            return None
        return self.run_action(options[index], msg, ctx)

    def run_action(self, action: str, msg: Incoming, ctx: Context) -> Reply:
        """Run an action string such as "menu:policy" or "kb:m1-agencies"."""
        prefix, _, argument = action.partition(":")
        handler = self.actions[prefix]
        return _named(handler(argument, msg, ctx), handler)


def _named(reply: Reply, handler: Callable[..., Reply]) -> Reply:
    module = handler.__module__.rsplit(".", 1)[-1]
    return reply.with_handler(f"{module}.{handler.__name__}")
