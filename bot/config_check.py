"""Every check of a complete configuration, collected: one line per problem, naming its key.

Outside demo mode the demo values (token, AES key, secret, data key, corp id, staff ids, an
`api_base` at the built-in simulator) are refused, so a copied example configuration cannot
go live by mistake.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.crypto import decode_key

if TYPE_CHECKING:
    from bot.settings import Settings

# Drivers the bot installs (pyproject.toml): SQLite (built in) and psycopg 3.
DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DRIVERLESS_POSTGRES = re.compile(r"(postgres|postgresql)(\+psycopg2|\+pg8000|\+asyncpg)?://")


def problems_of(s: Settings) -> list[str]:
    """All problems of the settings, in file order; empty when they are usable."""
    return [*_wecom(s), *_database(s), *_security(s), *_bot(s), *_demo_values(s)]


def _wecom(s: Settings) -> list[str]:
    w, found = s.wecom, []
    if not w.corp_id:
        found.append("[wecom] corp_id: missing (BOT_WECOM_CORP_ID)")
    if w.agent_id <= 0:
        found.append("[wecom] agent_id: missing or not a positive number (BOT_WECOM_AGENT_ID)")
    if not w.secret:
        found.append("[wecom] secret: missing (BOT_WECOM_SECRET)")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", w.token):
        found.append("[wecom] token: missing or not 1-32 letters/digits (BOT_WECOM_TOKEN)")
    if not re.fullmatch(r"[A-Za-z0-9]{43}", w.encoding_aes_key):
        found.append(f"[wecom] encoding_aes_key: must be exactly 43 letters/digits, got "
                     f"{len(w.encoding_aes_key)} characters (BOT_WECOM_ENCODING_AES_KEY)")
    if not re.match(r"https?://", w.api_base):
        found.append("[wecom] api_base: must start with http:// or https://")
    if w.timeout_seconds <= 0:
        found.append("[wecom] timeout_seconds: must be positive")
    return found


def _database(s: Settings) -> list[str]:
    url = s.database.url
    if not url or "://" not in url:
        return ["[database] url: missing or not an SQLAlchemy URL (BOT_DATABASE_URL)"]
    if DRIVERLESS_POSTGRES.match(url):
        rest = url.split("://", 1)[1].rsplit("@", 1)[-1]
        return [f"[database] url: use postgresql+psycopg://…@{rest} (the psycopg 3 driver "
                f"the bot installs), not {url.split('://', 1)[0]}:// (BOT_DATABASE_URL)"]
    driver = url.partition("://")[0]
    if driver not in DATABASE_DRIVERS:
        return [f"[database] url: {driver}:// is not supported; use sqlite:///FILE or "
                "postgresql+psycopg://USER@HOST/DB (BOT_DATABASE_URL)"]
    return []


def _security(s: Settings) -> list[str]:
    try:
        decode_key(s.security.data_key)
    except ValueError as exc:
        return [f"[security] data_key: {exc} (BOT_SECURITY_DATA_KEY)"]
    return []


def _bot(s: Settings) -> list[str]:
    problems = []
    if not 0 < s.bot.passive_reply_seconds < 5:
        problems.append("[bot] passive_reply_seconds: must be between 0 and 5")
    if s.console.idle_minutes <= 0:
        problems.append("[console] idle_minutes: must be positive (BOT_CONSOLE_IDLE_MINUTES)")
    try:
        ZoneInfo(s.bot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"[bot] timezone: unknown time zone {s.bot.timezone!r}, "
                        "e.g. Asia/Shanghai (BOT_BOT_TIMEZONE)")
    if s.bot.log_level.upper() not in LOG_LEVELS:
        problems.append(f"[bot] log_level: {s.bot.log_level!r} is not one of "
                        f"{', '.join(LOG_LEVELS)} (BOT_BOT_LOG_LEVEL)")
    for year, wage in s.levy.city_average_wage.items():
        if not wage.is_finite() or wage <= 0:
            problems.append(f"[levy] city_average_wage: {year} must be a positive amount "
                            "in yuan (leave the year out while it is unknown)")
    if s.kf.lease_seconds < 10:
        problems.append("[kf] lease_seconds: must be at least 10 (BOT_KF_LEASE_SECONDS)")
    e = s.events
    if not (0 <= e.quiet_start_hour <= 23 and 0 <= e.quiet_end_hour <= 23):
        problems.append("[events] quiet_start_hour / quiet_end_hour: must be hours 0-23")
    if not 1 <= e.batch_size <= 1000:
        problems.append("[events] batch_size: must be between 1 and 1000")
    if e.lease_seconds < 5:
        problems.append("[events] lease_seconds: must be at least 5")
    for name in ("message_days", "dedup_hours", "form_days", "open_days"):
        if getattr(s.retention, name) <= 0:
            problems.append(f"[retention] {name}: must be a positive number")
    return problems


def is_builtin_simulator(api_base: str) -> bool:
    """True for an api_base at the simulator that demo mode mounts at /simulator."""
    return urlsplit(api_base).path.rstrip("/").endswith("/simulator")


def _demo_values(s: Settings) -> list[str]:
    from bot.settings import (DEMO_AES_KEY, DEMO_CORP_ID, DEMO_DATA_KEY, DEMO_SECRET,
                              DEMO_STAFF, DEMO_TOKEN)

    if s.bot.demo:
        return []
    w, found = s.wecom, []
    for key_name, value, demo in (("[wecom] corp_id", w.corp_id, DEMO_CORP_ID),
                                  ("[wecom] secret", w.secret, DEMO_SECRET),
                                  ("[wecom] token", w.token, DEMO_TOKEN),
                                  ("[wecom] encoding_aes_key", w.encoding_aes_key, DEMO_AES_KEY),
                                  ("[security] data_key", s.security.data_key, DEMO_DATA_KEY)):
        if value == demo:
            found.append(f"{key_name}: the demo value is refused outside demo mode")
    if is_builtin_simulator(w.api_base):
        found.append("[wecom] api_base: points at the demo's built-in simulator, refused outside "
                     "demo mode; production: https://qyapi.weixin.qq.com")
    demo_staff = [staff for staff in w.handoff_staff if staff in DEMO_STAFF]
    if demo_staff:
        found.append(f"[wecom] handoff_staff: the demo staff id {', '.join(demo_staff)} is "
                     "refused outside demo mode; list your staff's WeCom user ids")
    return found
