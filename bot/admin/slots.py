"""A slot in the console: add one or a weekly pattern, the roster with the needs people stated
(decrypted, the view audited), attendance, cancellation that tells everyone booked. The same
functions as `python -m bot slots ...` (db/slots.py, db/booking.py, bot/slot_cancel.py)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for

from bot.admin import actor, services
from bot.admin.bookings import blueprint, index, slot_form
from bot.admin.forms import ActionForm
from bot.admin.service_forms import ReasonForm
from bot.slot_cancel import cancel_and_tell
from db.audit import audit
from db.booking import BookingRefused, find_booking, mark_attendance
from db.models import Service
from db.service_figures import ACTOR_NAMES, STATUS_NAMES
from db.slots import SlotError, add_slot, describe, get_slot, roster, weekly_starts


def _errors(form: Any) -> str:
    return "；".join(e for errors in form.errors.values() for e in errors)


@blueprint.post("/slots")
def add() -> object:
    """Add one slot, or every week on the ticked days until the date given (all or nothing);
    a refusal shows the form again as filled in, each problem next to its field."""
    bot = services()
    zone, now = ZoneInfo(bot.settings.bot.timezone), bot.clock()
    with bot.sessions.begin() as db:
        form = slot_form(db)
    if not form.validate_on_submit():
        flash("没有添加：请按标出的提示改正，其他填好的内容都还在。")
        return index(form)
    first = form.start.data.replace(tzinfo=zone)
    try:
        starts = [first]
        if form.weekly.data or form.until.data:
            if not form.weekly.data:
                raise SlotError("每周重复要选星期几（或把“重复到哪一天”清空）", "weekly")
            if not form.until.data:
                raise SlotError("每周重复要填“重复到哪一天”（或不选星期几）", "until")
            starts = [s for s in weekly_starts(first, form.weekly.data, form.until.data, zone)
                      if s > now]
        if not starts or starts[0] <= now:
            raise SlotError("开始时间已经过去，请填写以后的时间", "start")
        with bot.sessions.begin() as db:
            ids = [add_slot(db, service_id=form.service.data, starts_at=start,
                            minutes=form.minutes.data, capacity=form.capacity.data,
                            place=form.place.data, now=now).id for start in starts]
    except SlotError as exc:
        field = getattr(form, exc.field, None) or form.start
        field.errors = [*field.errors, f"{exc}。"]
        flash("没有添加：请按标出的提示改正，其他填好的内容都还在。")
        return index(form)
    flash(f"已添加 {len(ids)} 个时段。")
    return redirect(url_for("admin_bookings.index"))


@blueprint.get("/slots/<int:slot_id>")
def show(slot_id: int) -> str:
    """Who is booked, with their needs (personal data: the view is audited)."""
    bot = services()
    zone = ZoneInfo(bot.settings.bot.timezone)
    with bot.sessions.begin() as db:
        try:
            slot = get_slot(db, slot_id)
        except SlotError:
            abort(404)
        service = db.get(Service, slot.service_id)
        lines = [(line.ref, line.name, line.phone, line.needs,
                  STATUS_NAMES.get(line.status, line.status),
                  ACTOR_NAMES.get(line.actor, line.actor)) for line in roster(db, slot_id)]
        info = {"id": slot.id, "what": describe(slot, service, zone), "place": slot.place,
                "taken": slot.taken, "capacity": slot.capacity, "status": slot.status,
                "reason": slot.cancel_reason, "started": slot.starts_at <= bot.clock()}
        audit(db, "view_roster", actor=actor(), now=bot.clock(), subject_hash="",
              detail=f"时段 #{slot_id}：{len(lines)} 人")
    return render_template("admin/slot.html", s=info, lines=lines, cancel=ReasonForm())


@blueprint.post("/slots/<int:slot_id>/attendance")
def attendance(slot_id: int) -> object:
    """Mark one booking attended or no-show (a mark can be corrected)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    ref, attended = request.form.get("ref", ""), request.form.get("attended") == "1"
    bot = services()
    with bot.sessions.begin() as db:
        booking = find_booking(db, ref)
        if booking is None or booking.slot_id != slot_id:
            abort(404)
        try:
            mark_attendance(db, booking, attended=attended, now=bot.clock())
        except BookingRefused:
            flash(f"预约 {booking.ref} 已取消或改约，不能标记。")
            return redirect(url_for("admin_bookings.show", slot_id=slot_id))
        ref = booking.ref
    flash(f"预约 {ref} 已标记为{'已到场' if attended else '未到场'}。")
    return redirect(url_for("admin_bookings.show", slot_id=slot_id) + f"#b-{ref}")


@blueprint.post("/slots/<int:slot_id>/cancel")
def cancel(slot_id: int) -> object:
    """Cancel the slot with a reason; everyone booked is told at once."""
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("没有取消：" + _errors(form))
        return redirect(url_for("admin_bookings.show", slot_id=slot_id))
    try:
        told = cancel_and_tell(services(), slot_id, form.reason.data)
    except SlotError as exc:
        flash(f"没有取消：{exc}")
        return redirect(url_for("admin_bookings.show", slot_id=slot_id))
    flash(f"时段已取消，已通知 {told} 位预约的人。")
    return redirect(url_for("admin_bookings.show", slot_id=slot_id))

