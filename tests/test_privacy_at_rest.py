"""Encryption at rest: names, certificate and phone numbers are never stored in clear.

Two checks: the stored rows themselves, read with plain SQL on SQLite and PostgreSQL after a
registration and a correction through the webhook; and the models, so that a new column
holding personal data cannot be added without the `Encrypted` type.
"""

from __future__ import annotations

import re
from typing import Any

from db.crypto import Encrypted, EncryptedText
from db.models import Base, Conversation, OutboundMessage, Registration
from tests.dialog import certificate, find_in_database, register, rows, say

NAME, NEW_NAME = "欧阳明远", "司马青云"
CERT = certificate("12010519840229123", "4", "2")
PHONE, NEW_PHONE = "13812345678", "13900004321"

# Column names that suggest personal data: they must use the Encrypted type ...
PERSONAL = re.compile(r"name|certificate|cert|phone|mobile|tel|id_number|id_card|idcard|"
                      r"identity|address|email|birth|contact")
# ... unless listed here, with the reason why the value is not personal data in clear.
NOT_ENCRYPTED = {
    "registrations.certificate_hash": "a keyed HMAC of the number, for look-ups",
    "registrations.certificate_checked": "a yes/no flag",
    "registrations.birth_year": "the year only (age checks, statistics), never the date",
    "staff_users.username": "a staff member's console login name, not a resident's data",
    "login_attempts.username": "the login name typed at the console (for the lock-out)",
    "services.name": "the name of a bookable service (职业能力评估), not of a person",
    "leases.name": "the name of a scheduler lease (notices), not of a person",
}


def test_a_registration_and_its_correction_store_no_personal_data_in_clear(
        chat: Any, services: Any) -> None:
    user = "rest-owner"
    register(chat, user, name=NAME, cert=CERT, phone=PHONE)
    say(chat, user, "我的信息")
    assert NAME in say(chat, user, "1")  # the saved registration's summary shows the name ...
    assert find_in_database(services.engine, [NAME, CERT, PHONE]) == []  # ... never stored
    say(chat, user, "1")  # 姓名
    say(chat, user, NEW_NAME)
    say(chat, user, "修改")
    say(chat, user, "3")  # 联系电话
    say(chat, user, NEW_PHONE)
    assert "已更新之前的登记" in say(chat, user, "确认")
    [row] = rows(chat, Registration)  # decrypted through the model: the correction was kept
    assert (row.name, row.certificate, row.phone) == (NEW_NAME, CERT, NEW_PHONE)

    secrets = [NAME, NEW_NAME, CERT, CERT[:18], CERT[6:14], PHONE, NEW_PHONE]
    found = find_in_database(services.engine, secrets)
    assert found == [], found


def test_every_column_that_may_hold_personal_data_is_encrypted() -> None:
    suspects = {f"{table.name}.{column.name}": column
                for table in Base.metadata.sorted_tables for column in table.columns
                if PERSONAL.search(column.name)}
    plain = sorted(name for name, column in suspects.items()
                   if not isinstance(column.type, Encrypted) and name not in NOT_ENCRYPTED)
    assert plain == [], "personal data stored in clear: use db.crypto.Encrypted"
    # The allow-list names real columns only, so it cannot hide a renamed one.
    assert set(NOT_ENCRYPTED) <= set(suspects)
    assert {"registrations.name", "registrations.certificate", "registrations.phone"} <= {
        name for name, column in suspects.items() if isinstance(column.type, Encrypted)}


def test_the_columns_that_copy_the_bots_replies_are_sealed() -> None:
    # A reply may quote a name back (the summary to confirm, 我的信息): its copies too.
    for column in (OutboundMessage.__table__.c.text, Conversation.__table__.c.last_prompt):
        assert isinstance(column.type, EncryptedText), column
