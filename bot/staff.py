"""Staff tools without the console: open handoffs, registrations and event sign-up exports."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Iterable, Sequence
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


def export_registrations(services: Any, out: Path) -> int:
    """Write every registration, decrypted, to a CSV only its owner can read; audit it."""
    zone = ZoneInfo(services.settings.bot.timezone)
    with services.sessions.begin() as session:
        rows = session.scalars(select(Registration).order_by(Registration.id)).all()
        table = []
        for row in rows:
            values = {column: getattr(row, column) for column in EXPORT_COLUMNS}
            values["certificate_checked"] = "是" if row.certificate_checked else "否（待核对）"
            values["created_at"] = f"{row.created_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
            table.append([values[column] for column in EXPORT_COLUMNS])
        write_private_csv(out, EXPORT_COLUMNS, table)
        session.add(AuditLog(action="export", subject_hash=services.cipher.keyed_hash(str(out)),
                             detail=str(len(rows)), at=services.clock()))
    return len(rows)


def export_signups(services: Any, event_id: int, out: Path | None) -> tuple[int, int]:
    """Count an event's sign-ups; with `out`, write them decrypted (0600) and audit it."""
    from db.events import list_signups

    zone = ZoneInfo(services.settings.bot.timezone)
    with services.sessions.begin() as session:
        residents, employers = list_signups(session, event_id)
        if out is not None:
            table = [["居民", r.user_id, f"{r.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
                      "", "", "", "", "", ""] for r in residents]
            table += [["用人单位", e.user_id, f"{e.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
                       e.company, e.credit_code, e.contact, e.phone, e.positions,
                       e.accommodations] for e in employers]
            write_private_csv(out, SIGNUP_COLUMNS, table)
            session.add(AuditLog(action="export",
                                 subject_hash=services.cipher.keyed_hash(str(out)),
                                 detail=f"event {event_id} signups {len(table)}",
                                 at=services.clock()))
    return len(residents), len(employers)


SIGNUP_COLUMNS = ("type", "user_id", "signed_up_at", "company", "credit_code", "contact",
                  "phone", "positions", "accommodations")


def write_private_csv(out: Path, header: Sequence[str], table: Iterable[Sequence[Any]]) -> None:
    """A CSV only its owner can read (0600), with a BOM for Excel; formulas defused."""
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in table:
            writer.writerow([_cell(value) for value in row])


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
