"""Events and notices: create, edit (a published event's change tells people), publish (urgent
or not), cancel with a reason. The same functions as `python -m bot events ...` (db/events.py,
bot/broadcast.py); sign-ups and each notice's delivery are in bot/admin/notices.py."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from sqlalchemy.orm import Session

from bot.admin import services
from bot.admin.dashboard import CARDS, Card
from bot.admin.service_forms import EventForm, PublishForm, ReasonForm
from bot.broadcast import Broadcaster
from db.events import (FIELDS, EventError, cancel_event, change_event, create_event, get_event,
                       list_events, publish_event, upcoming)
from db.notices import deliveries
from db.service_figures import events_in, year_bounds

blueprint = Blueprint("admin_events", __name__, url_prefix="/admin/events",
                      template_folder="templates")
STATE_NAMES = {"draft": "草稿（未发布）", "published": "已发布", "changed": "已发布（有变更）",
               "cancelled": "已取消", "finished": "已结束"}
SEND_NOW = 5  # batches of up to 1,000 sent in the request; the scheduler sends the rest


def events_card(db: Session, bot: Any) -> Card:
    """Open events still to come, the next one named; this year's attendance as marked."""
    zone = ZoneInfo(bot.settings.bot.timezone)
    coming = upcoming(db, now=bot.clock(), limit=10_000)
    lines = ("没有将要举办的活动",)
    if coming:
        start = coming[0].start_at.astimezone(zone)
        lines = (f"最近：{coming[0].title}（{start:%m月%d日 %H:%M}）",)
    held = events_in(db, *year_bounds(bot.clock().astimezone(zone).year, zone))
    lines += (f"今年活动到场：居民 {held['residents_attended']} 人次"
              f"（报名 {held['residents']}），用人单位 {held['employers_attended']} 家",)
    return Card("将要举办的活动", f"{len(coming)} 个", lines, ("admin_events.index", "管理活动"))


CARDS.append(events_card)


NOT_SAVED = "没有保存：请按标出的提示改正，其他填好的内容都还在。"


def place_errors(form: EventForm, exc: EventError) -> None:
    """Each problem next to its field (the whole message under the title when it names none)."""
    for name, message in (exc.fields or {"title": str(exc)}).items():
        field = getattr(form, name, None) or form.title
        field.errors = [*field.errors, message + "。"]
    flash(NOT_SAVED)


def send_now() -> None:
    """Send the queued notices now, as `events publish` does (the scheduler finishes the rest)."""
    Broadcaster(services()).run(max_batches=SEND_NOW)


def _values(form: EventForm) -> dict[str, Any]:
    """The form's event fields, local times → UTC, empty text → None."""
    zone = ZoneInfo(services().settings.bot.timezone)
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(form, name).data
        if isinstance(value, datetime):
            value = value.replace(tzinfo=zone).astimezone(timezone.utc)
        elif isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    values["employers_allowed"] = bool(form.employers_allowed.data)
    return values


@blueprint.get("/")
def index() -> str:
    """Every event, soonest first."""
    with services().sessions.begin() as db:
        rows = [(e.id, e.kind, e.title, e.start_at, STATE_NAMES.get(e.status, e.status),
                 e.taken, e.capacity) for e in list_events(db)]
    return render_template("admin/events.html", rows=rows)


@blueprint.route("/new", methods=["GET", "POST"])
def new() -> object:
    """A new draft event."""
    form = EventForm()
    if form.validate_on_submit():
        bot = services()
        try:
            with bot.sessions.begin() as db:
                event_id = create_event(db, now=bot.clock(), **_values(form)).id
            flash("活动已保存为草稿。检查无误后请点“发布并通知订阅的人”。")
            return redirect(url_for("admin_events.show", event_id=event_id))
        except EventError as exc:
            place_errors(form, exc)
    elif form.errors:
        flash(NOT_SAVED)
    return render_template("admin/event_new.html", form=form)


@blueprint.route("/<int:event_id>", methods=["GET", "POST"])
def show(event_id: int) -> object:
    """One event: its state, the edit form, publish, cancel, its notices' delivery."""
    bot = services()
    zone = ZoneInfo(bot.settings.bot.timezone)
    with bot.sessions.begin() as db:
        event = event_or_404(db, event_id)
        local = {n: getattr(event, n) for n in FIELDS}
        for name in ("start_at", "end_at", "deadline_at"):
            if local[name] is not None:
                local[name] = local[name].astimezone(zone).replace(tzinfo=None)
        info = {"id": event.id, "title": event.title, "status": event.status,
                "state": STATE_NAMES.get(event.status, event.status), "taken": event.taken,
                "reason": event.cancel_reason, "editable": event.status not in
                ("cancelled", "finished")}
        notices = [(n.id, n.kind, n.created_at, n.urgent, counts)
                   for n, counts in deliveries(db, event_id)]
    form = EventForm(data=local)
    if form.validate_on_submit() and info["editable"]:
        try:
            with bot.sessions.begin() as db:
                queued = change_event(db, event_id, now=bot.clock(),
                                      urgent=bool(form.urgent.data), **_values(form))
        except EventError as exc:
            place_errors(form, exc)
        else:
            if queued:
                send_now()
            flash("活动已修改。" + (f"变更通知已发给 {queued} 人。" if queued else ""))
            return redirect(url_for("admin_events.show", event_id=event_id))
    if form.errors:
        flash(NOT_SAVED)
    return render_template("admin/event.html", e=info, form=form, publish=PublishForm(),
                           cancel=ReasonForm(), notices=notices)


def _act(event_id: int, step: Callable[..., int], failed: str, done: str,
         **arguments: Any) -> object:
    """Run publish_event or cancel_event, send what it queued now, say how it went."""
    bot = services()
    try:
        with bot.sessions.begin() as db:
            queued = step(db, event_id, now=bot.clock(), **arguments)
    except EventError as exc:
        flash(f"{failed}{exc}")
    else:
        if queued:
            send_now()
        flash(done.format(queued))
    return redirect(url_for("admin_events.show", event_id=event_id))


@blueprint.post("/<int:event_id>/publish")
def publish(event_id: int) -> object:
    """Publish a draft: the notice goes to everyone subscribed to its kind."""
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(event_id, publish_event, "没有发布：", "活动已发布，通知已排队发给 {} 位订阅的人。",
                urgent=bool(form.urgent.data))


@blueprint.post("/<int:event_id>/cancel")
def cancel(event_id: int) -> object:
    """Cancel with a reason: subscribers and everyone signed up are told."""
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("没有取消：" + "；".join(e for errs in form.errors.values() for e in errs))
        return redirect(url_for("admin_events.show", event_id=event_id))
    return _act(event_id, cancel_event, "没有取消：", "活动已取消，取消通知发给 {} 人。",
                reason=form.reason.data, urgent=bool(form.urgent.data))


def event_or_404(db: Session, event_id: int) -> Any:
    """The event, or a 404 page."""
    try:
        return get_event(db, event_id)
    except EventError:
        abort(404)


import bot.admin.notices  # noqa: E402,F401  (sign-ups and delivery on this blueprint)
