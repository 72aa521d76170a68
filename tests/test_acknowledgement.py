"""WeCom is told "received" (an empty 200) only for a message that is recorded, and a
re-delivery of a message already answered gets the same reply again, never nothing.

A locked database (SQLite's write lock, or a PostgreSQL table lock, held by another
connection) stands in for a slow one; a response thrown away stands in for a dropped one.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from db.models import Handoff, InboundMessage, OutboundMessage
from db.session import make_engine, read_session
from tests.dialog import outbox


@contextmanager
def write_lock(database: str) -> Iterator[None]:
    """Hold the database's write lock from another connection (as a long transaction would)."""
    url = make_url(database)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = make_engine(database)
    with engine.connect() as connection:
        connection.execute(text("LOCK TABLE inbound_messages IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def budget(services: Any, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Set bot.passive_reply_seconds for this test."""
    settings = services.settings
    bot = replace(settings.bot, passive_reply_seconds=seconds)
    monkeypatch.setattr(services, "settings", replace(settings, bot=bot))


def count(services: Any, model: Any, **where: Any) -> int:
    """How many rows of `model` match (read without the write lock)."""
    with read_session(services.sessions) as session:
        return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_callback_during_a_locked_database_is_not_acknowledged_unrecorded(
        chat, services, database, simulator, monkeypatch):
    budget(services, monkeypatch, 0.2)
    query, body = chat.peer.text("ack-locked", "人工")
    with write_lock(database):
        response = chat.client.post(f"/wecom/callback?{query}", data=body)
        recorded = count(services, InboundMessage, user_id="ack-locked")
    # An empty 200 tells WeCom "received": only allowed once the message is recorded.
    assert (response.status_code, recorded) != (200, 0)
    assert response.status_code == 503 and recorded == 0
    services.pipeline.wait_idle(30)  # the lock is gone: the first attempt finishes
    retry = chat.post(query, body)  # WeCom tries again after a non-200 answer
    assert retry.status_code == 200
    assert count(services, InboundMessage, user_id="ack-locked") == 1
    assert count(services, Handoff, user_id="ack-locked") == 1
    replies = chat.replies("ack-locked", retry)
    assert len(replies) == 1 and "工作人员" in replies[0]


def test_a_dropped_passive_reply_arrives_with_wecoms_retry(chat, services, simulator):
    query, body = chat.peer.text("ack-dropped", "你好")
    first = chat.post(query, body)  # the response never reaches WeCom
    reply = chat.peer.read_reply(first.get_data())
    assert reply
    retry = chat.post(query, body)
    assert retry.status_code == 200
    assert chat.peer.read_reply(retry.get_data()) == reply
    assert simulator[0].sent_to("ack-dropped") == []
    assert count(services, InboundMessage, user_id="ack-dropped") == 1
    assert outbox(services, "ack-dropped") == [("passive", reply)]


def test_a_reply_already_sent_through_message_send_is_not_sent_again(
        chat, services, simulator, monkeypatch):
    budget(services, monkeypatch, 0.2)
    query, body = chat.peer.text("ack-sent", "人工")
    with write_lock(chat.services.settings.database.url):
        chat.client.post(f"/wecom/callback?{query}", data=body)
    services.pipeline.wait_idle(30)
    assert [status for status, _ in outbox(services, "ack-sent")] == ["sent"]
    for _ in range(2):
        retry = chat.post(query, body)
        assert (retry.status_code, retry.get_data()) == (200, b"")
    assert len(simulator[0].sent_to("ack-sent")) == 1
    assert count(services, OutboundMessage, user_id="ack-sent") == 1
