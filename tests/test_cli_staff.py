"""Staff commands run in-process: `registrations export --out FILE.csv` and `handoffs list`."""

from __future__ import annotations

import csv
import stat
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from bot.staff import EXPORT_COLUMNS, EXPORT_HEADERS
from db.models import AuditLog, Registration
from tests.dialog import certificate, register, rows, run, say
from tests.conftest import operator_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
CERT = certificate("12010519880808123", "4", "2")


def test_registrations_export_writes_a_csv_for_staff_and_an_audit_row(
        staff_cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = staff_cli
    register(chat, "cli-self", name="欧阳明远", cert=CERT, phone="13812345678")
    register(chat, "cli-mother", name="王小红", cert=certificate("12010519951212002", "2", "3"),
             phone="022-87654321", family=True)
    out = tmp_path / "exports" / "registrations.csv"
    out.parent.mkdir()
    capsys.readouterr()

    assert main(["registrations", "export", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "exported 2 registrations" in printed.out
    for secret in ("欧阳明远", "王小红", CERT, "13812345678", "87654321"):
        assert secret not in printed.out + printed.err

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig", newline="") as file:
        header, *body = list(csv.reader(file))
    assert header == ["登记编号", "填表人与残疾人的关系", "残疾人姓名", "残疾人证号", "证号已核验",
                      "残疾类别", "残疾等级", "联系电话", "所在街道", "文化程度", "求职意向",
                      "就业方式", "技能", "无障碍需求", "登记时间"]
    table = [dict(zip(EXPORT_COLUMNS, line)) for line in body]
    saved = {row.ref: row for row in rows(chat, Registration)}
    first, second = table
    assert first["ref"] in saved and second["ref"] in saved
    assert (first["relation"], first["name"], first["certificate"], first["phone"]) == \
        ("本人", "欧阳明远", CERT, "13812345678")
    assert (first["category"], first["grade"], first["certificate_checked"]) == ("肢体", "二级", "是")
    assert (first["street"], first["education"]) == ("光复道街", "高中、中专或职高")
    assert (first["job_kinds"], first["employment_modes"]) == ("手工制作、按摩、保健", "全日制")
    assert (first["skills"], first["accessibility"]) == ("", "")
    assert (second["relation"], second["name"], second["phone"]) == \
        ("监护人", "王小红", "022-87654321")
    created = saved[first["ref"]].created_at.astimezone(SHANGHAI)
    assert first["created_at"] == created.strftime("%Y-%m-%d %H:%M:%S")

    [audit] = rows(chat, AuditLog)
    assert (audit.action, audit.detail) == ("export", "2")
    assert audit.subject_hash == chat.services.cipher.keyed_hash(str(out.resolve()))


def test_an_empty_export_still_writes_the_header(staff_cli: Any, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "none.csv"
    assert main(["registrations", "export", "--out", str(out)]) == 0
    assert "exported 0 registrations" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8-sig").splitlines() == [",".join(EXPORT_HEADERS)]
    assert [a.detail for a in rows(staff_cli, AuditLog)] == ["0"]


def test_handoffs_list_shows_urgent_first_for_staff(staff_cli: Any,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    chat = staff_cli  # the urgent one is neither the oldest nor the newest
    run(chat, "cli-asks", ["区里有招聘会吗", "人工"])
    say(chat, "cli-distress", "活着真没意思")
    say(chat, "cli-later", "转人工")
    capsys.readouterr()
    assert main(["handoffs", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    heads = [line for line in lines if line.startswith("#")]
    assert [head.split()[-3] for head in heads] == ["cli-distress", "cli-asks", "cli-later"]
    assert "紧急" in heads[0] and "distress" in heads[0]
    assert "紧急" not in heads[1] + heads[2] and "request" in heads[1] and "request" in heads[2]
    assert "    活着真没意思" in lines and "    区里有招聘会吗" in lines
    assert lines[-1].startswith("3 open handoffs")


def test_export_makes_an_existing_file_0600_and_names_the_actor(
        staff_cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "open.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o666)
    assert main(["registrations", "export", "--out", str(out), "--actor", "zhang.staff"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "old" not in out.read_text(encoding="utf-8-sig")
    [audit] = rows(staff_cli, AuditLog)
    assert audit.actor == "zhang.staff"
    assert main(["registrations", "export", "--out", str(tmp_path / "b.csv")]) == 0
    assert rows(staff_cli, AuditLog)[-1].actor  # the OS user when --actor is not given


def test_export_refuses_to_follow_a_symlink(staff_cli: Any, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert main(["registrations", "export", "--out", str(link)]) != 0
    err = capsys.readouterr().err
    assert "symbolic link" in err.strip().splitlines()[-1] and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "keep me"
    assert rows(staff_cli, AuditLog) == []
