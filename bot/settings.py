"""Settings: a TOML file plus BOT_<SECTION>_<KEY> environment overrides, typed and validated.

`load_settings()` returns frozen dataclasses or raises `ConfigError` with one line per bad key
(every problem at once, checked in `bot.config_check`); the entry points print them and exit
non-zero.
"""

from __future__ import annotations

from collections import abc
import os
import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping, get_args, get_origin, get_type_hints

DEMO_TOKEN = "demotoken"
DEMO_AES_KEY = "DemoDemoDemoDemoDemoDemoDemoDemoDemoDemo123"
DEMO_DATA_KEY = "ZGVtby1kYXRhLWtleS1kby1ub3QtdXNlLWluLXByb2Q="
DEMO_SECRET = "demo-secret"
DEMO_CORP_ID = "wwdemo0000000000"
DEMO_STAFF = ("demostaff01",)


class ConfigError(Exception):
    """Settings are missing or invalid: one line per problem, each naming its key."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class CommandError(Exception):
    """A command cannot do what was asked; the message is one line saying what to do."""


@dataclass(frozen=True)
class BotSection:
    demo: bool = False
    timezone: str = "Asia/Shanghai"
    passive_reply_seconds: float = 3.0
    max_body_bytes: int = 65536
    log_level: str = "INFO"
    pin_workers: bool = True  # each gunicorn worker kept to a CPU of its own (bot/gunicorn_conf.py)


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
    form_days: int = 30  # an unfinished form (answers, prompt, consent) is purged after this
    open_days: int = 90  # an open handoff or question nobody closed expires after this


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
class EventsSection:
    quiet_start_hour: int = 21  # no pushes from 21:00 ...
    quiet_end_hour: int = 8  # ... to 08:00 (local time) unless a notice is urgent
    reminder_hours: int = 24  # the reminder goes this long before the start
    lease_seconds: int = 30  # a scheduler that stops renewing loses the sending lease
    batch_size: int = 1000  # recipients per message/send call (WeCom allows 1,000)
    cards: bool = False  # notices as template cards with 报名 / 不感兴趣 buttons (bot/cards.py)


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
    events: EventsSection = field(default_factory=EventsSection)
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
    """Build validated Settings from a parsed TOML mapping plus environment overrides.

    Every problem is collected first, so one run reports all of them (one line each).
    """
    from bot.config_check import problems_of

    env = {} if env is None else env
    sections, problems = {}, []
    for section, cls in _SECTIONS.items():
        given = dict(raw.get(section, {}) or {})
        known = {f.name for f in fields(cls)}
        problems += [f"[{section}] {key}: unknown setting" for key in given if key not in known]
        for name in known:
            variable = f"BOT_{section}_{name}".upper()
            if variable in env:
                given[name] = env[variable]
        sections[section] = _build(cls, section, given, problems)
    settings = Settings(**sections)
    reported = {problem.split(":")[0] for problem in problems}  # a bad value, once
    problems += [p for p in problems_of(settings) if p.split(":")[0] not in reported]
    if problems:
        raise ConfigError(*problems)
    return settings


_SECTIONS: dict[str, type] = get_type_hints(Settings)


def _build(cls: type, section: str, given: Mapping[str, Any], problems: list[str]) -> Any:
    hints = get_type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name in given:
            try:
                values[f.name] = _coerce(given[f.name], hints[f.name], f"[{section}] {f.name}")
            except ConfigError as exc:
                problems.extend(exc.problems)
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
