"""Log set-up for every process (never at import): one line per event, Shanghai time, level.

The same configuration serves the CLI, the scheduler and, through `bot/gunicorn_conf.py`,
gunicorn's master and workers. Every line passes `redact`: the app secret, the callback token,
the AES key, the data key and access tokens never reach a log, also not inside the URLs that
urllib3, requests or werkzeug log at DEBUG.
"""

from __future__ import annotations

import logging
import logging.config
import re
import threading
import traceback
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
NOISY = ("jieba", "urllib3", "werkzeug", "apscheduler.executors.default",
         "alembic.runtime.migration")
# Query parameters and JSON fields that carry credentials, in whatever text they appear.
_CREDENTIAL = re.compile(r"""(?i)((?:corp)?secret|access_token|encoding_aes_key|data_key)"""
                         r"""(["']?\s*[=:]\s*["']?)[^&\s"',;)}]+""")
_hidden: set[str] = set()
_hidden_lock = threading.Lock()


def hide(*values: str) -> None:
    """Register secret values (app secret, token, keys, access tokens) to be cut from logs."""
    with _hidden_lock:
        _hidden.update(v for v in values if v and len(v) >= 6)


def redact(text: str) -> str:
    """The text without credentials: known secret values and credential parameters → ***."""
    text = _CREDENTIAL.sub(r"\1\2***", text)
    with _hidden_lock:
        secrets = sorted(_hidden, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def describe(exc: BaseException, limit: int = 200) -> str:
    """`ConnectionError: ... Connection refused` in one redacted line, for logs and the outbox."""
    text = " ".join(str(exc).split())
    reason = re.search(r"\[Errno -?\d+\][^'\")\]]*|Connection refused|timed out|"
                       r"Name or service not known", text)
    detail = reason.group(0) if reason else text  # urllib3's long wrapper, cut to its cause
    return redact(f"{type(exc).__name__}: {detail}")[:limit]




class ShanghaiFormatter(logging.Formatter):
    """`2026-11-29T20:01:02+08:00 WARNING bot.sender send failed user=zh…a1b2c3 errcode=60020`

    One line per event: a traceback is folded into `exc=Type: message at file:line < ...`.
    """

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, SHANGHAI).isoformat(timespec="seconds")

    def formatException(self, ei: Any) -> str:
        exc_type, exc, tb = ei
        frames = [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
                  for frame in traceback.extract_tb(tb)][-4:]
        where = f" at {' < '.join(reversed(frames))}" if frames else ""
        return f"exc={exc_type.__name__}: {exc}{where}"

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record).replace("\r", " ")
        head, _, rest = line.partition("\n")
        return redact(head + (" " + " ".join(rest.split()) if rest else ""))


def logging_dict(level: str = "INFO") -> dict[str, Any]:
    """The dictConfig of every process: root to stderr, gunicorn's loggers through root."""
    quiet = "WARNING" if logging.getLevelName(level.upper()) != logging.DEBUG else level.upper()
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"line": {"()": ShanghaiFormatter, "fmt": FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {**{name: {"level": quiet} for name in NOISY},
                    "gunicorn.error": {"level": level.upper(), "handlers": [],
                                       "propagate": True},
                    "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True}},
    }


def configure(level: str = "INFO") -> None:
    """Send logs to stderr, one line each; quiet the chatty libraries unless at DEBUG.

    Every record is also redacted when it is made, so no handler (a test's, a library's) ever
    holds a secret either.
    """
    logging.config.dictConfig(logging_dict(level))
    redact_records()


def redact_records() -> None:
    """Redact every log record as it is made (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts", False):
        logging.setLogRecordFactory(_redacting(factory))


def _redacting(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return record
        record.msg, record.args = redact(message), None
        return record

    make.redacts = True  # type: ignore[attr-defined]
    return make
