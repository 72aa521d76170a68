"""Settings: TOML plus BOT_<SECTION>_<KEY> overrides; a bad setting is one line naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.settings import (DEMO_AES_KEY, DEMO_CORP_ID, DEMO_DATA_KEY, DEMO_SECRET, DEMO_STAFF,
                          DEMO_TOKEN, ConfigError, load_settings, settings_from_mapping)
from db.crypto import FieldCipher

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
    ({"BOT_WECOM_CORP_ID": DEMO_CORP_ID}, "[wecom] corp_id"),
], ids=["token", "aes-key", "secret", "data-key", "corp-id"])
def test_demo_values_are_refused_outside_demo_mode(tmp_path, env, key):
    path = write(tmp_path, PRODUCTION)
    assert config_error(path, **env) == f"{key}: the demo value is refused outside demo mode"
    assert load_settings(path, env={**env, "BOT_BOT_DEMO": "true"}).bot.demo is True


@pytest.mark.parametrize("api_base", ["http://127.0.0.1:8000/simulator",
                                      "http://localhost:8000/simulator/"])
def test_the_built_in_simulator_is_refused_outside_demo_mode(tmp_path, api_base):
    path = write(tmp_path, PRODUCTION)
    message = config_error(path, BOT_WECOM_API_BASE=api_base)
    assert message.startswith("[wecom] api_base: points at the demo's built-in simulator")
    assert "https://qyapi.weixin.qq.com" in message
    demo = load_settings(path, env={"BOT_WECOM_API_BASE": api_base, "BOT_BOT_DEMO": "1"})
    assert demo.wecom.api_base == api_base


def test_the_demo_staff_id_is_refused_outside_demo_mode(tmp_path):
    path = write(tmp_path, PRODUCTION)
    message = config_error(path, BOT_WECOM_HANDOFF_STAFF=f"staff09,{DEMO_STAFF[0]}")
    assert message.startswith("[wecom] handoff_staff:") and DEMO_STAFF[0] in message
    assert "staff09" not in message


def test_the_example_config_loads_in_demo_mode():
    settings = load_settings(ROOT / "config.example.toml", env={})
    assert settings.bot.demo is True
    assert settings.wecom.token == DEMO_TOKEN
    assert settings.wecom.api_base.startswith("http://127.0.0.1:")
    assert settings.wecom.handoff_staff == DEMO_STAFF
    assert settings.bot.max_body_bytes == 65536


def test_the_example_config_outside_demo_mode_reports_every_demo_value_at_once():
    message = config_error(ROOT / "config.example.toml", BOT_BOT_DEMO="false")
    assert [line.split(":")[0] for line in message.splitlines()] == [
        "[wecom] corp_id", "[wecom] secret", "[wecom] token", "[wecom] encoding_aes_key",
        "[security] data_key", "[wecom] api_base", "[wecom] handoff_staff"]


def test_every_problem_is_reported_at_once_one_line_each(tmp_path):
    path = write(tmp_path, replaced("[bot]\n", "[bot]\ncolour = 1\n"))
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env={"BOT_WECOM_TOKEN": "", "BOT_WECOM_AGENT_ID": "abc",
                                 "BOT_SECURITY_DATA_KEY": "c2hvcnQ="})
    keys = [line.split(":")[0] for line in str(raised.value).splitlines()]
    assert keys == ["[bot] colour", "[wecom] agent_id", "[wecom] token", "[security] data_key"]
    assert raised.value.problems == str(raised.value).splitlines()


@pytest.mark.parametrize("url", ["postgresql://bot@db/bot", "postgres://bot@db/bot",
                                 "postgresql+psycopg2://bot:pw@db/bot"])
def test_a_postgres_url_without_psycopg_says_what_to_write(tmp_path, url):
    message = config_error(write(tmp_path, PRODUCTION), BOT_DATABASE_URL=url)
    assert message.startswith("[database] url: use postgresql+psycopg://…@db/bot")
    assert "pw" not in message and "\n" not in message


def test_every_generated_data_key_is_accepted_by_the_configuration_check(tmp_path):
    """The documented key command and the check agree (they once did for 1 key in 4)."""
    raw = tomllib.loads(PRODUCTION)
    for _ in range(1000):
        key = FieldCipher.generate_key()
        raw["security"]["data_key"] = key
        cipher = FieldCipher(settings_from_mapping(raw).security.data_key)
        assert cipher.decrypt(FieldCipher(key).encrypt("x")) == "x"


@pytest.mark.parametrize("key", ["not base64!", "c2hvcnQ=", "A" * 44])
def test_a_bad_data_key_says_which_alphabet_is_expected(tmp_path, key):
    message = config_error(write(tmp_path, PRODUCTION), BOT_SECURITY_DATA_KEY=key)
    assert message.startswith("[security] data_key: must be 32 random bytes in standard base64")
    assert "A-Z a-z 0-9 + /" in message and "\n" not in message


def test_a_url_safe_data_key_is_accepted_too(tmp_path):
    standard = "+/" * 21 + "8="  # bytes whose encodings differ between the two alphabets
    urlsafe = standard.replace("+", "-").replace("/", "_")
    path = write(tmp_path, PRODUCTION)
    assert load_settings(path, env={"BOT_SECURITY_DATA_KEY": urlsafe}).security.data_key == urlsafe
    assert FieldCipher(urlsafe).decrypt(FieldCipher(standard).encrypt("same key")) == "same key"


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
