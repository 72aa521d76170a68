"""The yearly implementation report (due before 30 November) as a Word document."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

from docx import Document
from sqlalchemy import func, select

import db.models as models
from db.models import Handoff, UnansweredQuestion
from db.registrations import (EMPLOYMENT_TARGET, counts_by_status, employed_by_street,
                              employed_by_year, registered_in)

PENDING = "（预约与活动模块上线后统计）"


def _in_year(column: Any, year: int) -> Any:
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    return (column >= start) & (column < start.replace(year=year + 1))


def figures(db: Any, year: int) -> list[tuple[str, str]]:
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
    if not hasattr(models, "Booking"):
        rows += [("服务预约与到场（人次）", PENDING)]
    if not hasattr(models, "Event"):
        rows += [("招聘会等活动与参加（人次）", PENDING), ("报名的用人单位（家）", PENDING)]
    return rows


def yearly_report(bot: Any, year: int) -> bytes:
    """The report for `year` as .docx bytes: the figures, then status and street tables."""
    with bot.sessions.begin() as db:
        rows = figures(db, year)
        statuses = counts_by_status(db)
        streets = employed_by_street(db, year)
    document = Document()
    office = bot.settings.district.office_name
    document.add_heading(f"{office}{year}年度促进残疾人就业工作情况报告", level=0)
    document.add_paragraph(f"统计截至 {bot.clock():%Y年%m月%d日}。数据来自残疾人就业服务助手"
                           "（企业微信）和工作台的登记记录。")
    document.add_heading("一、主要数据", level=1)
    _table(document, ("项目", "数量"), rows)
    document.add_heading("二、就业登记的跟进状态（全部登记）", level=1)
    _table(document, ("状态", "人数"), [(s, str(n)) for s, n in statuses.items()])
    document.add_heading(f"三、{year}年新增就业按街道", level=1)
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
