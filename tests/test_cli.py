"""`python -m bot` as an operator runs it: real subprocesses, a temporary BOT_CONFIG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from bot.app import create_app
from db.migrate import NotMigrated, check_current
from db.session import make_engine
from tests.conftest import POSTGRES_URL, make_settings

ROOT = Path(__file__).resolve().parent.parent
DATA_KEY = "dGVzdC1kYXRhLWtleS0zMi1ieXRlcy1sb25nISEhISE="
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


def config(tmp_path: Path, database_url: str, *, aes_key: str = AES_KEY) -> Path:
    """A production-like config file (demo off) for `database_url`."""
    path = tmp_path / "config.toml"
    path.write_text(f"""
[bot]
demo = false
log_level = "WARNING"

[wecom]
corp_id = "ww1234567890abcdef"
agent_id = 1000002
secret = "cli-test-secret"
token = "CliTestToken"
encoding_aes_key = "{aes_key}"
api_base = "http://127.0.0.1:1"
timeout_seconds = 1.0

[database]
url = "{database_url}"

[security]
data_key = "{DATA_KEY}"
""", encoding="utf-8")
    return path


def run(config_path: Path, *args: str, timeout: float = 120,
        input: str | None = None) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` with BOT_CONFIG set and no other BOT_ variables (`input`: its
    standard input)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["BOT_CONFIG"] = str(config_path)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL)


def one_line(result: subprocess.CompletedProcess) -> str:
    """The single line a failed command printed (stderr), checking there is nothing else."""
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_db_upgrade_migrates_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh/bot.db"
    result = run(config(tmp_path, url), "db", "upgrade")
    assert (result.returncode, result.stdout.strip()) == (0, "database is at the newest migration")
    engine = make_engine(url)
    try:
        check_current(engine)  # raises unless at the newest revision
    finally:
        engine.dispose()
    assert run(config(tmp_path, url), "db", "upgrade").returncode == 0  # again: nothing to do


def test_kb_check_passes_on_the_shipped_knowledge_base(tmp_path):
    result = run(config(tmp_path, f"sqlite:///{tmp_path}/bot.db"), "kb", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].endswith(", 0 problems")


def test_serve_refuses_an_unmigrated_database_in_one_line(tmp_path):
    result = run(config(tmp_path, f"sqlite:///{tmp_path}/empty.db"), "serve", "--bind",
                 "127.0.0.1:0")
    assert result.returncode != 0
    line = one_line(result)
    assert "[database]" in line and "db upgrade" in line


def test_serve_refuses_an_unreachable_database_in_one_line(tmp_path):
    result = run(config(tmp_path, UNREACHABLE), "serve", "--bind", "127.0.0.1:0")
    assert result.returncode != 0
    assert "[database] url" in one_line(result)


def test_a_42_character_aes_key_stops_start_up_in_one_line(tmp_path):
    result = run(config(tmp_path, f"sqlite:///{tmp_path}/bot.db", aes_key=AES_KEY[:42]),
                 "serve")
    assert result.returncode != 0
    assert "encoding_aes_key" in one_line(result)


def test_a_missing_config_file_stops_start_up_in_one_line(tmp_path):
    result = run(tmp_path / "nowhere.toml", "db", "upgrade")
    assert result.returncode != 0
    assert "BOT_CONFIG" in one_line(result)


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL: a new SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"
        return
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS unmigrated CASCADE"))
        connection.execute(text("CREATE SCHEMA unmigrated"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3Dunmigrated"
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS unmigrated CASCADE"))
        engine.dispose()


def test_create_app_refuses_an_unmigrated_database(unmigrated, simulator):
    with pytest.raises(NotMigrated) as raised:
        create_app(make_settings(unmigrated, simulator[1]))
    assert "db upgrade" in str(raised.value) and "\n" not in str(raised.value)


def test_create_app_serves_a_migrated_database(database, simulator):
    app = create_app(make_settings(database, simulator[1]))
    try:
        assert app.test_client().get("/healthz").json["status"] == "ok"
    finally:
        app.extensions["bot"].engine.dispose()
