"""Console accounts: hashed passwords, roles, and the lock-out after repeated failed logins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.models import LoginAttempt, StaffUser

ROLES = ("staff", "admin")
ROLE_NAMES = {"staff": "工作人员", "admin": "管理员"}
MIN_PASSWORD = 10
MAX_FAILURES, LOCKOUT = 5, timedelta(minutes=15)
# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message is one line for people."""


def check_password(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")


def create_user(session: Session, username: str, password: str, role: str, *,
                now: datetime) -> StaffUser:
    """A new account; AccountError when the name is taken or the role/password is bad."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("用户名不能为空、不能有空格，最多 64 个字符")
    if role not in ROLES:
        raise AccountError(f"角色只能是 {' 或 '.join(ROLES)}")
    check_password(password)
    if find_user(session, username) is not None:
        raise AccountError(f"用户名 {username} 已存在")
    user = StaffUser(username=username, password_hash=generate_password_hash(password),
                     role=role, active=True, created_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str, *,
                 now: datetime) -> StaffUser:
    """Replace a user's password (and lift a lock-out: the failures before it stop counting)."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"没有用户 {username}")
    check_password(password)
    user.password_hash = generate_password_hash(password)
    session.add(LoginAttempt(username=user.username, ok=True, at=now))
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    """The account with this name, or None."""
    return session.scalars(select(StaffUser).where(StaffUser.username == username)).first()


def users(session: Session) -> Sequence[StaffUser]:
    """Every account, by name."""
    return session.scalars(select(StaffUser).order_by(StaffUser.username)).all()


def admin_exists(session: Session) -> bool:
    """Whether an active admin account exists (the console refuses to start without one)."""
    return session.scalar(select(func.count()).select_from(StaffUser)
                          .where(StaffUser.role == "admin", StaffUser.active)) > 0


def locked_out(session: Session, username: str, *, now: datetime) -> bool:
    """MAX_FAILURES failed logins within LOCKOUT since the last success lock the name."""
    last_ok = session.scalar(select(func.max(LoginAttempt.at))
                             .where(LoginAttempt.username == username, LoginAttempt.ok))
    since = max(now - LOCKOUT, last_ok) if last_ok else now - LOCKOUT
    failures = session.scalar(select(func.count()).select_from(LoginAttempt)
                              .where(LoginAttempt.username == username,
                                     LoginAttempt.ok.is_(False), LoginAttempt.at > since))
    return failures >= MAX_FAILURES


def authenticate(session: Session, username: str, password: str, *,
                 now: datetime) -> tuple[StaffUser | None, str]:
    """(user, "") on success, else (None, reason): "locked" or "invalid". Records the try."""
    username = username.strip()[:64]
    if locked_out(session, username, now=now):
        return None, "locked"
    user = find_user(session, username)
    good = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    ok = bool(user and user.active and good)
    session.add(LoginAttempt(username=username, ok=ok, at=now))
    if not ok:
        return None, "locked" if locked_out(session, username, now=now) else "invalid"
    user.last_login_at = now
    return user, ""
