"""The handoffs inbox: people waiting for a person, urgent first; the conversation so far; a
reply that reaches the person through message/send; closing with an outcome."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from bot.admin import actor, services
from bot.admin.forms import CloseForm, ReplyForm
from bot.masking import mask_user
from db.audit import audit
from db.handoffs import (REASONS, HandoffError, close_handoff, conversation, reply_to_handoff,
                         waiting_handoffs)
from db.kf import is_customer
from db.models import Handoff

blueprint = Blueprint("admin_handoffs", __name__, url_prefix="/admin/handoffs",
                      template_folder="templates")
STATUS_NAMES = {"open": "等待回复", "answered": "已回复", "closed": "已关闭"}


@blueprint.get("/")
def index() -> str:
    """Handoffs not closed: urgent first, then those nobody answered, then oldest."""
    with services().sessions.begin() as db:
        rows = [(h.id, h.urgent, REASONS.get(h.reason, h.reason), STATUS_NAMES[h.status],
                 h.created_at, _who(h.user_id or "")) for h in waiting_handoffs(db)]
    return render_template("admin/handoffs.html", rows=rows)


def _who(user_id: str) -> str:
    """The masked user, and the channel when it is 微信客服 (staff answer there in WeCom)."""
    return mask_user(user_id) + ("（微信客服）" if is_customer(user_id) else "")


@blueprint.get("/<int:handoff_id>")
def show(handoff_id: int) -> str:
    """One handoff with the conversation so far (personal data: the view is audited)."""
    bot = services()
    with bot.sessions.begin() as db:
        handoff = db.get(Handoff, handoff_id) or abort(404)
        lines = conversation(db, handoff.user_id) if handoff.user_id else []
        audit(db, "view_handoff", actor=actor(), now=bot.clock(),
              subject_hash=bot.cipher.keyed_hash(handoff.user_id or ""),
              detail=f"转人工 #{handoff.id}")
        info = {"id": handoff.id, "urgent": handoff.urgent, "user": handoff.user_id,
                "reason": REASONS.get(handoff.reason, handoff.reason),
                "status": STATUS_NAMES[handoff.status], "closed": handoff.status == "closed",
                "created_at": handoff.created_at, "recent": handoff.recent,
                "answered": (handoff.answered_by, handoff.answered_at),
                "outcome": handoff.outcome}
    return render_template("admin/handoff.html", h=info, lines=lines, reply=ReplyForm(),
                           close=CloseForm())


@blueprint.post("/<int:handoff_id>/reply")
def reply(handoff_id: int) -> object:
    """Send staff's answer to the person; it goes out at once (the outbox retries failures)."""
    form = ReplyForm()
    bot = services()
    if not form.validate_on_submit():
        flash("没有发送：" + "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(url_for("admin_handoffs.show", handoff_id=handoff_id))
    try:
        with bot.sessions.begin() as db:
            ids = reply_to_handoff(db, bot.sender, handoff_id, form.text.data, by=actor(),
                                   now=bot.clock())
    except HandoffError as exc:
        flash(f"没有发送：{exc}")
        return redirect(url_for("admin_handoffs.show", handoff_id=handoff_id))
    sent = bot.sender.deliver(ids)
    flash("回复已发送。" if sent == len(ids) else "回复已排队，企业微信暂时没有接收，系统会自动重试。")
    return redirect(url_for("admin_handoffs.show", handoff_id=handoff_id))


@blueprint.post("/<int:handoff_id>/close")
def close(handoff_id: int) -> object:
    """Close with an outcome."""
    form = CloseForm()
    bot = services()
    if form.validate_on_submit():
        try:
            with bot.sessions.begin() as db:
                close_handoff(db, handoff_id, form.outcome.data, by=actor(), now=bot.clock())
            flash(f"转人工 #{handoff_id} 已关闭，结果：{form.outcome.data}。")
            return redirect(url_for("admin_handoffs.index"))
        except HandoffError as exc:
            flash(f"没有关闭：{exc}")
    return redirect(url_for("admin_handoffs.show", handoff_id=handoff_id))
