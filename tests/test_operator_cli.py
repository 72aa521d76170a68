"""The operator's commands as they are run: one line for what went wrong, help for every
option, `chat` kept away from a real database, the staff notice saying how to answer."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli_args import build_parser
from db.models import AccessToken, Handoff, InboundMessage
from db.session import make_engine, make_sessions
from tests.conftest import operator_config
from tests.dialog import rows, say
from tests.test_cli import ROOT, one_line



@pytest.fixture
def wecom(simulator: Any) -> Any:
    """The session's simulator with no failure left queued by another test."""
    with simulator[0].lock:
        simulator[0].failures.clear()
    return simulator


def bot(config: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` with BOT_CONFIG = config, no other BOT_ variable but `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    clean.update(BOT_CONFIG=str(config), **env)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=clean,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_menu_create_pushes_the_menu(database, wecom, tmp_path):
    simulator = wecom
    result = bot(operator_config(tmp_path, database, simulator[1]), "menu", "create")
    assert (result.returncode, result.stdout.strip()) == (0, "custom menu created")
    assert simulator[0].menus[-1]["button"][0]["name"] == "政策咨询"


def test_menu_create_when_wecom_answers_60020_is_one_line(database, wecom, tmp_path):
    simulator = wecom
    simulator[0].fail_next(60020)
    result = bot(operator_config(tmp_path, database, simulator[1]), "menu", "create")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("menu: WeCom answered errcode 60020") and "企业可信IP" in line


def test_menu_create_when_wecom_is_unreachable_is_one_line(database, tmp_path):
    result = bot(operator_config(tmp_path, database, "http://127.0.0.1:1"), "menu", "create")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("menu: cannot reach WeCom at http://127.0.0.1:1 (ConnectionError")
    assert "test-secret" not in line and "corpsecret" not in line


def test_an_export_into_a_missing_folder_is_one_line(database, simulator, tmp_path):
    out = tmp_path / "no" / "such" / "folder" / "export.csv"
    result = bot(operator_config(tmp_path, database, simulator[1]), "registrations", "export",
                 "--out", str(out))
    assert result.returncode == 1
    assert one_line(result) == (f"registrations: the folder {out.parent} does not exist: create "
                                "it first, or give --out a file in an existing folder")
    assert not out.parent.exists()


def test_a_postgres_url_without_psycopg_is_one_line(tmp_path, simulator):
    result = bot(operator_config(tmp_path, "sqlite:///unused.db", simulator[1]), "db", "upgrade",
                 BOT_DATABASE_URL="postgresql://bot@127.0.0.1/bot")
    assert result.returncode == 2
    assert one_line(result).startswith(
        "configuration error: [database] url: use postgresql+psycopg://…@127.0.0.1/bot")


def test_every_configuration_error_is_reported_in_one_run(tmp_path):
    result = bot(ROOT / "config.example.toml", "db", "upgrade", BOT_BOT_DEMO="false",
                 BOT_WECOM_AGENT_ID="x")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 8 and all(line.startswith("configuration error: [") for line in lines)
    assert "[wecom] agent_id: invalid value 'x'" in result.stderr
    assert "[wecom] api_base: points at the demo's built-in simulator" in result.stderr


def test_make_eval_without_a_question_set_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_qa.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert one_line(result).startswith("make eval: no question set at ../shared/eval/qa_dev.yaml")


def test_chat_outside_demo_mode_refuses_without_really(database, simulator, tmp_path):
    result = bot(operator_config(tmp_path, database, simulator[1]), "chat", stdin="你好\n")
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("chat: [bot] demo is false") and "--really" in line
    assert "test-resident01" in line
    assert table(database, InboundMessage) == []


def test_chat_really_talks_as_a_test_user_and_leaves_no_token(database, simulator, tmp_path):
    before = len(simulator[0].messages)
    result = bot(operator_config(tmp_path, database, simulator[1]), "chat", "--really",
                 "--user", "wang", stdin="残疾人就业服务有哪些\n人工\n")
    assert result.returncode == 0, result.stderr
    assert "以 test-wang 的身份对话" in result.stdout and "助手：" in result.stdout
    for secret in ("test-secret", "corpsecret", "access_token"):  # not even the simulator's log
        assert secret not in result.stdout + result.stderr
    assert {row.user_id for row in table(database, InboundMessage)} == {"test-wang"}
    assert [h.user_id for h in table(database, Handoff)] == ["test-wang"]
    assert table(database, AccessToken) == []  # the simulator's token never reached the DB
    assert len(simulator[0].messages) == before  # chat sent through a simulator of its own


def table(url: str, model: Any) -> list[Any]:
    """Every row of `model` in the database at `url`."""
    engine = make_engine(url)
    try:
        with make_sessions(engine).begin() as session:
            return list(session.scalars(select(model)))
    finally:
        engine.dispose()


def test_every_option_of_every_command_has_help():
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {c.dest for c in commands._choices_actions} == set(commands.choices)
    for choice in commands._choices_actions:
        assert choice.help, choice.dest
    for name, sub in commands.choices.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"


def test_the_staff_notice_carries_the_question_and_says_how_to_answer(chat):
    say(chat, "asks-first", "我想问问残疾人证丢了去哪补办")
    say(chat, "asks-first", "人工")
    [handoff] = rows(chat, Handoff, user_id="asks-first")
    [notice] = chat.api_messages("staff01")
    assert "用户 asks-first 请求人工服务" in notice
    assert "问题：我想问问残疾人证丢了去哪补办" in notice
    assert f'python -m bot handoffs reply {handoff.id} "回复内容"' in notice
    assert "管理后台" in notice and f"编号：{handoff.id}" in notice
