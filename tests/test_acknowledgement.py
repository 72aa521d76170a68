"""WeCom is told "received" (an empty 200) only for a message that is recorded, and a
re-delivery of a message already recorded gets no second reply, and a reply whose response
never reached WeCom (the connection was gone) goes through message/send, never nowhere.

A locked database (SQLite's write lock, or a PostgreSQL table lock, held by another
connection) stands in for a slow one; a client that hangs up before reading stands in for
WeCom's client timing out.
"""

from __future__ import annotations

import http.client
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

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


@contextmanager
def served(app: Any) -> Iterator[tuple[str, int]]:
    """The app behind a real HTTP server on a free port (werkzeug's, threaded)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def post_and_hang_up(address: tuple[str, int], query: str, body: bytes) -> None:
    """Send a callback as WeCom does, then close the connection without reading the answer
    (WeCom's client timing out)."""
    head = (f"POST /wecom/callback?{query} HTTP/1.1\r\nHost: {address[0]}\r\n"
            f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n")
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(head.encode() + body)


def test_a_reply_whose_connection_was_dropped_arrives_once_through_message_send(
        chat, services, simulator):
    query, body = chat.peer.text("ack-dropped", "你好")
    with served(chat.app) as address:
        post_and_hang_up(address, query, body)
        deadline = time.monotonic() + 20
        while not simulator[0].sent_to("ack-dropped") and time.monotonic() < deadline:
            time.sleep(0.05)
    services.pipeline.wait_idle(30)
    sent = [m["content"] for m in simulator[0].sent_to("ack-dropped")]
    assert len(sent) == 1 and "政策咨询" in sent[0]
    assert outbox(services, "ack-dropped") == [("sent", sent[0])]
    # WeCom's retry of the same callback: no second reply, no second record.
    for _ in range(2):
        retry = chat.post(query, body)
        assert (retry.status_code, retry.get_data()) == (200, b"")
    assert len(simulator[0].sent_to("ack-dropped")) == 1
    assert count(services, InboundMessage, user_id="ack-dropped") == 1


def test_a_reply_the_server_could_not_write_arrives_through_message_send(
        chat, services, simulator):
    query, body = chat.peer.text("ack-unwritten", "你好")
    environ = EnvironBuilder(path="/wecom/callback", query_string=query, method="POST",
                             data=body, content_type="application/xml").get_environ()
    response = chat.app(environ, lambda status, headers: None)
    assert chat.peer.read_reply(next(iter(response)))  # the server took the body ...
    response.close()  # ... the write failed (a broken pipe) and it gave up
    services.pipeline.wait_idle(30)
    sent = [m["content"] for m in simulator[0].sent_to("ack-unwritten")]
    assert len(sent) == 1 and outbox(services, "ack-unwritten") == [("sent", sent[0])]
    retry = chat.post(query, body)
    assert (retry.status_code, retry.get_data()) == (200, b"")
    assert len(simulator[0].sent_to("ack-unwritten")) == 1


def test_a_reply_read_in_full_is_not_sent_again(chat, services, simulator):
    query, body = chat.peer.text("ack-read", "你好")
    with served(chat.app) as address:
        connection = http.client.HTTPConnection(*address, timeout=10)
        connection.request("POST", f"/wecom/callback?{query}", body=body,
                           headers={"Content-Type": "application/xml"})
        answer = connection.getresponse()
        reply = chat.peer.read_reply(answer.read())
        connection.close()
    services.pipeline.wait_idle(30)
    assert reply and outbox(services, "ack-read") == [("passive", reply)]
    assert simulator[0].sent_to("ack-read") == []


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
