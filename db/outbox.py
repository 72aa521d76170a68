"""What `/healthz` tells an operator about the outbox: failures and how long messages wait."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from db.models import OutboundMessage

FAILED_WINDOW = timedelta(hours=24)


def outbox_health(connection: Connection, now: datetime) -> dict[str, Any]:
    """Pending count, the oldest pending message's age in seconds, failures of the last day."""
    pending, oldest = connection.execute(
        select(func.count(), func.min(OutboundMessage.created_at))
        .where(OutboundMessage.status.in_(("pending", "sending")))).one()
    failed = connection.scalar(select(func.count())
                            .where(OutboundMessage.status == "failed",
                                   OutboundMessage.created_at >= now - FAILED_WINDOW))
    age = 0 if oldest is None else max(0, int((now - oldest).total_seconds()))
    return {"pending": pending, "oldest_pending_seconds": age, "failed_last_24h": failed}
