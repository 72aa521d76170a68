"""gunicorn settings for `python -m bot serve`: our log lines in the master and every worker.

gunicorn applies `logconfig_dict` in the master before it forks, so every worker logs through
the same handler: one line per event, Asia/Shanghai time, level, secrets redacted.
"""

from __future__ import annotations

import gc
import logging.config
from typing import Any

from bot.logs import logging_dict, redact_records
from bot.settings import ConfigError, load_settings

try:
    _settings = load_settings()
    _level, _demo = _settings.bot.log_level, _settings.bot.demo
except ConfigError:  # the app itself then refuses to start, in its own words
    _level, _demo = "INFO", False
logconfig_dict = logging_dict(_level)
if _demo:  # the demo page polls every second: no line per request on the demo's terminal
    logconfig_dict["loggers"]["gunicorn.access"]["level"] = "WARNING"


def post_fork(server: Any, worker: Any) -> None:
    """Each worker: the same configuration again (a library may have changed it at import),
    and its records redacted as they are made."""
    logging.config.dictConfig(logconfig_dict)
    redact_records()


def post_worker_init(worker: Any) -> None:
    """Each worker, once the app is built: what start-up made (the knowledge base with jieba's
    dictionary: most of the heap) is frozen out of the garbage collector's reach, so its full
    collections no longer walk it (~100 ms each, about once per 2,000 messages under load).
    A knowledge reload unfreezes it again (knowledge/live.py), so the old base can go."""
    gc.collect()
    gc.freeze()


# The time and level come from our formatter; gunicorn's own format would repeat the time.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
