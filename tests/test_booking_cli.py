"""The staff commands of booking, as outside checks drive them (../shared/CONTRACT.md)."""

from __future__ import annotations

import csv
import json
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from db.models import AuditLog, Booking, BookingEvent, Service, Slot
from tests.dialog import register, rows, run, say

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(days: int, hour: int = 9) -> str:
    """A Shanghai local time `days` from now at `hour`:00, as the command line takes it."""
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return f"{day.isoformat()} {hour:02d}:00"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `python -m bot ARGV` in-process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refuses the command line itself
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def seeded(staff_cli: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    """`services seed`, then `services list --json`: name → id."""
    assert cli(capsys, "services", "seed")[0] == 0
    code, out, _ = cli(capsys, "services", "list", "--json")
    assert code == 0
    return {s["name"]: s["id"] for s in json.loads(out.strip().splitlines()[-1])}


def add(capsys: pytest.CaptureFixture[str], service: int, start: str, capacity: int = 10,
        *extra: str) -> list[int]:
    code, out, err = cli(capsys, "slots", "add", "--service", str(service), "--start", start,
                         "--minutes", "60", "--capacity", str(capacity), "--place",
                         "河北区残联服务大厅", *extra)
    assert code == 0, err
    return [int(line) for line in out.split()]


def test_services_list_and_slots_add_and_list_as_the_contract_says(
        staff_cli: Any, seeded: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    assert set(seeded) >= {"基础信息核对", "职业能力评估", "就业需求登记", "就业服务", "职业技能培训",
                           "盲人医疗按摩考试辅导", "辅助性就业安置", "就业困难人员认定咨询"}
    assert cli(capsys, "services", "seed")[1].strip() == "0"  # idempotent
    start = local(9)
    code, out, _ = cli(capsys, "slots", "add", "--service", str(seeded["职业能力评估"]),
                       "--start", start, "--minutes", "60", "--capacity", "10",
                       "--place", "河北区残联服务大厅")
    slot_id = int(out.strip().splitlines()[-1])
    code, out, _ = cli(capsys, "slots", "list", "--service", str(seeded["职业能力评估"]),
                       "--json")
    [listed] = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert {k: listed[k] for k in ("id", "start", "capacity", "taken")} == \
        {"id": slot_id, "start": start, "capacity": 10, "taken": 0}
    code, out, _ = cli(capsys, "slots", "list", "--from", local(10)[:10], "--json")
    assert json.loads(out.strip().splitlines()[-1]) == []
    [stored] = rows(staff_cli, Slot)
    assert stored.starts_at == datetime.strptime(start, "%Y-%m-%d %H:%M").replace(
        tzinfo=SHANGHAI)  # stored in UTC, the same instant


@pytest.mark.parametrize("change", [
    {"--start": "2026-13-40 09:00"}, {"--start": "明天上午"}, {"--service": "999"},
    {"--capacity": "0"}, {"--minutes": "-5"}, {"--place": " "}, {"--start": "2020-01-01 09:00"},
    {"--capacity": "ten"},
])
def test_bad_slot_input_is_one_line_non_zero_and_writes_nothing(
        staff_cli: Any, seeded: dict[str, int], capsys: pytest.CaptureFixture[str],
        change: dict[str, str]) -> None:
    argv = {"--service": str(seeded["职业能力评估"]), "--start": local(3), "--minutes": "60",
            "--capacity": "10", "--place": "大厅", **change}
    code, out, err = cli(capsys, "slots", "add", *[x for kv in argv.items() for x in kv])
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "error" in err
    assert rows(staff_cli, Slot) == []


def test_a_weekly_pattern(staff_cli: Any, seeded: dict[str, int],
                          capsys: pytest.CaptureFixture[str]) -> None:
    first = datetime.now(SHANGHAI).date() + timedelta(days=7)
    until = first + timedelta(days=13)
    ids = add(capsys, seeded["职业技能培训"], f"{first} 14:00", 10, "--weekly", "MON,WED",
              "--until", until.isoformat())
    starts = [s.starts_at.astimezone(SHANGHAI) for s in rows(staff_cli, Slot)]
    assert len(ids) == len(starts) == 4
    assert {s.strftime("%a %H:%M") for s in starts} <= {"Mon 14:00", "Wed 14:00"}
    code, _, err = cli(capsys, "slots", "add", "--service", str(seeded["职业技能培训"]),
                       "--start", f"{first} 14:00", "--minutes", "60", "--capacity", "5",
                       "--place", "大厅", "--weekly", "FUNDAY", "--until", until.isoformat())
    assert code != 0 and len(err.strip().splitlines()) == 1 and len(rows(staff_cli, Slot)) == 4


def test_roster_cancel_and_attendance(staff_cli: Any, seeded: dict[str, int], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    chat = staff_cli
    [slot_id] = add(capsys, seeded["职业能力评估"], local(5, 9))
    add(capsys, seeded["职业能力评估"], local(6, 14))
    register(chat, "cli-booker", name="欧阳明远")
    run(chat, "cli-booker", ["我想约个职业能力评估", "1", "2"])
    run(chat, "cli-other", ["我想约个职业能力评估", "1", "确认"])
    out = tmp_path / "roster.csv"
    code, printed, _ = cli(capsys, "slots", "roster", str(slot_id), "--out", str(out))
    assert code == 0 and printed.strip().splitlines()[-1].startswith("2 booked")
    assert "欧阳明远" not in printed and stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.DictReader(file))
    assert [(r["name"], r["needs"]) for r in table] == [("欧阳明远", "轮椅通行"), ("（未登记）", "")]
    assert [a.action for a in rows(chat, AuditLog)] == ["roster"]

    first, second = (b.ref for b in rows(chat, Booking))
    code, printed, _ = cli(capsys, "slots", "attendance", str(slot_id), "--attended", first,
                           "--no-show", second)
    assert code == 0 and f"{first}  attended" in printed and f"{second}  no_show" in printed
    code, _, err = cli(capsys, "slots", "attendance", str(slot_id), "--attended", "YY000000")
    assert code != 0 and len(err.strip().splitlines()) == 1

    [later] = add(capsys, seeded["职业能力评估"], local(8, 9))
    run(chat, "cli-booker", ["我的预约"])  # the 9:00 booking is attended now: book again
    say(chat, "cli-booker", "取消")
    run(chat, "cli-booker", ["我想约个职业能力评估"])
    booked = say(chat, "cli-booker", "3") + say(chat, "cli-booker", "确认")
    assert "预约成功" in booked
    chat.api_messages("cli-booker")
    code, printed, _ = cli(capsys, "slots", "cancel", str(later), "--reason", "场地维修")
    assert code == 0 and printed.strip().splitlines()[-1] == "1"
    [notice] = chat.api_messages("cli-booker")
    assert "已取消" in notice and "场地维修" in notice and "还可以预约的时间" in notice
    assert rows(chat, Slot, id=later)[0].taken == 0
    kinds = [(e.kind, e.actor) for e in rows(chat, BookingEvent)]
    assert ("attended", "staff") in kinds and ("no_show", "staff") in kinds
    assert kinds[-1] == ("cancelled", "staff")


def test_services_add_edit_retire(staff_cli: Any, seeded: dict[str, int],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "services", "add", "--code", "job-club", "--name", "求职俱乐部",
                       "--modes", "在窗口、视频", "--description", "每周一次的求职交流")
    new_id = int(out.strip().splitlines()[-1])
    assert cli(capsys, "services", "edit", str(new_id), "--place", "区残联三楼")[0] == 0
    code, _, err = cli(capsys, "services", "edit", str(new_id), "--modes", "飞鸽传书")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert cli(capsys, "services", "retire", str(seeded["辅助性就业安置"]))[0] == 0
    listed = json.loads(cli(capsys, "services", "list", "--json")[1].strip().splitlines()[-1])
    by_id = {s["id"]: s for s in listed}
    assert by_id[new_id]["place"] == "区残联三楼" and by_id[new_id]["modes"] == "在窗口、视频"
    assert by_id[seeded["辅助性就业安置"]]["retired"] is True
    assert "辅助性就业安置" not in say(staff_cli, "cli-looker", "预约")
    assert len(rows(staff_cli, Service)) == 9


def test_a_roster_file_is_0600_and_never_written_through_a_symlink(
        staff_cli: Any, seeded: dict[str, int], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    [slot_id] = add(capsys, seeded["职业能力评估"], local(5, 9))
    existing = tmp_path / "open.csv"
    existing.write_text("old", encoding="utf-8")
    existing.chmod(0o666)
    code, _, _ = cli(capsys, "slots", "roster", str(slot_id), "--out", str(existing))
    assert code == 0 and stat.S_IMODE(existing.stat().st_mode) == 0o600
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, err = cli(capsys, "slots", "roster", str(slot_id), "--out", str(link))
    assert code != 0 and "symbolic link" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "keep me"
