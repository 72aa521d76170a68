"""`python -m bot slots add|list|roster|cancel|attendance`: the staff side of slots.

Times on the command line and in the output are local ([bot] timezone), stored in UTC.
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.staff import _cell, write_private_csv
from bot.slot_cancel import cancel_and_tell
from db.booking import BookingRefused, find_booking, mark_attendance
from db.models import AuditLog, Service
from db.slots import add_slot, get_slot, list_slots, local_start, roster, weekly_starts

ROSTER_COLUMNS = ("ref", "name", "phone", "needs", "status", "actor", "booked_by")


class StaffInputError(Exception):
    """Bad input on the command line: one line, exit 1, nothing written."""


def _zone(services: Any) -> ZoneInfo:
    return ZoneInfo(services.settings.bot.timezone)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise StaffInputError(f'{name}: "{text}" is not YYYY-MM-DD') from None


def slots_add(args: argparse.Namespace, services: Any) -> int:
    """slots add --service ID --start "YYYY-MM-DD HH:MM" --minutes N --capacity N --place T
    [--weekly MON,WED --until DATE]: prints the new id(s), one a line."""
    zone, now = _zone(services), services.clock()
    first = local_start(args.start, zone)
    if bool(args.weekly) != bool(args.until):
        raise StaffInputError("--weekly and --until go together")
    starts = [first]
    if args.weekly:
        starts = weekly_starts(first, args.weekly.split(","), _day(args.until, "until"), zone)
        starts = [s for s in starts if s > now]
    with services.sessions.begin() as session:  # all or nothing
        ids = [add_slot(session, service_id=args.service, starts_at=start, minutes=args.minutes,
                        capacity=args.capacity, place=args.place, now=now).id
               for start in starts]
    for slot_id in ids:
        print(slot_id)
    return 0


def _slot_json(slot: Any, service: Service | None, zone: ZoneInfo) -> dict[str, Any]:
    return {"id": slot.id, "service_id": slot.service_id,
            "service": service.name if service else "",
            "start": f"{slot.starts_at.astimezone(zone):%Y-%m-%d %H:%M}",
            "start_utc": slot.starts_at.isoformat(), "minutes": slot.minutes,
            "capacity": slot.capacity, "taken": slot.taken, "place": slot.place,
            "status": slot.status}


def slots_list(args: argparse.Namespace, services: Any) -> int:
    """slots list [--service ID] [--from DATE] [--json]."""
    zone = _zone(services)
    since = None
    if args.since:
        day = _day(args.since, "from")
        since = datetime(day.year, day.month, day.day, tzinfo=zone)
    with services.sessions.begin() as session:
        found = [_slot_json(s, session.get(Service, s.service_id), zone)
                 for s in list_slots(session, service_id=args.service, since=since)]
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    for s in found:
        print(f"{s['id']}  {s['start']}  {s['minutes']}分钟  {s['service']}  "
              f"{s['taken']}/{s['capacity']}  {s['place']}  {s['status']}")
    print(f"{len(found)} slots")
    return 0


def slots_roster(args: argparse.Namespace, services: Any) -> int:
    """slots roster ID [--out FILE.csv]: names decrypted for staff; recorded in the audit log."""
    with services.sessions.begin() as session:
        lines = roster(session, args.id)
        table = [[_cell(getattr(line, c)) for c in ROSTER_COLUMNS] for line in lines]
        where = str(Path(args.out).absolute()) if args.out else "stdout"
        if args.out:  # 0600, also an existing file; never through a symbolic link
            write_private_csv(Path(where), ROSTER_COLUMNS, table)
        else:
            for row in table:
                print("  ".join(row))
        session.add(AuditLog(action="roster", subject_hash=services.cipher.keyed_hash(where),
                             detail=f"slot {args.id}: {len(lines)}", actor=getpass.getuser(),
                             at=services.clock()))
    print(f"{len(lines)} booked" + (f", written to {where}" if args.out else ""))
    return 0


def slots_cancel(args: argparse.Namespace, services: Any) -> int:
    """slots cancel ID --reason T: everyone booked is told at once (reason, next times)."""
    print(cancel_and_tell(services, args.id, args.reason))
    return 0


def slots_attendance(args: argparse.Namespace, services: Any) -> int:
    """slots attendance ID [--attended REFS] [--no-show REFS]: mark, then show every booking."""
    marks = [(r, True) for r in args.attended.split(",") if r.strip()] + \
        [(r, False) for r in args.no_show.split(",") if r.strip()]
    with services.sessions.begin() as session:
        get_slot(session, args.id)
        for ref, attended in marks:
            booking = find_booking(session, ref)
            if booking is None or booking.slot_id != args.id:
                raise StaffInputError(f"booking {ref.strip()} is not on slot {args.id}")
            try:
                mark_attendance(session, booking, attended=attended, now=services.clock())
            except BookingRefused:
                raise StaffInputError(f"booking {booking.ref} is {booking.status}") from None
        lines = roster(session, args.id)
    for line in lines:
        print(f"{line.ref}  {line.status}")
    print(len(marks))
    return 0


SLOT_COMMANDS = {("slots", "add"): slots_add, ("slots", "list"): slots_list,
                 ("slots", "roster"): slots_roster, ("slots", "cancel"): slots_cancel,
                 ("slots", "attendance"): slots_attendance}
