"""Bookings and services: the catalogue (add, edit, retire) and the slots to come; a slot's
roster, attendance and cancellation live in bot/admin/slots.py on the same blueprint.
Every change calls the functions the staff commands call (db/catalogue.py, db/slots.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy.orm import Session

from bot.admin import services
from bot.admin.dashboard import CARDS, Card
from bot.admin.forms import ActionForm
from bot.admin.service_forms import ServiceForm, SlotForm
from db.catalogue import (FIELDS, CatalogueError, add_service, edit_service, list_services,
                          retire_service)
from db.models import Service
from db.service_figures import bookings_by_status, week_bounds
from db.slots import list_slots

blueprint = Blueprint("admin_bookings", __name__, url_prefix="/admin/bookings",
                      template_folder="templates")


def bookings_card(db: Session, bot: Any) -> Card:
    """Bookings on slots of this week (Monday to Sunday, local time), and how many came."""
    counts = bookings_by_status(db, *week_bounds(bot.clock(), ZoneInfo(bot.settings.bot.timezone)))
    return Card("本周预约", f"{sum(counts.values())} 人次",
                (f"已到场 {counts['attended']}，未到场 {counts['no_show']}",),
                ("admin_bookings.index", "查看时段和名单"))


CARDS.append(bookings_card)


def slot_form(db: object) -> SlotForm:
    """The add-slot form with the open services to choose from."""
    form = SlotForm()
    form.service.choices = [(s.id, s.name) for s in list_services(db)]  # type: ignore[arg-type]
    return form


@blueprint.get("/")
def index(form: SlotForm | None = None) -> str:
    """The catalogue, then the slots from a week ago on, then the add-slot form (the form as
    the person filled it, with its errors, when adding a slot failed)."""
    bot = services()
    with bot.sessions.begin() as db:
        catalogue = list_services(db, include_retired=True)
        names = {s.id: s.name for s in catalogue}
        slots = [(s.id, names.get(s.service_id, ""), s.starts_at, s.minutes, s.taken,
                  s.capacity, s.place, s.status)
                 for s in list_slots(db, since=bot.clock() - timedelta(days=7))]
        rows = [(s.id, s.name, s.modes, s.retired_at) for s in catalogue]
        form = form or slot_form(db)
    return render_template("admin/bookings.html", services=rows, slots=slots, form=form,
                           action=ActionForm())


def field_error(form: Any, exc: Any, default: str) -> None:
    """The db/ function's Chinese message next to the field it names (else `default`)."""
    field = getattr(form, getattr(exc, "field", "") or default, None) or getattr(form, default)
    field.errors = [*field.errors, f"{exc}。"]
    flash("没有保存：请按标出的提示改正，其他填好的内容都还在。")


def _values(form: ServiceForm) -> dict[str, str]:
    return {name: getattr(form, name).data or "" for name in FIELDS}


@blueprint.route("/services/new", methods=["GET", "POST"])
def new_service() -> object:
    """Add a service to the catalogue."""
    form = ServiceForm()
    if form.validate_on_submit():
        bot = services()
        try:
            with bot.sessions.begin() as db:
                service = add_service(db, code=(form.code.data or "").strip(), now=bot.clock(),
                                      **_values(form))
                name = service.name
            flash(f"已添加服务“{name}”。")
            return redirect(url_for("admin_bookings.index"))
        except CatalogueError as exc:
            field_error(form, exc, "code")
    return render_template("admin/service.html", form=form, service=None)


@blueprint.route("/services/<int:service_id>", methods=["GET", "POST"])
def service(service_id: int) -> object:
    """Edit a service (its code stays)."""
    bot = services()
    with bot.sessions.begin() as db:
        row = db.get(Service, service_id) or abort(404)
        info = {"id": row.id, "code": row.code, "name": row.name, "retired": row.retired_at}
        form = ServiceForm(obj=row)
    if form.validate_on_submit():
        try:
            with bot.sessions.begin() as db:
                edit_service(db, service_id, **_values(form))
            flash(f"服务“{form.name.data}”已保存。")
            return redirect(url_for("admin_bookings.index"))
        except CatalogueError as exc:
            field_error(form, exc, "modes")
    return render_template("admin/service.html", form=form, service=info,
                           action=ActionForm())


@blueprint.post("/services/<int:service_id>/retire")
def retire(service_id: int) -> object:
    """Take a service out of booking (its bookings stand)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    bot = services()
    try:
        with bot.sessions.begin() as db:
            name = retire_service(db, service_id, now=bot.clock()).name
    except CatalogueError:
        abort(404)
    flash(f"服务“{name}”已停用：不再接受新的预约，已有的预约不变。")
    return redirect(url_for("admin_bookings.index"))


import bot.admin.slots  # noqa: E402,F401  (the slot routes on this blueprint)
