"""Helpers for the staff console tests: accounts, a logged-in client, the CSRF token."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from db.staff_users import create_user
from knowledge.base import HERE

PASSWORDS = {"boss": "admin-pass-123", "clerk": "staff-pass-456"}
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def add_accounts(services: Any) -> None:
    """An admin `boss` and a staff member `clerk`."""
    with services.sessions.begin() as session:
        create_user(session, "boss", PASSWORDS["boss"], "admin", now=services.clock())
        create_user(session, "clerk", PASSWORDS["clerk"], "staff", now=services.clock())


def https_client(app: Any) -> Any:
    """A test client that speaks https (the session cookie is Secure outside demo mode)."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def token(client: Any, path: str = "/admin/login") -> str:
    """The CSRF token of the form on `path`."""
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: Any, name: str, password: str | None = None) -> Any:
    """Log in through the form; returns the response."""
    return client.post("/admin/login", data={"username": name,
                                             "password": password or PASSWORDS[name],
                                             "csrf_token": token(client)})


def logged_in(app: Any, name: str) -> Any:
    """A client logged in as `name`."""
    client = https_client(app)
    response = login(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def entries_copy(tmp_path: Path) -> Path:
    """A copy of the knowledge entries the console may change (the repository's stay as they are)."""
    folder = tmp_path / "entries"
    shutil.copytree(HERE / "entries", folder)
    return folder
