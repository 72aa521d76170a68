"""The console refuses what it must: anonymous requests, POSTs without a CSRF token, staff on
admin pages, locked-out users, idle sessions; passwords and personal data stay out of logs."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.__main__ import main
from db.models import AuditLog, LoginAttempt
from tests.console import PASSWORDS, add_accounts, https_client, logged_in, login, token
from tests.dialog import certificate, register, rows

PAGES = ("/admin/", "/admin/handoffs/", "/admin/registrations/", "/admin/knowledge/",
         "/admin/exports/", "/admin/users", "/admin/audit", "/admin/registrations/1")


@pytest.fixture
def console(app: Any, services: Any) -> Any:
    """The app with an admin (boss) and a staff member (clerk)."""
    add_accounts(services)
    return app


def test_anonymous_requests_are_sent_to_the_login_page(console: Any) -> None:
    client = https_client(console)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.location.startswith("/admin/login?next="), page
    form = client.get("/admin/login").get_data(as_text=True)
    assert all(f'name="{name}"' in form for name in ("username", "password", "csrf_token"))


def test_a_post_without_the_csrf_token_is_refused(console: Any) -> None:
    client = https_client(console)
    refused = client.post("/admin/login", data={"username": "boss",
                                                "password": PASSWORDS["boss"]})
    assert refused.status_code == 400
    client = logged_in(console, "boss")
    for path in ("/admin/logout", "/admin/handoffs/1/close", "/admin/exports/registrations.csv",
                 "/admin/users"):
        assert client.post(path, data={"outcome": "已解决"}).status_code == 400, path
    assert client.get("/admin/").status_code == 200  # still logged in: nothing happened


def test_staff_may_not_open_admin_pages(console: Any) -> None:
    client = logged_in(console, "clerk")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    created = client.post("/admin/users", data={"username": "mole", "role": "admin",
                                                "password": "x" * 12,
                                                "csrf_token": token(client, "/admin/")})
    assert created.status_code == 403
    assert "账号与审计" not in client.get("/admin/").get_data(as_text=True)


def test_five_failed_logins_lock_the_account_until_an_admin_resets_it(console: Any,
                                                                      services: Any) -> None:
    client = https_client(console)
    for _ in range(5):
        assert login(client, "clerk", "wrong-password").status_code == 401
    refused = login(client, "clerk")  # the right password, too late
    assert refused.status_code == 401
    assert "锁定" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    with services.sessions.begin() as session:  # the refused try never checked a password
        tries = session.scalars(select(LoginAttempt.ok).where(LoginAttempt.username == "clerk"))
        assert list(tries) == [False] * 5

    admin = logged_in(console, "boss")
    reset = admin.post("/admin/users/clerk/password",
                       data={"password": "a-new-password-1", "csrf_token": token(admin,
                                                                                 "/admin/users")})
    assert reset.status_code == 302
    assert login(https_client(console), "clerk", "a-new-password-1").status_code == 302


def test_sessions_end_after_the_idle_time_and_cookies_are_guarded(console: Any) -> None:
    client = https_client(console)
    response = login(client, "boss")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60  # [console] idle_minutes = 30
    expired = client.get("/admin/")
    assert expired.status_code == 302 and expired.location.startswith("/admin/login")
    assert client.get("/admin/").status_code == 302  # logged out, not only redirected once


def test_views_and_exports_of_personal_data_are_audited_and_never_logged(
        console: Any, chat: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cert = certificate("12010519880808123", "4", "2")
    register(chat, "audited-user", name="欧阳明远", cert=cert, phone="13812345678")
    client = logged_in(console, "boss")
    login(https_client(console), "clerk", "wrong-password-x")
    detail = client.get("/admin/registrations/1").get_data(as_text=True)
    assert "欧阳明远" in detail and "13812345678" in detail
    export = client.post("/admin/exports/registrations.csv",
                         data={"csrf_token": token(client, "/admin/exports/")})
    assert "欧阳明远" in export.get_data(as_text=True)
    audit = [(r.action, r.actor) for r in rows(chat, AuditLog)]
    assert ("view_registration", "boss") in audit and ("export_csv", "boss") in audit
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "查看登记详情" in page and "导出登记（CSV）" in page
    logged = caplog.text
    for secret in (PASSWORDS["boss"], "wrong-password-x", "欧阳明远", "13812345678", cert):
        assert secret not in logged, secret


def test_serve_refuses_to_start_without_an_admin(staff_cli: Any,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["serve"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("configuration error: [console]") and "admin create-user" in error
    monkeypatch.setenv("BOT_ADMIN_PASSWORD", "first-admin-pass")
    assert main(["admin", "create-user", "first", "--role", "admin"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "first"
    assert main(["admin", "create-user", "first", "--role", "admin"]) == 1
    assert "已存在" in capsys.readouterr().err
    monkeypatch.setenv("BOT_ADMIN_PASSWORD", "short")
    assert main(["admin", "reset-password", "first"]) == 1
    monkeypatch.setattr("os.execvp", lambda *args: (_ for _ in ()).throw(SystemExit(0)))
    with pytest.raises(SystemExit):
        main(["serve"])  # the checks pass: it goes on to exec gunicorn
