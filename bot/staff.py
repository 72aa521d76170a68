"""Staff tools without the console: the open handoffs and the registrations export."""

from __future__ import annotations

import csv
import errno
import os
import stat
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from db.handoffs import open_handoffs
from db.models import AuditLog, Registration

EXPORT_COLUMNS = ("ref", "relation", "name", "certificate", "certificate_checked", "category",
                  "grade", "phone", "street", "education", "job_kinds", "employment_modes",
                  "skills", "accessibility", "created_at")


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


class ExportRefused(Exception):
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
    with services.sessions.begin() as session:
        rows = session.scalars(select(Registration).order_by(Registration.id)).all()
        descriptor = open_private(out)
        with open(descriptor, "w", encoding="utf-8-sig", newline="") as file:  # BOM: Excel
            writer = csv.writer(file)
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                values = {column: getattr(row, column) for column in EXPORT_COLUMNS}
                values["certificate_checked"] = "是" if row.certificate_checked else "否（待核对）"
                values["created_at"] = f"{row.created_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
                writer.writerow([_cell(values[column]) for column in EXPORT_COLUMNS])
        session.add(AuditLog(action="export", subject_hash=services.cipher.keyed_hash(str(out)),
                             detail=str(len(rows)), actor=actor[:64], at=services.clock()))
    return len(rows)


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
