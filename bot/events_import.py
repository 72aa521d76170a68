"""`python -m bot events import FILE.csv`: all or nothing, every bad row with its line."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from bot.events_cli import BadInput, local_time
from db.events import create_event, problems

CSV_FIELDS = ("kind", "title", "start", "end", "place", "accessibility", "online_url",
              "organiser", "audience", "capacity", "deadline", "employers_allowed")


def import_csv(path: Path, services: Any) -> int:
    """Every bad row reported with its line; nothing imported unless all are good."""
    zone = services.settings.bot.timezone
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            unknown = set(reader.fieldnames or ()) - set(CSV_FIELDS)
            if unknown or not {"kind", "title", "start"} <= set(reader.fieldnames or ()):
                raise BadInput(f"line 1: the header must name columns of {','.join(CSV_FIELDS)}"
                               f" including kind,title,start (unknown: {sorted(unknown)})")
            rows, errors = [], []
            for row in reader:
                try:
                    values = _csv_values(row, zone)
                    found = problems(values)
                except BadInput as exc:
                    found = [str(exc)]
                if found:
                    errors.append(f"line {reader.line_num}: {'; '.join(found)}")
                rows.append(values if not found else None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadInput(f"cannot read {path}: {type(exc).__name__}") from None
    if errors:
        for line in errors:
            print(line, file=sys.stderr)
        print(f"events import: {len(errors)} bad rows, nothing imported", file=sys.stderr)
        return 1
    with services.sessions.begin() as session:
        ids = [create_event(session, now=services.clock(), **values).id for values in rows]
    print(f"imported {len(ids)} events: {' '.join(map(str, ids))}")
    return 0


def _csv_values(row: dict[str, Any], zone: str) -> dict[str, Any]:
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    values: dict[str, Any] = {"kind": cell.get("kind"), "title": cell.get("title"),
                              "start_at": local_time(cell.get("start"), zone, "start"),
                              "end_at": local_time(cell.get("end"), zone, "end"),
                              "deadline_at": local_time(cell.get("deadline"), zone, "deadline")}
    for name in ("place", "accessibility", "online_url", "organiser", "audience"):
        values[name] = cell.get(name) or None
    capacity = cell.get("capacity")
    if capacity and not capacity.isdigit():
        raise BadInput(f"capacity must be a whole number, got {capacity!r}")
    values["capacity"] = int(capacity) if capacity else None
    flag = (cell.get("employers_allowed") or "").lower()
    values["employers_allowed"] = flag in ("1", "yes", "true", "是") if flag else \
        values["kind"] == "招聘会"
    return values
