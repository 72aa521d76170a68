"""Failures an operator can see: WeCom's errors in the log, the outbox in /healthz, and never a
secret in any log, also not at DEBUG inside the URLs urllib3 and werkzeug print."""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from bot.logs import configure
from bot.sender import Sender
from bot.services import build_services
from db.models import OutboundMessage
from tests.conftest import TEST_DATA_KEY, make_settings
from tests.dialog import say

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 (DEBUG|INFO|WARNING|ERROR) \S+ ")


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """The bot's own log configuration at DEBUG, written to a buffer; put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in ("urllib3", "werkzeug")}
    configure("DEBUG")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    for name, level in noisy.items():
        logging.getLogger(name).setLevel(level)


def test_no_secret_reaches_any_log_at_debug(chat, bot_log, caplog, simulator):
    caplog.set_level(logging.DEBUG)
    services = chat.services
    services.client.session.delete(services.client.access_token_key)  # a token fetch, logged
    say(chat, "secret-check", "残疾人就业服务有哪些")
    say(chat, "secret-check", "人工")  # a handoff: a staff notice through message/send
    services.sender.send_text("secret-check", "一条主动发送的消息")
    w = services.settings.wecom
    secrets = [w.secret, w.token, w.encoding_aes_key, TEST_DATA_KEY, *simulator[0].tokens]
    logged = bot_log.getvalue()
    assert "gettoken" in logged and "message/send" in logged  # urllib3 lines were written
    assert "corpsecret=***" in logged and "access_token=***" in logged
    for text in (logged, caplog.text):
        for secret in secrets:
            assert secret not in text
    assert all(LINE.match(line) for line in logged.splitlines()), logged[:2000]


@pytest.fixture
def fixed_clock(services: Any, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """services.clock stopped at one instant."""
    now = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(services, "clock", lambda: now)
    return now


def test_healthz_shows_waiting_and_failed_messages(app, services, fixed_clock):
    with services.sessions.begin() as session:
        session.add_all([
            OutboundMessage(user_id="u1", text="a", status="pending", attempts=1,
                            created_at=fixed_clock - timedelta(minutes=10)),
            OutboundMessage(user_id="u1", text="b", status="pending", attempts=0,
                            created_at=fixed_clock - timedelta(minutes=1)),
            OutboundMessage(user_id="u2", text="c", status="failed", attempts=1, errcode=60020,
                            created_at=fixed_clock - timedelta(hours=2)),
            OutboundMessage(user_id="u2", text="d", status="failed", attempts=1,
                            created_at=fixed_clock - timedelta(days=3)),
            OutboundMessage(user_id="u3", text="e", status="sent", attempts=1,
                            created_at=fixed_clock - timedelta(days=1))])
    body = app.test_client().get("/healthz").json
    assert body["status"] == "ok"
    assert body["outbox"] == {"pending": 2, "oldest_pending_seconds": 600, "failed_last_24h": 1}


def test_a_staff_notice_that_cannot_be_delivered_is_a_warning_and_shows_in_healthz(
        chat, app, simulator, caplog):
    caplog.set_level(logging.INFO)
    simulator[0].fail_next(60020)
    say(chat, "wants-a-person", "人工")
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.name == "bot.sender"
    message = warning.getMessage()
    assert message.startswith("staff notice NOT DELIVERED, gave up")
    assert "errcode=60020" in message and "errmsg=simulated failure" in message
    assert "staff01" not in message  # users are masked in logs
    assert app.test_client().get("/healthz").json["outbox"]["failed_last_24h"] == 1


@pytest.mark.parametrize("errcode", [60020, 40014, 48002])
def test_every_failed_send_is_logged_with_wecoms_errcode(chat, simulator, caplog, errcode):
    caplog.set_level(logging.INFO)
    simulator[0].fail_next(*[errcode] * (2 if errcode == 40014 else 1))  # 40014: retried once
    chat.services.sender.send_text("someone", "你好")
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"errcode={errcode} errmsg=simulated failure" in warning
    assert warning.startswith("send ")


def test_a_refused_connection_is_logged_with_its_cause(database, caplog):
    caplog.set_level(logging.INFO)
    services = build_services(make_settings(database, "http://127.0.0.1:1"), with_bot=False)
    try:
        sender = Sender(services.client, services.sessions)
        sender.send_text("someone", "你好")
    finally:
        services.engine.dispose()
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("send failed, will retry")
    assert "errcode=None errmsg=ConnectionError: " in warning
    assert "refused" in warning.lower()
    assert "test-secret" not in warning and "corpsecret" not in warning
