"""Event attendance: staff mark, per sign-up, whether the resident or the employer came.

A sign-up is named by its number: "R12" for a resident's (event_signups.id 12), "E3" for an
employer's (employer_signups.id 3). The console's sign-ups page and `python -m bot events
attendance` both call `mark`; a mark can be corrected (the last one counts, with who and
when). Counting lives in db/service_figures.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.events import EventError, get_event
from db.models import EmployerSignup, EventSignup

KINDS = {"R": EventSignup, "E": EmployerSignup}
KIND_NAMES = {EventSignup: "居民", EmployerSignup: "用人单位"}
MARKABLE = ("published", "changed", "finished")
STATE_NAMES = {None: "未标记", True: "已到场", False: "未到场"}


class AttendanceError(EventError):
    """A mark that cannot be made; the message is one line in Chinese."""


@dataclass(frozen=True)
class Line:
    """One sign-up and its attendance: ref (R12 / E3), "居民" or "用人单位", the mark."""

    ref: str
    kind: str
    user_id: str
    attended: bool | None

    @property
    def state(self) -> str:
        """未标记, 已到场 or 未到场."""
        return STATE_NAMES[self.attended]


def ref_of(row: Any) -> str:
    """The sign-up's number as staff see it."""
    return ("R" if isinstance(row, EventSignup) else "E") + str(row.id)


def _find(session: Session, event_id: int, ref: str) -> Any:
    """The active sign-up `ref` of this event, or AttendanceError saying what is wrong."""
    text = ref.strip().upper()
    model = KINDS.get(text[:1])
    if model is None or not text[1:].isdigit():
        raise AttendanceError(f"报名编号“{ref.strip()}”的格式不对：居民的编号是 R 加数字，"
                              "用人单位的是 E 加数字（见活动的报名名单）。")
    row = session.get(model, int(text[1:]))
    if row is None or row.event_id != event_id:
        raise AttendanceError(f"报名编号 {text} 不是活动 #{event_id} 的报名，请对照这个活动的"
                              "报名名单。")
    if row.status != "active":
        raise AttendanceError(f"报名 {text} 已取消，不能登记到场。")
    return row


def mark(session: Session, event_id: int, ref: str, *, attended: bool, now: datetime,
         by: str) -> Line:
    """Mark one sign-up attended or not (a later mark corrects an earlier one)."""
    event = get_event(session, event_id)
    if event.status not in MARKABLE:
        state = "还是草稿" if event.status == "draft" else "已取消"
        raise AttendanceError(f"活动 #{event_id} {state}，不能登记到场。")
    row = _find(session, event_id, ref)
    row.attended, row.attendance_at, row.attendance_by = attended, now, by[:64]
    session.flush()
    return _line(row)


def lines(session: Session, event_id: int) -> list[Line]:
    """Every active sign-up of the event with its mark: residents first, then employers."""
    get_event(session, event_id)
    return [_line(row) for model in KIND_NAMES
            for row in session.scalars(select(model).where(model.event_id == event_id,
                                                           model.status == "active")
                                       .order_by(model.id))]


def _line(row: Any) -> Line:
    return Line(ref_of(row), KIND_NAMES[type(row)], row.user_id, row.attended)
