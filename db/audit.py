"""The audit log: who looked at or exported personal data, and when (never the data)."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog

ACTION_NAMES = {"view_registration": "查看登记详情", "view_handoff": "查看转人工对话",
                "export": "导出登记（命令行）", "export_xlsx": "导出登记（Excel）",
                "export_csv": "导出登记（CSV）", "report_docx": "生成年度报告",
                "change_status": "修改登记状态", "edit_plan": "修改一人一策",
                "erase": "删除个人信息", "view_roster": "查看预约名单",
                "roster": "查看预约名单（命令行）",
                "view_signups": "查看活动报名", "export_bookings_xlsx": "导出预约（Excel）",
                "export_bookings_csv": "导出预约（CSV）", "export_signups_xlsx": "导出活动报名（Excel）",
                "export_signups_csv": "导出活动报名（CSV）"}


def audit(session: Session, action: str, *, actor: str, subject_hash: str, detail: str,
          now: datetime) -> None:
    """Add one audit row in the caller's transaction."""
    session.add(AuditLog(action=action, actor=actor, subject_hash=subject_hash,
                         detail=detail[:255], at=now))


def recent(session: Session, limit: int = 200) -> Sequence[AuditLog]:
    """The newest audit rows first."""
    return session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)).all()
