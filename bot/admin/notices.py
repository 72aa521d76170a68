"""An event's sign-ups (decrypted, the view audited) with their attendance (marked per
sign-up, as a slot's roster marks bookings: db/event_attendance.py, the same function as
`events attendance`) and the retry of a notice's failed recipients; on the events blueprint."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for

from bot.admin import actor, services
from bot.admin.events import blueprint, event_or_404, send_now
from bot.admin.forms import ActionForm
from db.audit import audit
from db.event_attendance import STATE_NAMES, AttendanceError, mark, ref_of
from db.events import list_signups
from db.models import EventNotice
from db.notices import retry_failed
from db.service_figures import registered_as


@blueprint.get("/<int:event_id>/signups")
def signups(event_id: int) -> str:
    """Residents and employers signed up (personal data: the view is audited)."""
    bot = services()
    zone = ZoneInfo(bot.settings.bot.timezone)
    with bot.sessions.begin() as db:
        event = event_or_404(db, event_id)
        residents, employers = list_signups(db, event_id)
        names = registered_as(db, [r.user_id for r in residents])
        people = [(ref_of(r), r.user_id, names[r.user_id], r.created_at.astimezone(zone),
                   STATE_NAMES[r.attended]) for r in residents]
        firms = [(ref_of(e), e.company, e.credit_code, e.contact, e.phone, e.positions,
                  e.accommodations or "", e.created_at.astimezone(zone), STATE_NAMES[e.attended])
                 for e in employers]
        title, markable = event.title, event.status in ("published", "changed", "finished")
        audit(db, "view_signups", actor=actor(), now=bot.clock(), subject_hash="",
              detail=f"活动 #{event_id}：居民 {len(people)}，单位 {len(firms)}")
    return render_template("admin/signups.html", event_id=event_id, title=title,
                           people=people, firms=firms, markable=markable)


@blueprint.post("/<int:event_id>/attendance")
def attendance(event_id: int) -> object:
    """Mark one sign-up (resident R…, employer E…) come or not (a mark can be corrected)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    ref, attended = request.form.get("ref", ""), request.form.get("attended") == "1"
    bot = services()
    with bot.sessions.begin() as db:
        event_or_404(db, event_id)
    try:
        with bot.sessions.begin() as db:
            line = mark(db, event_id, ref, attended=attended, now=bot.clock(), by=actor())
    except AttendanceError as exc:
        flash(f"没有标记：{exc}")
        return redirect(url_for("admin_events.signups", event_id=event_id))
    flash(f"报名 {line.ref}（{line.kind}）已标记为{line.state}。")
    return redirect(url_for("admin_events.signups", event_id=event_id) + f"#s-{line.ref}")


@blueprint.post("/notices/<int:notice_id>/retry")
def retry(notice_id: int) -> object:
    """Queue a notice's failed recipients again and send them now."""
    if not ActionForm().validate_on_submit():
        abort(400)
    bot = services()
    with bot.sessions.begin() as db:
        notice = db.get(EventNotice, notice_id) or abort(404)
        event_id = notice.event_id
        count = retry_failed(db, notice_id)
    if count:
        send_now()
    flash(f"已重新发送 {count} 条发送失败的通知。" if count else "没有可以重试的失败通知。")
    return redirect(url_for("admin_events.show", event_id=event_id) + "#notices")
