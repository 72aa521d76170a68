"""Staff commands for booking: `services list|add|edit|retire|seed` and
`slots add|list|roster|cancel|attendance` (python -m bot ...).

Each prints what it made on its last line of standard output (an id alone, or JSON with
--json); bad input exits non-zero with one clear line on standard error and writes nothing.
Times on the command line are Asia/Shanghai local times ([bot] timezone); stored in UTC.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from db.catalogue import (CatalogueError, add_service, edit_service, list_services,
                          retire_service, seed_services)
from db.models import Service
from db.slots import SlotError

SERVICE_FIELDS = ("name", "description", "audience", "modes", "place", "accessibility",
                  "bring", "source", "keywords")


from bot.slots_cli import SLOT_COMMANDS, StaffInputError  # noqa: E402


def _one_line_error(parser: argparse.ArgumentParser) -> None:
    """argparse's own errors as one line (usage is in --help)."""
    def error(message: str) -> NoReturn:
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)
    parser.error = error  # type: ignore[method-assign]


def add_parsers(sub: Any) -> None:
    """Register `services` and `slots` on the main parser's subcommands."""
    services = sub.add_parser("services", help="staff: the bookable service catalogue")
    actions = services.add_subparsers(dest="action", required=True, metavar="ACTION",
                                      help="list, seed, add, edit or retire")
    listing = actions.add_parser("list", help="the services (retired ones too)")
    listing.add_argument("--json", action="store_true")
    actions.add_parser("seed", help="add the seed file's services not yet in the catalogue")
    add = actions.add_parser("add", help="a new service; prints its id")
    add.add_argument("--code", required=True)
    edit = actions.add_parser("edit", help="change fields of a service")
    edit.add_argument("id", type=int)
    for parser in (add, edit):
        for name in SERVICE_FIELDS:
            parser.add_argument(f"--{name}", required=(parser is add and name == "name"))
    retire = actions.add_parser("retire", help="no new bookings; existing ones stand")
    retire.add_argument("id", type=int)
    slots = sub.add_parser("slots", help="staff: times of a service, with seats")
    verbs = slots.add_subparsers(dest="action", required=True, metavar="ACTION",
                                 help="add, list, roster, cancel or attendance")
    new = verbs.add_parser("add", help="a slot (or a weekly pattern); prints the id(s)")
    new.add_argument("--service", type=int, required=True)
    new.add_argument("--start", required=True, help='"YYYY-MM-DD HH:MM", Asia/Shanghai')
    new.add_argument("--minutes", type=int, required=True)
    new.add_argument("--capacity", type=int, required=True)
    new.add_argument("--place", required=True)
    new.add_argument("--weekly", help="MON,WED,... repeat on these weekdays")
    new.add_argument("--until", help="YYYY-MM-DD, last day of the weekly pattern")
    shown = verbs.add_parser("list", help="slots in time order")
    shown.add_argument("--service", type=int)
    shown.add_argument("--from", dest="since", help="YYYY-MM-DD (local)")
    shown.add_argument("--json", action="store_true")
    names = verbs.add_parser("roster", help="who is booked (names decrypted; audited)")
    names.add_argument("id", type=int)
    names.add_argument("--out", help="write a CSV (mode 0600) instead of printing")
    cancel = verbs.add_parser("cancel", help="cancel a slot and tell everyone booked")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--reason", required=True)
    present = verbs.add_parser("attendance", help="mark bookings attended / no-show")
    present.add_argument("id", type=int)
    present.add_argument("--attended", default="", help="booking numbers, comma-separated")
    present.add_argument("--no-show", dest="no_show", default="",
                         help="booking numbers, comma-separated")
    for parser in (services, listing, add, edit, retire, slots, new, shown, names, cancel,
                   present, *actions.choices.values(), *verbs.choices.values()):
        _one_line_error(parser)


def run(args: argparse.Namespace, services: Any) -> int:
    """Run `services …` or `slots …`; bad input: one line on stderr, exit 1."""
    try:
        handler = COMMANDS[(args.command, args.action)]
        return handler(args, services)
    except (StaffInputError, CatalogueError, SlotError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _service_json(service: Service) -> dict[str, Any]:
    return {"id": service.id, "name": service.name, "code": service.code,
            "modes": service.modes, "place": service.place, "audience": service.audience,
            "bring": service.bring, "source": service.source,
            "retired": service.retired_at is not None}


def services_list(args: argparse.Namespace, services: Any) -> int:
    """services list [--json]."""
    with services.sessions.begin() as session:
        found = [_service_json(s) for s in list_services(session, include_retired=True)]
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    for s in found:
        retired = "  （已停止预约）" if s["retired"] else ""
        print(f"{s['id']}  {s['name']}  {s['modes']}{retired}")
    print(f"{len(found)} services")
    return 0


def services_seed(args: argparse.Namespace, services: Any) -> int:
    """services seed: the seed file's services that are missing (idempotent)."""
    with services.sessions.begin() as session:
        added = seed_services(session, now=services.clock())
    print(added)
    return 0


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in SERVICE_FIELDS}


def services_add(args: argparse.Namespace, services: Any) -> int:
    """services add --code C --name N [...]: prints the new id."""
    with services.sessions.begin() as session:
        service_id = add_service(session, code=args.code.strip(), now=services.clock(),
                                 **_fields(args)).id
    print(service_id)
    return 0


def services_edit(args: argparse.Namespace, services: Any) -> int:
    """services edit ID [--name ...]: prints the id."""
    with services.sessions.begin() as session:
        edit_service(session, args.id, **_fields(args))
    print(args.id)
    return 0


def services_retire(args: argparse.Namespace, services: Any) -> int:
    """services retire ID: prints the id."""
    with services.sessions.begin() as session:
        retire_service(session, args.id, now=services.clock())
    print(args.id)
    return 0


COMMANDS = {("services", "list"): services_list, ("services", "seed"): services_seed,
            ("services", "add"): services_add, ("services", "edit"): services_edit,
            ("services", "retire"): services_retire, **SLOT_COMMANDS}


def seed_demo(services: Any, days: int = 5) -> tuple[int, int]:
    """`make run`: the catalogue, and demo slots when no service has a time to come (idempotent).

    Demo slots say their place is confirmed by phone: the plan gives no address.
    """
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from db.slots import add_slot, open_slots

    zone, now = ZoneInfo(services.settings.bot.timezone), services.clock()
    with services.sessions.begin() as session:
        added = seed_services(session, now=now)
        catalogue = list_services(session)
        if any(open_slots(session, s.id, now=now, limit=1) for s in catalogue):
            return added, 0
        day, made = now.astimezone(zone).date(), 0
        while made < days * len(catalogue) * 2:
            day += timedelta(days=1)
            if day.weekday() >= 5:
                continue
            for service in catalogue:
                for hour, minute in ((9, 30), (14, 30)):
                    start = datetime.combine(day, time(hour, minute), tzinfo=zone)
                    add_slot(session, service_id=service.id, starts_at=start, minutes=60,
                             capacity=10, place="由工作人员电话确认（演示数据）", now=now)
                    made += 1
    return added, made
