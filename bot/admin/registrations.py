"""Registrations: the list with filters, the detail (decrypted, audited), status changes with
their history, and the 一人一策 plan for disabled college graduates."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from bot.admin import actor, services
from bot.admin.forms import ActionForm, PlanForm, StatusForm, StepForm
from bot.masking import mask_phone
from db import registrations as regs
from db.audit import audit
from db.models import Registration
from handlers.job_demand import JOB_KINDS
from handlers.validators import CATEGORIES

blueprint = Blueprint("admin_registrations", __name__, url_prefix="/admin/registrations",
                      template_folder="templates")
PAGE = 100


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def filters_from_request() -> regs.Filters:
    """The filters in the query string (unknown values are ignored)."""
    args = request.args
    return regs.Filters(street=args.get("street", ""), category=args.get("category", ""),
                        job_kind=args.get("job_kind", ""), status=args.get("status", ""),
                        since=_date("since"), until=_date("until"))


@blueprint.get("/")
def index() -> str:
    """The list: reference, street, category, intention, status (no names: open the detail)."""
    bot = services()
    chosen = filters_from_request()
    with bot.sessions.begin() as db:
        rows = [(r.id, r.ref, r.street, r.category or "待核对", r.job_kinds, r.status,
                 r.created_at, r.education in regs.COLLEGE)
                for r in db.scalars(regs.filtered(chosen).limit(PAGE))]
    raw = {n: request.args.get(n, "").strip() for n in ("since", "until")}
    bad = [n for n, text in raw.items() if text and getattr(chosen, n) is None]
    return render_template("admin/registrations.html", rows=rows, f=chosen, page=PAGE,
                           raw=raw, bad=bad,
                           streets=bot.settings.district.streets, statuses=regs.STATUSES,
                           categories=list(CATEGORIES.values()), job_kinds=JOB_KINDS)


@blueprint.get("/<int:registration_id>")
def show(registration_id: int, **filled: object) -> str:
    """One registration, decrypted for staff; the view is written to the audit log. `filled`
    holds a form as the person sent it (with its errors) when saving it failed."""
    bot = services()
    with bot.sessions.begin() as db:
        row = db.get(Registration, registration_id) or abort(404)
        audit(db, "view_registration", actor=actor(), now=bot.clock(),
              subject_hash=bot.cipher.keyed_hash(row.user_id), detail=f"登记 {row.ref}")
        person = {c: getattr(row, c) for c in (
            "id", "ref", "relation", "name", "certificate", "certificate_checked", "category",
            "grade", "birth_year", "phone", "street", "education", "job_kinds",
            "employment_modes", "skills", "accessibility", "created_at", "status", "status_on")}
        person["college"] = row.education in regs.COLLEGE
        changes = [(c.status, c.effective_on, c.note, c.by, c.at)
                   for c in regs.history(db, row.id)]
        plan = regs.plan_of(db, row.id)
        plan_view = None if plan is None else {
            "goal": plan.goal, "responsible": plan.responsible,
            "steps": [(s.id, s.due_on, s.action, s.responsible, s.done_on)
                      for s in regs.steps(db, plan)]}
    status = filled.get("status") or StatusForm(formdata=None, status=person["status"],
                                                on=bot.clock().date())
    plan_form = filled.get("plan_form") or PlanForm(
        formdata=None, data=plan_view and {k: plan_view[k] for k in ("goal", "responsible")})
    return render_template("admin/registration.html", p=person, changes=changes,
                           plan=plan_view, status=status, plan_form=plan_form,
                           step=filled.get("step") or StepForm(formdata=None),
                           done=ActionForm(), today=bot.clock().date(),
                           masked_phone=mask_phone(person["phone"]))


def _back(registration_id: int, anchor: str = "") -> object:
    return redirect(url_for("admin_registrations.show", registration_id=registration_id)
                    + anchor)


KEPT = "没有{}：请按标出的提示改正，其他填好的内容都还在。"


@blueprint.post("/<int:registration_id>/status")
def change_status(registration_id: int) -> object:
    """A status change with its date and note."""
    form = StatusForm()
    bot = services()
    if not form.validate_on_submit():
        flash(KEPT.format("保存"))
        return show(registration_id, status=form)
    try:
        with bot.sessions.begin() as db:
            change = regs.change_status(db, registration_id, form.status.data, on=form.on.data,
                                        note=form.note.data or "", by=actor(), now=bot.clock())
            audit(db, "change_status", actor=actor(), now=bot.clock(), subject_hash="",
                  detail=f"登记 #{registration_id} → {change.status}")
        flash(f"状态已改为“{form.status.data}”（{form.on.data:%Y-%m-%d}）。")
    except regs.RegistrationError as exc:
        form.on.errors = [*form.on.errors, f"{exc}。"]
        flash(KEPT.format("保存"))
        return show(registration_id, status=form)
    return _back(registration_id, "#status-section")


@blueprint.post("/<int:registration_id>/plan")
def save_plan(registration_id: int) -> object:
    """Create or update the 一人一策 plan's goal and who leads it."""
    form = PlanForm()
    bot = services()
    if form.validate_on_submit():
        with bot.sessions.begin() as db:
            db.get(Registration, registration_id) or abort(404)
            regs.save_plan(db, registration_id, goal=form.goal.data,
                           responsible=form.responsible.data, now=bot.clock())
        flash("一人一策计划已保存。")
    else:
        flash(KEPT.format("保存"))
        return show(registration_id, plan_form=form)
    return _back(registration_id, "#plan-section")


@blueprint.post("/<int:registration_id>/plan/steps")
def add_step(registration_id: int) -> object:
    """Add a dated step with the person responsible."""
    form = StepForm()
    bot = services()
    if not form.validate_on_submit():
        flash(KEPT.format("添加"))
        return show(registration_id, step=form)
    with bot.sessions.begin() as db:
        plan = regs.plan_of(db, registration_id)
        if plan is None:
            flash("请先保存计划的就业目标和总负责人。")
            return _back(registration_id, "#plan-section")
        regs.add_step(db, plan, due_on=form.due_on.data, action=form.action.data,
                      responsible=form.responsible.data)
    flash("步骤已添加。")
    return _back(registration_id, "#plan-section")


@blueprint.post("/<int:registration_id>/plan/steps/<int:step_id>/done")
def step_done(registration_id: int, step_id: int) -> object:
    """Mark a step done today."""
    if ActionForm().validate_on_submit():
        bot = services()
        with bot.sessions.begin() as db:
            regs.mark_step_done(db, step_id, bot.clock().date())
        flash("步骤已标记为完成。")
    return _back(registration_id, "#plan-section")
