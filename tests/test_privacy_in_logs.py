"""Logs: whole conversations logged at DEBUG show no personal data and no secret.

The logs are configured as the entry points configure them (`bot.logs.configure`), at DEBUG,
and captured from the root logger while a person registers, looks at and corrects 我的信息,
asks for a person (人工) and a message to staff fails to send.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

import pytest

from bot.logs import configure
from tests.conftest import TEST_DATA_KEY, logging_put_back
from tests.dialog import certificate, register, say

USER = "log-owner-7f3a9c"
NAME, NEW_NAME = "上官文静", "东方晓雨"
CERT = certificate("12010519790615123", "3", "2")
PHONE = "13612345678"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The production log set-up at DEBUG, captured; the test runner's logging put back."""
    with logging_put_back():
        configure("DEBUG")
        logging.getLogger().addHandler(caplog.handler)
        caplog.handler.setLevel(logging.DEBUG)
        yield caplog


def secrets_of(services: Any) -> list[str]:
    """Everything that must never reach a log line."""
    w, key = services.settings.wecom, services.settings.security.data_key
    return [USER, NAME, NEW_NAME, CERT, CERT[:18], CERT[6:14], PHONE, PHONE[3:],
            w.token, w.encoding_aes_key, w.secret, key, TEST_DATA_KEY]


def test_a_whole_conversation_leaves_no_personal_data_or_secret_in_the_logs(
        chat: Any, services: Any, debug_logs: pytest.LogCaptureFixture) -> None:
    register(chat, USER, name=NAME, cert=CERT, phone=PHONE)
    assert NAME in say(chat, USER, "我的信息")
    say(chat, USER, "1")
    say(chat, USER, "1")
    say(chat, USER, NEW_NAME)
    assert "已更新之前的登记" in say(chat, USER, "确认")
    say(chat, USER, f"我叫{NAME}，电话{PHONE}，证号{CERT}，帮我看看")  # typed in free text
    chat.state.fail_next(45009)  # the notice to staff meets a passing error ...
    assert "工作人员" in say(chat, USER, "人工")
    chat.state.fail_next(60020)  # ... then a permanent one (another person: one open each)
    assert "工作人员" in say(chat, f"{USER}-2", "转人工")

    messages = [record.getMessage() for record in debug_logs.records]
    assert any("user=" in m and "errcode=45009" in m for m in messages)  # it was logged
    assert any("NOT DELIVERED" in m and "errcode=60020" in m for m in messages)
    assert any("handler=form.register" in m for m in messages)
    text = "\n".join(messages + [debug_logs.text])
    leaked = [secret for secret in secrets_of(services) if secret in text]
    assert leaked == []
