"""Shared helpers for conversation tests: the reply rules, scripted dialogs, made-up people."""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

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


def run(chat: Any, user: str, lines: Sequence[str], *, check: bool = True) -> list[list[str]]:
    """Send each line as `user`; return the replies to each line (reply rules checked)."""
    turns = []
    for line in lines:
        replies = chat.send(user, line)
        if check:
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
