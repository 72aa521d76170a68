"""Staff tools without the console: open handoffs, registrations and event sign-up exports."""

from __future__ import annotations

import csv
import errno
import os
import stat
from pathlib import Path
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.settings import CommandError
from db.handoffs import open_handoffs
from db.models import AuditLog, Registration

EXPORT_COLUMNS = ("ref", "relation", "name", "certificate", "certificate_checked", "category",
                  "grade", "phone", "street", "education", "job_kinds", "employment_modes",
                  "skills", "accessibility", "created_at")
EXPORT_HEADERS = ("登记编号", "填表人与残疾人的关系", "残疾人姓名", "残疾人证号", "证号已核验",
                  "残疾类别", "残疾等级", "联系电话", "所在街道", "文化程度", "求职意向",
                  "就业方式", "技能", "无障碍需求", "登记时间")


def list_handoffs(services: Any) -> str:
    """Open handoffs, urgent first, with the person's recent messages (for staff eyes only)."""
    zone = ZoneInfo(services.settings.bot.timezone)
    lines = []
    with services.sessions.begin() as session:
        rows = open_handoffs(session)
        for h in rows:
            when = h.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            flag = "紧急 " if h.urgent else ""
            lines.append(f"#{h.id} {flag}{when} 用户 {h.user_id} 原因 {h.reason}")
            lines.extend(f"    {line}" for line in (h.recent or "").splitlines())
    lines.append(f"{len(rows)} open handoffs")
    return "\n".join(lines)


class ExportRefused(CommandError):
    """The export file cannot be written safely (a symbolic link, not a regular file)."""


def open_private(out: Path) -> int:
    """Open `out` for writing, readable by its owner only (0600, also when it existed with
    other permissions); never through a symbolic link, which could point anywhere."""
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ExportRefused(f"{out} is a symbolic link: refusing to write through it") \
                from None
        raise ExportRefused(f"{out}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ExportRefused(f"{out} is not a regular file")
    os.fchmod(descriptor, 0o600)  # before anything is written into it
    os.ftruncate(descriptor, 0)
    return descriptor


def export_registrations(services: Any, out: Path, actor: str) -> int:
    """Write every registration, decrypted, to a CSV only its owner can read; audit it
    under `actor` (the staff member, or the OS user running the command)."""
    zone = ZoneInfo(services.settings.bot.timezone)
    if not out.parent.is_dir():
        raise CommandError(f"the folder {out.parent} does not exist: create it first, or give "
                           "--out a file in an existing folder")
    with services.sessions.begin() as session:
        rows = session.scalars(select(Registration).order_by(Registration.id)).all()
        write_private_csv(out, EXPORT_HEADERS, (export_values(row, zone) for row in rows))
        session.add(AuditLog(action="export", subject_hash=services.cipher.keyed_hash(str(out)),
                             detail=str(len(rows)), actor=actor[:64], at=services.clock()))
    return len(rows)


def export_values(row: Registration, zone: ZoneInfo) -> list[Any]:
    """One registration's values in EXPORT_COLUMNS order, as staff read them."""
    values = {column: getattr(row, column) for column in EXPORT_COLUMNS}
    values["certificate_checked"] = "是" if row.certificate_checked else "否（待核对）"
    values["created_at"] = f"{row.created_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
    return [values[column] for column in EXPORT_COLUMNS]


def export_signups(services: Any, event_id: int, out: Path | None,
                   actor: str = "") -> tuple[int, int]:
    """Count an event's sign-ups; with `out`, write them decrypted (0600) and audit it."""
    from db.events import list_signups

    zone = ZoneInfo(services.settings.bot.timezone)
    with services.sessions.begin() as session:
        residents, employers = list_signups(session, event_id)
        if out is not None:
            table = signup_table(residents, employers, zone)
            write_private_csv(out, SIGNUP_COLUMNS, table)
            session.add(AuditLog(action="export",
                                 subject_hash=services.cipher.keyed_hash(str(out)),
                                 detail=f"event {event_id} signups {len(table)}",
                                 actor=actor[:64], at=services.clock()))
    return len(residents), len(employers)


def signup_table(residents: Sequence[Any], employers: Sequence[Any],
                 zone: ZoneInfo) -> list[list[Any]]:
    """An event's sign-ups as rows in SIGNUP_COLUMNS order (contacts decrypted)."""
    from db.event_attendance import STATE_NAMES, ref_of

    table = [["居民", ref_of(r), r.user_id, f"{r.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
              "", "", "", "", "", "", STATE_NAMES[r.attended]] for r in residents]
    table += [["用人单位", ref_of(e), e.user_id,
               f"{e.created_at.astimezone(zone):%Y-%m-%d %H:%M}", e.company, e.credit_code,
               e.contact, e.phone, e.positions, e.accommodations, STATE_NAMES[e.attended]]
              for e in employers]
    return table


SIGNUP_COLUMNS = ("报名类型", "报名编号", "用户", "报名时间", "单位名称", "统一社会信用代码",
                  "联系人", "联系电话", "招聘岗位", "无障碍条件", "到场情况")


def write_private_csv(out: Path, header: Sequence[str], table: Iterable[Sequence[Any]]) -> None:
    """A CSV only its owner can read (0600), with a BOM for Excel; formulas defused."""
    descriptor = open_private(out)
    with open(descriptor, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in table:
            writer.writerow([_cell(value) for value in row])


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
