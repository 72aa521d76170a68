"""Settings: a TOML file plus BOT_<SECTION>_<KEY> environment overrides, typed and validated.

`load_settings()` returns frozen dataclasses or raises `ConfigError` whose message is one line
naming the bad key; the entry points print it and exit non-zero.
"""

from __future__ import annotations

import base64
from collections import abc
import binascii
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping, get_args, get_origin, get_type_hints

DEMO_TOKEN = "demotoken"
DEMO_AES_KEY = "DemoDemoDemoDemoDemoDemoDemoDemoDemoDemo123"
DEMO_DATA_KEY = "ZGVtby1kYXRhLWtleS1kby1ub3QtdXNlLWluLXByb2Q="
DEMO_SECRET = "demo-secret"


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line naming the key."""


@dataclass(frozen=True)
class BotSection:
    demo: bool = False
    timezone: str = "Asia/Shanghai"
    passive_reply_seconds: float = 3.0
    max_body_bytes: int = 65536
    log_level: str = "INFO"


@dataclass(frozen=True)
class WecomSection:
    corp_id: str = ""
    agent_id: int = 0
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    timeout_seconds: float = 5.0
    handoff_staff: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatabaseSection:
    url: str = "sqlite:///var/bot.db"


@dataclass(frozen=True)
class SecuritySection:
    data_key: str = ""


@dataclass(frozen=True)
class DistrictSection:
    office_name: str = "河北区残疾人联合会"
    office_address: str = ""
    office_phone: str = ""
    staff_hours: str = ""
    streets: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetentionSection:
    message_days: int = 180
    dedup_hours: int = 48


@dataclass(frozen=True)
class ConversationSection:
    resume_after_minutes: int = 120
    welcome_again_after_days: int = 30


@dataclass(frozen=True)
class LevySection:
    city_average_wage: Mapping[str, Decimal] = field(default_factory=dict)
    city_average_wage_source: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsoleSection:
    idle_minutes: int = 30
    knowledge_dir: str = ""  # "" = the bundled knowledge/entries


@dataclass(frozen=True)
class KfSection:
    servicer: str = ""  # 人工 on 微信客服: this WeCom userid (state 3); "" = the pool (state 2)
    lease_seconds: int = 120  # how long a worker may hold an account's pull before another


@dataclass(frozen=True)
class Settings:
    bot: BotSection = field(default_factory=BotSection)
    wecom: WecomSection = field(default_factory=WecomSection)
    database: DatabaseSection = field(default_factory=DatabaseSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    district: DistrictSection = field(default_factory=DistrictSection)
    retention: RetentionSection = field(default_factory=RetentionSection)
    conversation: ConversationSection = field(default_factory=ConversationSection)
    levy: LevySection = field(default_factory=LevySection)
    console: ConsoleSection = field(default_factory=ConsoleSection)
    kf: KfSection = field(default_factory=KfSection)


def load_settings(path: str | Path | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (BOT_CONFIG, else ./config.toml), apply env overrides, validate."""
    env = os.environ if env is None else env
    path = Path(path or env.get("BOT_CONFIG") or "config.toml")
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    elif "BOT_CONFIG" in env:
        raise ConfigError(f"BOT_CONFIG: file {path} does not exist")
    return settings_from_mapping(raw, env)


def settings_from_mapping(raw: Mapping[str, Any],
                          env: Mapping[str, str] | None = None) -> Settings:
    """Build validated Settings from a parsed TOML mapping plus environment overrides."""
    env = {} if env is None else env
    sections = {}
    for section, cls in _SECTIONS.items():
        given = dict(raw.get(section, {}) or {})
        known = {f.name for f in fields(cls)}
        for key in given:
            if key not in known:
                raise ConfigError(f"[{section}] {key}: unknown setting")
        for name in known:
            variable = f"BOT_{section}_{name}".upper()
            if variable in env:
                given[name] = env[variable]
        sections[section] = _build(cls, section, given)
    settings = Settings(**sections)
    _validate(settings)
    return settings


_SECTIONS: dict[str, type] = get_type_hints(Settings)


def _build(cls: type, section: str, given: Mapping[str, Any]) -> Any:
    hints = get_type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name in given:
            values[f.name] = _coerce(given[f.name], hints[f.name], f"[{section}] {f.name}")
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    origin = get_origin(hint)
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if hint in (int, float, str):
            if hint is not str and isinstance(value, bool):
                raise ValueError(value)
            return hint(value)
        if origin is tuple:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            return tuple(str(v) for v in value)
        if origin in (Mapping, dict, abc.Mapping):
            if not isinstance(value, Mapping):
                raise ValueError(value)
            value_type = get_args(hint)[1]
            return {str(k): (Decimal(str(v)) if value_type is Decimal else str(v))
                    for k, v in value.items()}
    except (TypeError, ValueError, InvalidOperation):
        raise ConfigError(f"{key}: invalid value {value!r}") from None
    raise ConfigError(f"{key}: unsupported type")  # pragma: no cover


def _validate(s: Settings) -> None:
    w = s.wecom
    if not w.corp_id:
        raise ConfigError("[wecom] corp_id: missing (BOT_WECOM_CORP_ID)")
    if w.agent_id <= 0:
        raise ConfigError("[wecom] agent_id: missing or not a positive number "
                          "(BOT_WECOM_AGENT_ID)")
    if not w.secret:
        raise ConfigError("[wecom] secret: missing (BOT_WECOM_SECRET)")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", w.token):
        raise ConfigError("[wecom] token: missing or not 1-32 letters/digits (BOT_WECOM_TOKEN)")
    if not re.fullmatch(r"[A-Za-z0-9]{43}", w.encoding_aes_key):
        raise ConfigError(
            f"[wecom] encoding_aes_key: must be exactly 43 letters/digits, "
            f"got {len(w.encoding_aes_key)} characters (BOT_WECOM_ENCODING_AES_KEY)")
    if not re.match(r"https?://", w.api_base):
        raise ConfigError("[wecom] api_base: must start with http:// or https://")
    if w.timeout_seconds <= 0:
        raise ConfigError("[wecom] timeout_seconds: must be positive")
    if not s.database.url or "://" not in s.database.url:
        raise ConfigError("[database] url: missing or not an SQLAlchemy URL (BOT_DATABASE_URL)")
    try:
        key = base64.b64decode(s.security.data_key, validate=True) if s.security.data_key else b""
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError("[security] data_key: must be 32 bytes in base64 "
                          "(BOT_SECURITY_DATA_KEY)")
    if s.console.idle_minutes <= 0:
        raise ConfigError("[console] idle_minutes: must be positive (BOT_CONSOLE_IDLE_MINUTES)")
    if s.kf.lease_seconds < 10:
        raise ConfigError("[kf] lease_seconds: must be at least 10 (BOT_KF_LEASE_SECONDS)")
    if not 0 < s.bot.passive_reply_seconds < 5:
        raise ConfigError("[bot] passive_reply_seconds: must be between 0 and 5")
    if not s.bot.demo:
        for key_name, value, demo in (("[wecom] token", w.token, DEMO_TOKEN),
                                      ("[wecom] encoding_aes_key", w.encoding_aes_key,
                                       DEMO_AES_KEY),
                                      ("[wecom] secret", w.secret, DEMO_SECRET),
                                      ("[security] data_key", s.security.data_key, DEMO_DATA_KEY)):
            if value == demo:
                raise ConfigError(f"{key_name}: the demo value is refused outside demo mode")
