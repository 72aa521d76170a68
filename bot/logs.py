"""Logging set-up for the entry points (never at import): one line per event, Shanghai time."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class ShanghaiFormatter(logging.Formatter):
    """`2026-11-29T20:01:02+08:00 INFO bot.pipeline message user=zh…a1b2c3 ...`"""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, SHANGHAI).isoformat(timespec="seconds")


def configure(level: str = "INFO") -> None:
    """Send logs to stderr, one line each; quiet the chatty libraries."""
    handler = logging.StreamHandler()
    handler.setFormatter(ShanghaiFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("jieba", "urllib3", "werkzeug", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.Formatter.converter = time.gmtime
