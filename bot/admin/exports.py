"""Exports (registrations, bookings, event sign-ups as Excel and CSV, each audited) and the
yearly report (.docx)."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, render_template, request
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin import actor, services
from bot.admin.forms import ActionForm
from bot.admin.report import yearly_report
from bot.staff import EXPORT_COLUMNS, SIGNUP_COLUMNS, _cell, export_values, signup_table
from db.audit import audit
from db.events import list_events, list_signups
from db.models import Registration
from db.service_figures import BOOKING_COLUMNS, booking_rows

blueprint = Blueprint("admin_exports", __name__, url_prefix="/admin/exports",
                      template_folder="templates")
HEADERS = {"ref": "登记编号", "relation": "登记人", "name": "姓名", "certificate": "残疾人证号",
           "certificate_checked": "证号已核对", "category": "残疾类别", "grade": "残疾等级",
           "phone": "联系电话", "street": "街道", "education": "文化程度",
           "job_kinds": "求职意向", "employment_modes": "就业方式", "skills": "技能",
           "accessibility": "需要的便利", "created_at": "登记时间"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@blueprint.get("/")
def index() -> str:
    """What can be downloaded."""
    year = services().clock().year
    return render_template("admin/exports.html", form=ActionForm(), year=year, year_error="")


def _registrations(db: Session, zone: ZoneInfo) -> tuple[list[str], list[list[object]]]:
    rows = db.scalars(select(Registration).order_by(Registration.id)).all()
    values = [[*export_values(row, zone), row.status, row.status_on or ""] for row in rows]
    return [HEADERS[c] for c in EXPORT_COLUMNS] + ["状态", "状态日期"], values


def _bookings(db: Session, zone: ZoneInfo) -> tuple[list[str], list[list[object]]]:
    return list(BOOKING_COLUMNS), booking_rows(db, zone)


def _signups(db: Session, zone: ZoneInfo) -> tuple[list[str], list[list[object]]]:
    values = []
    for event in list_events(db):
        residents, employers = list_signups(db, event.id)
        start = f"{event.start_at.astimezone(zone):%Y-%m-%d %H:%M}"
        values += [[event.id, event.title, start, *row]
                   for row in signup_table(residents, employers, zone)]
    return ["活动编号", "活动", "活动时间", *SIGNUP_COLUMNS], values


# What can be exported: kind → (sheet title, rows, audit action prefix, what the rows are).
KINDS = {"registrations": ("就业登记", _registrations, "export", "条登记"),
         "bookings": ("服务预约", _bookings, "export_bookings", "条预约"),
         "signups": ("活动报名", _signups, "export_signups", "条报名")}


def _rows(kind: str, fmt: str) -> tuple[str, list[str], list[list[object]]]:
    """The export's rows (decrypted); the export is written to the audit log."""
    title, rows, action, what = KINDS[kind]
    bot = services()
    with bot.sessions.begin() as db:
        headers, values = rows(db, ZoneInfo(bot.settings.bot.timezone))
        audit(db, f"{action}_{fmt}", actor=actor(), now=bot.clock(), subject_hash="",
              detail=f"{len(values)} {what}")
    return title, headers, values


def _download(body: bytes, name: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/<kind>.xlsx")
def xlsx(kind: str) -> Response:
    """Registrations, bookings or sign-ups as an Excel workbook."""
    if kind not in KINDS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    title, headers, values = _rows(kind, "xlsx")
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in values:
        sheet.append([_cell(v) for v in row])  # text, formulas neutralised as in the CSV
    out = io.BytesIO()
    book.save(out)
    return _download(out.getvalue(), f"{kind}.xlsx", XLSX)


@blueprint.post("/<kind>.csv")
def csv_file(kind: str) -> Response:
    """Registrations, bookings or sign-ups as CSV (UTF-8 with BOM, for Excel)."""
    if kind not in KINDS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    _, headers, values = _rows(kind, "csv")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([_cell(v) for v in row] for row in values)
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), f"{kind}.csv", "text/csv")


@blueprint.post("/report.docx")
def report() -> Response:
    """The yearly implementation report for the chosen year."""
    if not ActionForm().validate_on_submit():
        abort(400)
    bot = services()
    text = request.form.get("year", "").strip()
    if not (text.isdigit() and len(text) == 4 and 2020 <= int(text) <= 2100):
        flash("没有生成：请按标出的提示改正年份。")
        return render_template("admin/exports.html", form=ActionForm(), year=text[:20],
                               year_error=f"年份“{text[:20]}”不对，请填写 2020 到 2100 之间"
                               "的四位数字，如 2026。")  # type: ignore[return-value]
    year = int(text)
    body = yearly_report(bot, year)
    with bot.sessions.begin() as db:
        audit(db, "report_docx", actor=actor(), now=bot.clock(), subject_hash="",
              detail=f"{year} 年度报告")
    return _download(body, f"report-{year}.docx", DOCX)
