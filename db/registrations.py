"""Registrations for staff: filters, status changes with their history, the progress toward
the plan's target of newly employed people, and the 一人一策 plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.models import PlanStep, Registration, RegistrationStatus, SupportPlan

STATUSES = ("待联系", "已联系", "已推荐岗位", "已就业", "暂不就业")
EMPLOYED = "已就业"
EMPLOYMENT_TARGET = 822  # 河北区促进残疾人就业三年行动实施方案: 新增残疾人就业人数
COLLEGE = ("大专", "本科及以上")  # 一人一策 is for disabled college graduates


class RegistrationError(ValueError):
    """A change that cannot be made as asked; the message is one line for staff."""


@dataclass(frozen=True)
class Filters:
    """What the registrations list is narrowed to (empty: everything)."""

    street: str = ""
    category: str = ""
    job_kind: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None


def filtered(filters: Filters) -> Select:
    """The registrations matching the filters, newest first."""
    stmt = select(Registration).order_by(Registration.id.desc())
    if filters.street:
        stmt = stmt.where(Registration.street == filters.street)
    if filters.category:
        stmt = stmt.where(Registration.category == filters.category)
    if filters.job_kind:
        stmt = stmt.where(Registration.job_kinds.contains(filters.job_kind, autoescape=True))
    if filters.status:
        stmt = stmt.where(Registration.status == filters.status)
    if filters.since:
        stmt = stmt.where(func.date(Registration.created_at) >= filters.since)
    if filters.until:
        stmt = stmt.where(func.date(Registration.created_at) <= filters.until)
    return stmt


def change_status(session: Session, registration_id: int, status: str, *, on: date, note: str,
                  by: str, now: datetime) -> RegistrationStatus:
    """Set the status as of `on`, keeping the change (with note and author) in the history."""
    row = session.get(Registration, registration_id)
    if row is None:
        raise RegistrationError(f"没有编号为 {registration_id} 的登记")
    if status not in STATUSES:
        raise RegistrationError(f"状态只能是：{'、'.join(STATUSES)}")
    if on > now.date():
        raise RegistrationError("生效日期不能晚于今天，请改成今天或以前的日期")
    row.status, row.status_on, row.updated_at = status, on, now
    change = RegistrationStatus(registration_id=row.id, status=status, effective_on=on,
                                note=note.strip()[:1000], by=by, at=now)
    session.add(change)
    session.flush()
    return change


def history(session: Session, registration_id: int) -> Sequence[RegistrationStatus]:
    """A registration's status changes, oldest first."""
    return session.scalars(select(RegistrationStatus)
                           .where(RegistrationStatus.registration_id == registration_id)
                           .order_by(RegistrationStatus.id)).all()


def employed_by_year(session: Session) -> dict[int, int]:
    """Newly employed people (status 已就业) counted in the year of the status's date."""
    year = func.extract("year", Registration.status_on)
    rows = session.execute(select(year, func.count()).where(Registration.status == EMPLOYED,
                                                            Registration.status_on.is_not(None))
                           .group_by(year)).all()
    return {int(y): n for y, n in rows}


def employed_by_street(session: Session, year: int | None = None) -> dict[str, int]:
    """Newly employed people per street (in `year`, or in all years)."""
    stmt = select(Registration.street, func.count()).where(Registration.status == EMPLOYED)
    if year is not None:
        stmt = stmt.where(func.extract("year", Registration.status_on) == year)
    rows = session.execute(stmt.group_by(Registration.street)).all()
    return dict(sorted(((s, n) for s, n in rows), key=lambda item: -item[1]))


def counts_by_status(session: Session) -> dict[str, int]:
    """How many registrations have each status (every status listed, zero included)."""
    found = dict(session.execute(select(Registration.status, func.count())
                                 .group_by(Registration.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}


def registered_in(session: Session, year: int) -> int:
    """Registrations made in `year` (UTC dates; close enough for a yearly figure)."""
    return session.scalar(select(func.count()).select_from(Registration)
                          .where(func.extract("year", Registration.created_at) == year))


def plan_of(session: Session, registration_id: int) -> SupportPlan | None:
    """The registration's 一人一策 plan, or None."""
    return session.scalars(select(SupportPlan)
                           .where(SupportPlan.registration_id == registration_id)).first()


def save_plan(session: Session, registration_id: int, *, goal: str, responsible: str,
              now: datetime) -> SupportPlan:
    """Create or update the plan's goal and the person responsible for it."""
    plan = plan_of(session, registration_id)
    if plan is None:
        plan = SupportPlan(registration_id=registration_id, created_at=now)
        session.add(plan)
    plan.goal, plan.responsible = goal.strip()[:2000], responsible.strip()[:64]
    session.flush()
    return plan


def add_step(session: Session, plan: SupportPlan, *, due_on: date, action: str,
             responsible: str) -> PlanStep:
    """Add a dated step with the person responsible for it."""
    if not action.strip() or not responsible.strip():
        raise RegistrationError("步骤内容和责任人都要填写")
    step = PlanStep(plan_id=plan.id, due_on=due_on, action=action.strip()[:2000],
                    responsible=responsible.strip()[:64])
    session.add(step)
    session.flush()
    return step


def steps(session: Session, plan: SupportPlan) -> Sequence[PlanStep]:
    """A plan's steps by date."""
    return session.scalars(select(PlanStep).where(PlanStep.plan_id == plan.id)
                           .order_by(PlanStep.due_on, PlanStep.id)).all()


def mark_step_done(session: Session, step_id: int, on: date) -> PlanStep:
    """Record that a step was done on `on`."""
    step = session.get(PlanStep, step_id)
    if step is None:
        raise RegistrationError(f"没有编号为 {step_id} 的步骤")
    step.done_on = on
    return step
