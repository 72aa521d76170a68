"""Settings: TOML plus BOT_<SECTION>_<KEY> overrides; a bad setting is one line naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.settings import (DEMO_AES_KEY, DEMO_DATA_KEY, DEMO_SECRET, DEMO_TOKEN, ConfigError,
                          load_settings)

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
DATA_KEY = "dGVzdC1kYXRhLWtleS0zMi1ieXRlcy1sb25nISEhISE="
PRODUCTION = f"""
[bot]
demo = false

[wecom]
corp_id = "ww1234567890abcdef"
agent_id = 1000002
secret = "a-real-looking-secret"
token = "Tok3nFromTheConsole"
encoding_aes_key = "{GOOD_KEY}"
handoff_staff = ["staff01", "staff02"]

[database]
url = "postgresql+psycopg://bot@db.internal/bot"

[security]
data_key = "{DATA_KEY}"
"""


def write(tmp_path: Path, text: str) -> Path:
    """A config file with `text`."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path, **env: str) -> str:
    """The ConfigError message for loading `path` with `env`."""
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env=env)
    return str(raised.value)


def replaced(old: str, new: str) -> str:
    """The production config with one line changed."""
    assert old in PRODUCTION
    return PRODUCTION.replace(old, new)


def test_a_complete_file_loads(tmp_path):
    settings = load_settings(write(tmp_path, PRODUCTION), env={})
    assert (settings.wecom.corp_id, settings.wecom.agent_id) == ("ww1234567890abcdef", 1000002)
    assert settings.wecom.handoff_staff == ("staff01", "staff02")
    assert settings.wecom.api_base == "https://qyapi.weixin.qq.com"  # the built-in default
    assert settings.bot.demo is False


def test_environment_variables_override_the_file(tmp_path):
    settings = load_settings(write(tmp_path, PRODUCTION),
                             env={"BOT_WECOM_TOKEN": "FromTheEnvironment",
                                  "BOT_WECOM_AGENT_ID": "1000009",
                                  "BOT_WECOM_HANDOFF_STAFF": "a, b",
                                  "BOT_BOT_PASSIVE_REPLY_SECONDS": "2.5",
                                  "BOT_DATABASE_URL": "sqlite:///var/other.db"})
    assert settings.wecom.token == "FromTheEnvironment"
    assert settings.wecom.agent_id == 1000009
    assert settings.wecom.handoff_staff == ("a", "b")
    assert settings.bot.passive_reply_seconds == 2.5
    assert settings.database.url == "sqlite:///var/other.db"


def test_bot_config_names_the_file(tmp_path):
    path = write(tmp_path, PRODUCTION)
    assert load_settings(env={"BOT_CONFIG": str(path)}).wecom.token == "Tok3nFromTheConsole"


@pytest.mark.parametrize(("config", "env", "key"), [
    (replaced('token = "Tok3nFromTheConsole"\n', ""), {}, "[wecom] token"),
    (PRODUCTION, {"BOT_WECOM_TOKEN": ""}, "[wecom] token"),
    (PRODUCTION, {"BOT_WECOM_TOKEN": "has spaces and 符号"}, "[wecom] token"),
    (PRODUCTION, {"BOT_WECOM_ENCODING_AES_KEY": GOOD_KEY[:42]}, "[wecom] encoding_aes_key"),
    (PRODUCTION, {"BOT_WECOM_ENCODING_AES_KEY": GOOD_KEY + "A"}, "[wecom] encoding_aes_key"),
    (PRODUCTION, {"BOT_WECOM_AGENT_ID": "abc"}, "[wecom] agent_id"),
    (replaced("agent_id = 1000002", 'agent_id = "abc"'), {}, "[wecom] agent_id"),
    (PRODUCTION, {"BOT_WECOM_AGENT_ID": "0"}, "[wecom] agent_id"),
    (replaced('corp_id = "ww1234567890abcdef"\n', ""), {}, "[wecom] corp_id"),
    (PRODUCTION, {"BOT_WECOM_SECRET": ""}, "[wecom] secret"),
    (PRODUCTION, {"BOT_WECOM_API_BASE": "qyapi.weixin.qq.com"}, "[wecom] api_base"),
    (PRODUCTION, {"BOT_SECURITY_DATA_KEY": "not base64!"}, "[security] data_key"),
    (PRODUCTION, {"BOT_SECURITY_DATA_KEY": "c2hvcnQ="}, "[security] data_key"),
    (replaced(f'data_key = "{DATA_KEY}"\n', ""), {}, "[security] data_key"),
    (PRODUCTION, {"BOT_DATABASE_URL": "bot.db"}, "[database] url"),
    (PRODUCTION, {"BOT_BOT_PASSIVE_REPLY_SECONDS": "6"}, "[bot] passive_reply_seconds"),
    (PRODUCTION, {"BOT_BOT_DEMO": "perhaps"}, "[bot] demo"),
    (replaced("[bot]\n", "[bot]\ncolour = 1\n"), {}, "[bot] colour"),
], ids=["token-missing", "token-empty-env", "token-bad", "aes-42", "aes-44", "agent-env",
        "agent-file", "agent-zero", "corp-missing", "secret-empty", "api-base", "data-key-bad",
        "data-key-short", "data-key-missing", "database-url", "passive-budget", "demo-flag",
        "unknown-key"])
def test_a_bad_setting_is_one_line_naming_the_key(tmp_path, config, env, key):
    message = config_error(write(tmp_path, config), **env)
    assert message.startswith(key + ":")
    assert "\n" not in message


@pytest.mark.parametrize(("env", "key"), [
    ({"BOT_WECOM_TOKEN": DEMO_TOKEN}, "[wecom] token"),
    ({"BOT_WECOM_ENCODING_AES_KEY": DEMO_AES_KEY}, "[wecom] encoding_aes_key"),
    ({"BOT_WECOM_SECRET": DEMO_SECRET}, "[wecom] secret"),
    ({"BOT_SECURITY_DATA_KEY": DEMO_DATA_KEY}, "[security] data_key"),
], ids=["token", "aes-key", "secret", "data-key"])
def test_demo_values_are_refused_outside_demo_mode(tmp_path, env, key):
    path = write(tmp_path, PRODUCTION)
    assert config_error(path, **env) == f"{key}: the demo value is refused outside demo mode"
    assert load_settings(path, env={**env, "BOT_BOT_DEMO": "true"}).bot.demo is True


def test_the_example_config_loads_in_demo_mode():
    settings = load_settings(ROOT / "config.example.toml", env={})
    assert settings.bot.demo is True
    assert settings.wecom.token == DEMO_TOKEN
    assert settings.wecom.api_base.startswith("http://127.0.0.1:")
    assert settings.bot.max_body_bytes == 65536


def test_the_example_config_outside_demo_mode_is_refused():
    message = config_error(ROOT / "config.example.toml", BOT_BOT_DEMO="false")
    assert "demo value is refused" in message and "\n" not in message


def test_a_missing_file_named_by_bot_config_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_settings(env={"BOT_CONFIG": str(tmp_path / "nowhere.toml")})
    assert str(raised.value).startswith("BOT_CONFIG:") and "\n" not in str(raised.value)


def test_a_file_that_is_not_toml_is_one_line(tmp_path):
    message = config_error(write(tmp_path, "[wecom\ntoken = 1\n"))
    assert "not valid TOML" in message and "\n" not in message


def test_settings_are_frozen(tmp_path):
    settings: Any = load_settings(write(tmp_path, PRODUCTION), env={})
    with pytest.raises(AttributeError):
        settings.wecom.token = "changed"


def test_the_levy_wage_table_loads_from_toml_with_its_source(tmp_path):
    from decimal import Decimal

    from bot.settings import load_settings

    path = tmp_path / "config.toml"
    example = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text("utf-8")
    path.write_text(example.replace("[levy]\n", '[levy]\ncity_average_wage = { 2025 = 123456 }\n'
                                    'city_average_wage_source = { 2025 = "测试来源" }\n'),
                    encoding="utf-8")
    settings = load_settings(path, env={})
    assert settings.levy.city_average_wage == {"2025": Decimal("123456")}
    assert settings.levy.city_average_wage_source == {"2025": "测试来源"}


def test_database_errors_never_show_the_bound_values(tmp_path):
    """A failed statement's message names the SQL, not the personal data it carried."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from db.session import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(OperationalError) as failure, engine.begin() as connection:
        connection.execute(text("INSERT INTO nowhere VALUES (:v)"), {"v": "13812345678"})
    assert "13812345678" not in str(failure.value)
    engine.dispose()


@pytest.mark.parametrize(("env", "key"), [
    ({"BOT_BOT_TIMEZONE": "Asia/Shanghia"}, "[bot] timezone"),
    ({"BOT_BOT_LOG_LEVEL": "VERBOSE"}, "[bot] log_level"),
    ({"BOT_DATABASE_URL": "mysql://bot@db/bot"}, "[database] url"),
    ({"BOT_DATABASE_URL": "postgres://bot@db/bot"}, "[database] url"),
])
def test_a_misspelt_zone_level_or_unsupported_database_is_one_line(tmp_path, env, key):
    message = config_error(write(tmp_path, PRODUCTION), **env)
    assert message.startswith(key) and "\n" not in message


def test_a_city_average_wage_of_zero_is_refused(tmp_path):
    text = PRODUCTION + '\n[levy]\ncity_average_wage = { 2025 = 0 }\n'
    message = config_error(write(tmp_path, text))
    assert message.startswith("[levy] city_average_wage") and "\n" not in message


def test_a_lower_case_log_level_and_the_sqlite_default_are_fine(tmp_path):
    settings = load_settings(write(tmp_path, PRODUCTION),
                             env={"BOT_BOT_LOG_LEVEL": "debug",
                                  "BOT_DATABASE_URL": "sqlite:///var/bot.db"})
    assert settings.bot.log_level.upper() == "DEBUG"
