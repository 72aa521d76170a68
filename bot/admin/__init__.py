"""The staff console at /admin/: accounts and roles, sessions, CSRF, then one blueprint per
domain (dashboard, handoffs, registrations, bookings, events, knowledge, exports).

Security lives here, before any view: login required (Flask-Login), the session ends after
`[console] idle_minutes` without a request, every POST carries a CSRF token (Flask-WTF),
admin pages answer 403 to staff. Views that show or export personal data write an audit row.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta
from functools import wraps
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import (Blueprint, Flask, Request, abort, current_app, flash, redirect, request,
                   session, url_for)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from db.models import StaffUser

csrf = CSRFProtect()
OPEN_ENDPOINTS = {"admin_auth.login", "admin_static.static"}
# The blueprints of the console, in menu order: (blueprint module, menu label, admin only).
SECTIONS = (("bot.admin.dashboard", "首页", False), ("bot.admin.handoffs", "转人工", False),
            ("bot.admin.registrations", "就业登记", False), ("bot.admin.bookings", "服务与预约", False),
            ("bot.admin.events", "活动与通知", False), ("bot.admin.knowledge", "知识库", False),
            ("bot.admin.exports", "导出与报告", False), ("bot.admin.auth", "账号与审计", True))


class ConsoleSessions(SecureCookieSessionInterface):
    """The console's signed cookie sessions; WeCom's callbacks (every message) open none."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/wecom/"):
            return None  # Flask's null session: nothing read, signed or set
        return super().open_session(app, request)


class ConsoleUser(UserMixin):
    """The logged-in account as the views see it (no password hash)."""

    def __init__(self, row: StaffUser) -> None:
        self.id, self.username, self.role = row.id, row.username, row.role
        self._stamp = row.password_hash[-12:]  # a new password ends every older session

    def get_id(self) -> str:
        return f"{self.id}.{self._stamp}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def services() -> Any:
    """The bot's Services of this app."""
    return current_app.extensions["bot"]


def actor() -> str:
    """Who is acting, for audit rows and records."""
    return current_user.username if current_user.is_authenticated else "anonymous"


def admin_required(view: Callable) -> Callable:
    """Admin pages: 403 for staff."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def init_console(app: Flask) -> None:
    """Mount the console on the app: settings, Flask-Login, CSRF, the blueprints."""
    from importlib import import_module

    bot = app.extensions["bot"]
    settings = bot.settings
    app.config.update(
        SECRET_KEY=hmac.new(bot.cipher.keyed_hash("console-session-key").encode(),
                            b"flask", hashlib.sha256).hexdigest(),
        SESSION_COOKIE_SECURE=not settings.bot.demo, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="console_session",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.console.idle_minutes),
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=False)
    app.session_interface = ConsoleSessions()
    csrf.init_app(app)
    manager = LoginManager(app)
    manager.login_view = "admin_auth.login"
    manager.login_message = "请先登录。"
    manager.user_loader(_load_user)
    app.before_request(_guard)
    zone = ZoneInfo(settings.bot.timezone)
    app.jinja_env.filters["local"] = lambda t, f="%Y-%m-%d %H:%M": (
        t.astimezone(zone).strftime(f) if t else "")
    app.register_blueprint(Blueprint("admin_static", __name__, static_folder="static",
                                     static_url_path="/admin/static"))
    menu = []
    for module, label, admin_only in SECTIONS:
        blueprint = import_module(module).blueprint
        app.register_blueprint(blueprint)
        menu.append((f"{blueprint.name}.index", label, admin_only))
    app.jinja_env.globals["console_menu"] = menu
    for code in ERRORS:
        app.register_error_handler(code, _error_page)


# The console's refusals in Chinese: what happened, what to do (other paths keep Flask's).
ERRORS = {400: ("请求没有完成", "页面可能已经过期，或表单不完整。请刷新页面，重新填写后再提交一次。"),
          403: ("没有权限", "这个页面只有管理员能用。需要时请联系管理员。"),
          404: ("找不到这个页面", "它可能已被删除，或编号不对。请从菜单重新进入。"),
          405: ("请求没有完成", "请从页面上的按钮或链接进入，不要直接输入地址。")}


def _error_page(error: Any) -> Any:
    """A Chinese page for 400/403/404/405 under /admin; elsewhere Flask's own answer."""
    code = getattr(error, "code", 500)
    if not request.path.startswith("/admin") or code not in ERRORS:
        return error
    from flask import render_template

    heading, advice = ERRORS[code]
    return render_template("admin/error.html", heading=heading, advice=advice), code


def _load_user(user_id: str) -> ConsoleUser | None:
    number, _, stamp = user_id.partition(".")
    with services().sessions.begin() as db:
        row = db.get(StaffUser, int(number)) if number.isdigit() else None
        if row is None or not row.active or row.password_hash[-12:] != stamp:
            return None
        return ConsoleUser(row)


def _guard() -> Any:
    """Before every console request: CSRF on POST, login, inactivity."""
    if not request.path.startswith("/admin"):
        return None
    if request.method == "POST":
        csrf.protect()  # 400 without a valid token
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    idle = services().settings.console.idle_minutes * 60
    now = time.time()
    if now - session.get("seen", now) > idle:
        logout_user()
        session.clear()
        flash("您已超过一段时间没有操作，为保护个人信息已自动退出，请重新登录。")
        return redirect(url_for("admin_auth.login", next=request.path))
    session["seen"] = now
    session.permanent = True
    return None
