"""`python -m bot events …`: staff manage events by command (the console will call the same
db/events.py functions). Times on the command line are local (settings.bot.timezone)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TIME_FORMAT = "%Y-%m-%d %H:%M"
OPTIONAL = (("end", "end_at"), ("place", "place"), ("accessibility", "accessibility"),
            ("online", "online_url"), ("organiser", "organiser"), ("audience", "audience"),
            ("deadline", "deadline_at"))


class BadInput(ValueError):
    """One line for the operator; nothing was written."""


def add_parser(sub: Any) -> None:
    """The `events` command and its actions."""
    events = sub.add_parser("events", help="staff: job fairs, training, notices")
    act = events.add_subparsers(dest="action", required=True, metavar="ACTION",
                                help="add, import, publish, change, cancel, list, signups "
                                     "or attendance")
    add = act.add_parser("add", help="a new draft event; prints its id")
    change = act.add_parser("change", help="change fields; tells subscribers and signed-up")
    change.add_argument("id", type=int)
    for parser, required in ((add, True), (change, False)):
        parser.add_argument("--kind", required=required, help="招聘会 培训 政策宣讲 技能竞赛")
        parser.add_argument("--title", required=required)
        parser.add_argument("--start", required=required, help='"YYYY-MM-DD HH:MM" local')
        for flag, _ in OPTIONAL:
            parser.add_argument(f"--{flag}")
        parser.add_argument("--capacity", type=int, help="places (leave out: unlimited)")
        parser.add_argument("--employers", action=argparse.BooleanOptionalAction,
                            default=None, help="employers may sign up to recruit (job fairs)")
    change.add_argument("--urgent", action="store_true", help="send in quiet hours too")
    importer = act.add_parser("import", help="events from a CSV (all or nothing)")
    importer.add_argument("file")
    publish = act.add_parser("publish", help="publish; prints how many notices were queued")
    publish.add_argument("id", type=int)
    publish.add_argument("--urgent", action="store_true", help="send in quiet hours too")
    publish.add_argument("--queue-only", action="store_true",
                         help="leave the sending to the scheduler")
    cancel = act.add_parser("cancel", help="cancel; tells subscribers and signed-up")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--urgent", action="store_true")
    listing = act.add_parser("list", help="every event with its state and sign-ups")
    listing.add_argument("--json", action="store_true")
    signups = act.add_parser("signups", help="who signed up (decrypted CSV with --out)")
    signups.add_argument("id", type=int)
    signups.add_argument("--out", help="CSV file to write (0600, recorded in the audit log)")
    attendance = act.add_parser("attendance", help="mark who came, then list every sign-up")
    attendance.add_argument("id", type=int)
    attendance.add_argument("--attended", default="", help="sign-up numbers that came: R12,E3")
    attendance.add_argument("--no-show", default="", help="sign-up numbers that did not come")


def run(args: argparse.Namespace, services: Any) -> int:
    """Run one `events` action; bad input is one line on stderr and a non-zero exit."""
    from db.events import EventError

    try:
        return ACTIONS[args.action](args, services)
    except (EventError, BadInput) as exc:
        print(f"events {args.action}: {exc}", file=sys.stderr)
        return 1


def local_time(text: str | None, zone: str, name: str) -> datetime | None:
    """ "YYYY-MM-DD HH:MM" in `zone` → aware UTC (None for None or "")."""
    if not text:
        return None
    try:
        naive = datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        raise BadInput(f'{name} must look like "2026-03-05 09:00", got {text!r}') from None
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def values_of(args: argparse.Namespace, zone: str) -> dict[str, Any]:
    """The event fields given on the command line (only those given)."""
    values: dict[str, Any] = {}
    for name in ("kind", "title"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.start is not None:
        values["start_at"] = local_time(args.start, zone, "--start")
    for flag, column in OPTIONAL:
        given = getattr(args, flag)
        if given is not None:
            values[column] = local_time(given, zone, f"--{flag}") if column.endswith("_at") \
                else (given.strip() or None)
    if args.capacity is not None:
        values["capacity"] = args.capacity
    if args.employers is not None:
        values["employers_allowed"] = args.employers
    return values


def cmd_add(args: argparse.Namespace, services: Any) -> int:
    """events add: a draft; prints its id alone."""
    from db.events import create_event

    values = values_of(args, services.settings.bot.timezone)
    values.setdefault("employers_allowed", values.get("kind") == "招聘会")
    with services.sessions.begin() as session:
        event = create_event(session, now=services.clock(), **values)
        event_id = event.id
    print(event_id)
    return 0


def cmd_publish(args: argparse.Namespace, services: Any) -> int:
    """events publish ID [--urgent]: queue the notice; send now unless --queue-only."""
    from bot.broadcast import Broadcaster
    from db.events import publish_event

    with services.sessions.begin() as session:
        queued = publish_event(session, args.id, now=services.clock(), urgent=args.urgent)
    if queued and not args.queue_only:
        Broadcaster(services).run()  # the scheduler finishes whatever this leaves
    print(queued)
    return 0


def cmd_change(args: argparse.Namespace, services: Any) -> int:
    """events change ID --field value…: prints how many notices were queued."""
    from db.events import change_event

    changes = values_of(args, services.settings.bot.timezone)
    with services.sessions.begin() as session:
        queued = change_event(session, args.id, now=services.clock(), urgent=args.urgent,
                              **changes)
    print(queued)
    return 0


def cmd_cancel(args: argparse.Namespace, services: Any) -> int:
    """events cancel ID --reason "…": prints how many notices were queued."""
    from db.events import cancel_event

    with services.sessions.begin() as session:
        queued = cancel_event(session, args.id, reason=args.reason, now=services.clock(),
                              urgent=args.urgent)
    print(queued)
    return 0


def cmd_list(args: argparse.Namespace, services: Any) -> int:
    """events list [--json]."""
    from db.events import list_events

    zone = ZoneInfo(services.settings.bot.timezone)
    with services.sessions.begin() as session:
        found = [{"id": e.id, "kind": e.kind, "title": e.title, "status": e.status,
                  "start": f"{e.start_at.astimezone(zone):{TIME_FORMAT}}", "place": e.place,
                  "capacity": e.capacity, "taken": e.taken,
                  "employers_allowed": e.employers_allowed} for e in list_events(session)]
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    for e in found:
        places = f"{e['taken']}/{e['capacity']}" if e["capacity"] else f"{e['taken']}/不限"
        print(f"{e['id']} {e['kind']} {e['status']} {e['start']} {e['title']} 报名 {places}")
    print(f"{len(found)} events")
    return 0


def cmd_signups(args: argparse.Namespace, services: Any) -> int:
    """events signups ID [--out FILE.csv]: counts on screen; names only in the 0600 file."""
    import getpass

    from bot.staff import export_signups

    residents, employers = export_signups(services, args.id,
                                          Path(args.out).absolute() if args.out else None,
                                          actor=getpass.getuser())
    print(f"event {args.id}: {residents} residents, {employers} employers signed up")
    return 0


def cmd_attendance(args: argparse.Namespace, services: Any) -> int:
    """events attendance ID [--attended R1,E2] [--no-show R3]: mark (db/event_attendance.py,
    as the console does), then one line per sign-up (number, kind, mark); last, how many
    were marked."""
    import getpass

    from db.event_attendance import lines, mark

    marks = [(r, True) for r in args.attended.split(",") if r.strip()] + \
        [(r, False) for r in args.no_show.split(",") if r.strip()]
    with services.sessions.begin() as session:
        for ref, attended in marks:
            mark(session, args.id, ref, attended=attended, now=services.clock(),
                 by=getpass.getuser())
        found = lines(session, args.id)
    for line in found:
        print(f"{line.ref} {line.kind} {line.state}")
    print(len(marks))
    return 0


def cmd_import(args: argparse.Namespace, services: Any) -> int:
    """events import FILE.csv (bot/events_import.py)."""
    from bot.events_import import import_csv

    return import_csv(Path(args.file), services)


ACTIONS = {"add": cmd_add, "import": cmd_import, "publish": cmd_publish, "change": cmd_change,
           "cancel": cmd_cancel, "list": cmd_list, "signups": cmd_signups,
           "attendance": cmd_attendance}
