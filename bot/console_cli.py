"""Commands for console accounts and for answering people without the console:
`admin create-user|reset-password`, `handoffs reply|close`, `unanswered list`."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from typing import Any

from sqlalchemy import select

from bot.settings import ConfigError
from db.handoffs import HandoffError, close_handoff, reply_to_handoff
from db.models import UnansweredQuestion
from db.staff_users import AccountError, admin_exists, create_user, find_user, set_password

DEMO_ADMIN = "demo-admin"


def new_password() -> str:
    """BOT_ADMIN_PASSWORD, else asked for twice on the terminal."""
    given = os.environ.get("BOT_ADMIN_PASSWORD")
    if given:
        return given
    if not sys.stdin.isatty():
        raise AccountError("没有密码：请设置 BOT_ADMIN_PASSWORD，或在终端中运行以输入密码")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再输入一次："):
        raise AccountError("两次输入的密码不一样")
    return first


def admin_command(services: Any, action: str, name: str, role: str) -> str:
    """create-user NAME --role staff|admin, or reset-password NAME; returns the name."""
    password = new_password()
    with services.sessions.begin() as session:
        if action == "create-user":
            create_user(session, name, password, role, now=services.clock())
        else:
            set_password(session, name, password, now=services.clock())
    return name.strip()


def require_admin(services: Any) -> None:
    """Outside demo mode the console needs an admin account before the service starts."""
    with services.sessions.begin() as session:
        if not admin_exists(session):
            raise ConfigError("[console] no admin account: run `python -m bot admin create-user "
                              "NAME --role admin` first")


def demo_admin(services: Any) -> str:
    """Create (or give a fresh password to) the demo admin; returns the password."""
    password = secrets.token_urlsafe(12)
    with services.sessions.begin() as session:
        if find_user(session, DEMO_ADMIN) is None:
            create_user(session, DEMO_ADMIN, password, "admin", now=services.clock())
        else:
            set_password(session, DEMO_ADMIN, password, now=services.clock())
    return password


def handoff_command(services: Any, action: str, handoff_id: int, text: str,
                    outcome: str) -> str:
    """handoffs reply ID "..." (sent at once) or handoffs close ID --outcome X."""
    by = f"cli:{getpass.getuser()}"
    with services.sessions.begin() as session:
        if action == "reply":
            ids = reply_to_handoff(session, services.sender, handoff_id, text, by=by,
                                   now=services.clock())
        else:
            close_handoff(session, handoff_id, outcome, by=by, now=services.clock())
    if action == "close":
        return f"handoff {handoff_id} closed: {outcome}"
    sent = services.sender.deliver(ids)
    state = "sent" if sent == len(ids) else "queued (WeCom did not take it; retried later)"
    return f"reply to handoff {handoff_id} {state}"


def unanswered_list(services: Any) -> str:
    """Open unanswered questions grouped by similarity, most asked first."""
    from knowledge.base import KnowledgeBase
    from knowledge.editing import group_questions

    with services.sessions.begin() as session:
        rows = session.execute(select(UnansweredQuestion.id, UnansweredQuestion.question)
                               .where(UnansweredQuestion.status == "open")
                               .order_by(UnansweredQuestion.id)).all()
    groups = group_questions(rows, KnowledgeBase.load().analyzer)
    lines = [f"{g.count}× {g.question}" + (f"  （相似：{'；'.join(g.examples[1:])}）"
                                           if len(g.examples) > 1 else "") for g in groups]
    lines.append(f"{len(rows)} unanswered questions in {len(groups)} groups")
    return "\n".join(lines)


__all__ = ["AccountError", "HandoffError", "admin_command", "demo_admin", "handoff_command",
           "require_admin", "unanswered_list"]
