"""Shared helpers for conversation tests: the reply rules, scripted dialogs, made-up people."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import select

from db.models import InboundMessage, OutboundMessage
from handlers.validators import id_check_char

MAX_CHARS = 500
NEXT_STEP = re.compile(r"菜单|人工|返回|回复")
MARKUP = re.compile(r"\*\*|__|^#{1,6} |^\s*[-*] |```|<[a-zA-Z/][^>]*>|\[[^\]]*\]\([^)]*\)",
                    re.MULTILINE)


def assert_reply_rules(replies: Iterable[str]) -> None:
    """Every message: plain text, ≤ 500 characters, no tables; each turn ends with a next step.

    "Ends with what the person can do next": the last three lines of the turn's last message
    mention 菜单, 人工, 返回 or 回复 (a number or a word). A long answer split into two
    messages (a policy answer, then the question asked again) is judged by the last one;
    every message is checked for the other rules.
    """
    replies = list(replies)
    assert replies, "the person got no reply at all"
    for reply in replies:
        assert isinstance(reply, str) and reply.strip(), f"empty reply: {reply!r}"
        assert len(reply) <= MAX_CHARS, f"{len(reply)} characters (> {MAX_CHARS}): {reply!r}"
        assert "|" not in reply and "｜" not in reply, f"looks like a table: {reply!r}"
        assert not MARKUP.search(reply), f"markup in a plain-text reply: {reply!r}"
        assert "\t" not in reply, f"tab layout: {reply!r}"
    tail = "\n".join(replies[-1].strip().splitlines()[-3:])
    assert NEXT_STEP.search(tail), f"does not end with what to do next: {replies[-1]!r}"


def run(chat: Any, user: str, lines: Sequence[str]) -> list[list[str]]:
    """Send each line as `user`; return the replies to each line (reply rules checked)."""
    turns = []
    for line in lines:
        replies = chat.send(user, line)
        assert_reply_rules(replies)
        turns.append(replies)
    return turns


def say(chat: Any, user: str, line: str) -> str:
    """Send one line; return all the replies joined (reply rules checked)."""
    replies = chat.send(user, line)
    assert_reply_rules(replies)
    return "\n".join(replies)


def certificate(body: str = "12010519900307123", category: str = "4", grade: str = "1") -> str:
    """A made-up second-generation 残疾人证号 with a valid check digit."""
    return body + id_check_char(body) + category + grade


def last_prompt(chat: Any, user: str) -> str:
    """What the user was last asked (from the conversations row)."""
    from db.models import Conversation

    with chat.services.sessions.begin() as session:
        conversation = session.get(Conversation, user)
        return conversation.last_prompt if conversation else ""


def state_of(chat: Any, user: str) -> str | None:
    """The user's conversation state ("register:phone"), or None."""
    from db.models import Conversation

    with chat.services.sessions.begin() as session:
        conversation = session.get(Conversation, user)
        return conversation.state if conversation else None


# -- driving conversations to a given point -------------------------------------------------
REGISTRATION_WALK = (  # (what the user sends, the state it leads to), for a jobseeker
    ("我想登记找工作", "register:role"),
    ("1", "register:consent"),
    ("同意", "register:name"),
    ("欧阳明远", "register:certificate"),
    (certificate(), "register:certificate_ok"),
    ("对", "register:phone"),
    ("13812345678", "register:street"),
    ("1", "register:education"),
    ("3", "register:job_kinds"),
    ("1 3", "register:modes"),
    ("1", "register:skills"),
    ("会用电脑打字", "register:accessibility"),
    ("跳过", "register:__confirm"),
)
FAMILY_WALK = (
    ("就业登记", "register:role"),
    ("2", "register:relation"),
    ("1", "register:consent"),
)
LEVY_WALK = (
    ("算一下保障金", "levy:kind"),
    ("1", "levy:staff"),
    ("200", "levy:disabled"),
    ("1", "levy:wage"),
)


def walk(chat: Any, user: str, steps: Sequence[tuple[str, str | None]]) -> dict[str, dict]:
    """Send each line, check the state it leads to; return a snapshot taken in every state."""
    snapshots = {}
    for line, expected in steps:
        say(chat, user, line)
        assert state_of(chat, user) == expected, (line, state_of(chat, user), expected)
        snapshots[expected] = snapshot(chat, user)
    return snapshots


def register(chat: Any, user: str, *, name: str = "欧阳明远", cert: str | None = None,
             phone: str = "13812345678", family: bool = False) -> str:
    """A complete registration (the user must not have one open); returns the final reply."""
    say(chat, user, "我想登记找工作")
    if state_of(chat, user) == "register:role":
        say(chat, user, "2" if family else "1")
    if family and state_of(chat, user) == "register:relation":
        say(chat, user, "1")
    for line in ("同意", name, cert or certificate(), "对", phone, "1", "3", "1 3", "1", "跳过",
                 "跳过"):
        say(chat, user, line)
    assert state_of(chat, user) == "register:__confirm"
    done = say(chat, user, "确认")
    assert state_of(chat, user) is None
    return done


def snapshot(chat: Any, user: str) -> dict[str, Any]:
    """The user's conversation row and role, to put back later with `restore`."""
    from db.models import Conversation, User

    with chat.services.sessions.begin() as session:
        conversation = session.get(Conversation, user)
        return {"state": conversation.state, "data": conversation.data,
                "options": conversation.options, "last_prompt": conversation.last_prompt,
                "role": session.get(User, user).role}


def restore(chat: Any, user: str, saved: dict[str, Any], **changes: Any) -> None:
    """Put a snapshot back (as if the user had just been asked that question)."""
    from db.models import Conversation, User

    values = {**saved, **changes}
    with chat.services.sessions.begin() as session:
        conversation = session.get(Conversation, user)
        for key in ("state", "data", "options", "last_prompt"):
            setattr(conversation, key, values[key])
        conversation.updated_at = chat.services.clock()
        session.get(User, user).role = values["role"]


def outbox(services: Any, user: str) -> list[tuple[str, str]]:
    """(status, text) of every message recorded for `user`, in order."""
    with services.sessions.begin() as session:
        rows = session.execute(select(OutboundMessage.status, OutboundMessage.text)
                               .where(OutboundMessage.user_id == user)
                               .order_by(OutboundMessage.id)).all()
    return [tuple(r) for r in rows]


def handlers_of(services: Any, user: str) -> list[tuple[str, str]]:
    """(kind, handler) of the user's inbound rows, in order."""
    with services.sessions.begin() as session:
        rows = session.execute(select(InboundMessage.kind, InboundMessage.handler)
                               .where(InboundMessage.user_id == user)
                               .order_by(InboundMessage.id)).all()
    return [tuple(r) for r in rows]


def rows(chat: Any, model: Any, **where: Any) -> list[Any]:
    """Every row of `model` matching the keyword filters."""
    from sqlalchemy import select

    with chat.services.sessions.begin() as session:
        stmt = select(model).filter_by(**where).order_by(*model.__table__.primary_key.columns)
        return list(session.scalars(stmt).all())


@contextmanager
def another_app(database: str, simulator: Any, knowledge_base: Any, *,
                seen: dict[str, int] | None = None, clock: Any = None,
                **sections: dict[str, Any]) -> Iterator[Any]:
    """A second, independent app and Services on the same database (a restart, a worker)."""
    from bot.app import create_app
    from bot.services import build_services
    from bot.settings import LevySection
    from bot.simulator import WeComPeer
    from tests.conftest import Chat, make_settings

    state, api_base = simulator
    if seen is None:  # a fresh start: forget what earlier tests were sent
        state.reset()
    levy = sections.pop("levy", None)
    settings = make_settings(database, api_base, **sections)
    if levy is not None:  # built directly: bot/settings.py cannot coerce Mapping hints yet
        settings = replace(settings, levy=LevySection(
            city_average_wage={k: Decimal(v) for k, v in levy["city_average_wage"].items()},
            city_average_wage_source=dict(levy.get("city_average_wage_source", {}))))
    services = build_services(settings, kb=knowledge_base)
    if clock is not None:
        services.clock = clock
    w = services.settings.wecom
    chat = Chat(create_app(services=services), services, state,
                WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id),
                seen=dict(seen or {}))
    try:
        yield chat
    finally:
        services.pipeline.wait_idle()
        services.engine.dispose()
