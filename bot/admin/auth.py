"""Login, logout, accounts (admins only) and the audit log (admins only)."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from bot.admin import ConsoleUser, actor, admin_required, services
from bot.admin.forms import ActionForm, LoginForm, PasswordForm, UserForm
from bot.masking import mask_user
from db import audit as audit_log
from db.staff_users import (LOCKOUT, AccountError, authenticate, create_user, find_user,
                            set_password, users)

log = logging.getLogger(__name__)
blueprint = Blueprint("admin_auth", __name__, url_prefix="/admin", template_folder="templates")


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> object:
    """The login form; a locked-out name is refused even with the right password."""
    form = LoginForm()
    if form.validate_on_submit():
        bot = services()
        with bot.sessions.begin() as db:
            user, why = authenticate(db, form.username.data, form.password.data,
                                     now=bot.clock())
            account = ConsoleUser(user) if user else None
        if account is None:
            log.warning("console login refused user=%s reason=%s",
                        mask_user(form.username.data), why)
            minutes = int(LOCKOUT.total_seconds() // 60)
            form.password.errors = [
                f"登录失败次数过多，此账号已暂时锁定，请 {minutes} 分钟后再试或请管理员重设密码。"
                if why == "locked" else "用户名或密码不正确。"]
            return render_template("admin/login.html", form=form), 401
        session.clear()  # a fresh session: nothing from before the login survives
        login_user(account)
        log.info("console login user=%s", mask_user(account.username))
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/admin/") else url_for("admin_home.index"))
    return render_template("admin/login.html", form=form)


@blueprint.post("/logout")
def logout() -> object:
    """Log out (a POST with the CSRF token, so no other site can log anyone out)."""
    logout_user()
    session.clear()
    flash("已退出登录。")
    return redirect(url_for("admin_auth.login"))


@blueprint.route("/users", methods=["GET", "POST"])
@admin_required
def index() -> object:
    """Accounts: list, add."""
    form = UserForm()
    bot = services()
    if form.validate_on_submit():
        try:
            with bot.sessions.begin() as db:
                create_user(db, form.username.data, form.password.data, form.role.data,
                            now=bot.clock())
            flash(f"已添加账号 {form.username.data.strip()}。")
            return redirect(url_for("admin_auth.index"))
        except AccountError as exc:
            form.username.errors = [str(exc)]
    with bot.sessions.begin() as db:
        rows = [(u.id, u.username, u.role, u.active, u.last_login_at) for u in users(db)]
    return render_template("admin/users.html", form=form, rows=rows,
                           password_form=PasswordForm(), action=ActionForm())


@blueprint.post("/users/<username>/password")
@admin_required
def reset_password(username: str) -> object:
    """Set a new password (also lifts a lock-out)."""
    form = PasswordForm()
    bot = services()
    if form.validate_on_submit():
        try:
            with bot.sessions.begin() as db:
                set_password(db, username, form.password.data, now=bot.clock())
            flash(f"已重设 {username} 的密码。")
        except AccountError as exc:
            flash(f"没有重设：{exc}")
    return redirect(url_for("admin_auth.index"))


@blueprint.post("/users/<username>/active")
@admin_required
def toggle_active(username: str) -> object:
    """Disable or enable an account (never one's own)."""
    if username == current_user.username:
        flash("不能停用自己的账号。")
        return redirect(url_for("admin_auth.index"))
    with services().sessions.begin() as db:
        user = find_user(db, username)
        if user is not None:
            user.active = not user.active
            flash(f"已{'启用' if user.active else '停用'}账号 {username}。")
    return redirect(url_for("admin_auth.index"))


@blueprint.get("/audit")
@admin_required
def audit() -> str:
    """Who viewed or exported personal data, newest first."""
    with services().sessions.begin() as db:
        rows = [(r.at, r.actor, audit_log.ACTION_NAMES.get(r.action, r.action), r.detail)
                for r in audit_log.recent(db)]
    return render_template("admin/audit.html", rows=rows, who=actor())
