"""The yearly implementation report (due before 30 November) as a Word document."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from sqlalchemy import func, select

from db.models import Handoff, UnansweredQuestion
from db.registrations import (EMPLOYMENT_TARGET, counts_by_status, employed_by_street,
                              employed_by_year, registered_in)
from db.service_figures import bookings_by_status, events_in, four_ones, year_bounds

ATTENDANCE_NOTE = ("到场人数按工作人员登记的到场记录统计：服务在工作台“服务与预约”的名单上标记，"
                   "活动在“活动与通知”的报名名单上标记；没有标记的不算到场。")


def _in_year(column: Any, year: int) -> Any:
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    return (column >= start) & (column < start.replace(year=year + 1))


def figures(db: Any, year: int, zone_name: str = "Asia/Shanghai") -> list[tuple[str, str]]:
    """The year's figures, as (what, value) rows in the order of the report."""
    by_year = employed_by_year(db)
    total = sum(n for y, n in by_year.items() if y <= year)
    handoffs = db.scalar(select(func.count()).select_from(Handoff)
                         .where(_in_year(Handoff.created_at, year)))
    answered = db.scalar(select(func.count()).select_from(Handoff)
                         .where(_in_year(Handoff.created_at, year),
                                Handoff.answered_at.is_not(None)))
    closed = db.scalar(select(func.count()).select_from(Handoff)
                       .where(_in_year(Handoff.created_at, year), Handoff.status == "closed"))
    unanswered = db.scalar(select(func.count()).select_from(UnansweredQuestion)
                           .where(_in_year(UnansweredQuestion.asked_at, year)))
    rows = [("本年度新增残疾人就业（人）", str(by_year.get(year, 0))),
            ("累计新增残疾人就业 / 目标（人）", f"{total} / {EMPLOYMENT_TARGET}"),
            ("完成目标比例", f"{total * 100 / EMPLOYMENT_TARGET:.1f}%"),
            ("本年度就业需求登记（人）", str(registered_in(db, year))),
            ("本年度转人工（次）", str(handoffs)),
            ("其中已回复（次）", str(answered)),
            ("其中已办结（次）", str(closed)),
            ("本年度机器人答不上的问题（个）", str(unanswered))]
    zone = ZoneInfo(zone_name)
    start, end = year_bounds(year, zone)
    booked = bookings_by_status(db, start, end)
    held = events_in(db, start, end)
    rows += [("本年度服务预约（人次）", str(sum(booked.values()))),
             ("其中已到场（人次）", str(booked["attended"])),
             ("其中未到场（人次）", str(booked["no_show"])),
             ("本年度举办招聘会等活动（场）", str(held["events"])),
             ("活动报名的居民（人次）", str(held["residents"])),
             ("其中到场的居民（人次）", str(held["residents_attended"])),
             ("其中未到场的居民（人次）", str(held["residents_absent"])),
             ("其中尚未登记到场情况（人次）", str(held["residents_unmarked"])),
             ("报名参加招聘的用人单位（家）", str(held["employers"])),
             ("其中到场招聘的用人单位（家）", str(held["employers_attended"]))]
    return rows


def yearly_report(bot: Any, year: int) -> bytes:
    """The report for `year` as .docx bytes: the figures, then status and street tables."""
    with bot.sessions.begin() as db:
        zone = bot.settings.bot.timezone
        rows = figures(db, year, zone)
        steps = four_ones(db, *year_bounds(year, ZoneInfo(zone)))
        statuses = counts_by_status(db)
        streets = employed_by_street(db, year)
    document = Document()
    office = bot.settings.district.office_name
    document.add_heading(f"{office}{year}年度促进残疾人就业工作情况报告", level=0)
    document.add_paragraph(f"统计截至 {bot.clock():%Y年%m月%d日}。数据来自残疾人就业服务助手"
                           "（企业微信）和工作台的登记记录。")
    document.add_heading("一、主要数据", level=1)
    _table(document, ("项目", "数量"), rows)
    document.add_paragraph(ATTENDANCE_NOTE)
    document.add_heading("二、“四个一”服务开展情况（按预约统计）", level=1)
    _table(document, ("服务", "预约 / 到场（人次）"),
           [(name, f"{made} / {came}") for name, made, came in steps] or [("（暂无）", "0 / 0")])
    document.add_heading("三、就业登记的跟进状态（全部登记）", level=1)
    _table(document, ("状态", "人数"), [(s, str(n)) for s, n in statuses.items()])
    document.add_heading(f"四、{year}年新增就业按街道", level=1)
    _table(document, ("街道", "人数"), [(s, str(n)) for s, n in streets.items()]
           or [("（暂无）", "0")])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document: Any, header: tuple[str, str], rows: list[tuple[str, str]]) -> None:
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
    for left, right in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = left, right
