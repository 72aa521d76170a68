"""The commands that run the bot: a real gunicorn by `serve`, `chat` on standard input,
`kb ask` for curators (real subprocesses, or `main` in-process where a process adds nothing)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.__main__ import main
from db.migrate import upgrade
from db.session import make_engine
from handlers.texts import text
from tests.dialog import CERT_ANSWER
from tests.test_cli import ROOT, config, run

STARTUP_SECONDS = 60  # a deadline for a loaded machine, not a measurement


def migrated_sqlite(tmp_path: Path) -> str:
    """A new SQLite database at the newest migration."""
    url = f"sqlite:///{tmp_path}/bot.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def free_port() -> int:
    """A local port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_runs_gunicorn_that_answers_healthz_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["BOT_CONFIG"] = str(config(tmp_path, migrated_sqlite(tmp_path)))
    admin = subprocess.run([sys.executable, "-m", "bot", "admin", "create-user", "ops-admin",
                            "--role", "admin"], cwd=ROOT, capture_output=True, text=True,
                           env={**env, "BOT_ADMIN_PASSWORD": "a-long-test-password"}, timeout=60)
    assert admin.returncode == 0, admin.stderr  # serve refuses to start without an admin
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answer = time.monotonic() + STARTUP_SECONDS, None
        while answer is None and server.poll() is None and time.monotonic() < deadline:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None, f"gunicorn did not answer (exit {server.poll()})"
        assert (answer.status_code, answer.json()["status"]) == (200, "ok")
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=STARTUP_SECONDS)
    assert server.returncode == 0, output
    assert "GET /healthz" in output  # gunicorn's access log (its INFO lines: log_level WARNING)


def test_chat_reads_standard_input_and_prints_the_bots_replies(tmp_path: Path) -> None:
    result = run(config(tmp_path, migrated_sqlite(tmp_path)), "chat", "--user", "cli-chat",
                 "--really", input="你好\n1\n残疾人证要怎么去办\n")
    assert result.returncode == 0, result.stderr
    assert "输入消息后回车" in result.stdout.splitlines()[0]
    replies = result.stdout.split("助手")
    assert len(replies) == 4  # the banner, then one reply to each line
    assert "1. 政策咨询" in replies[1]
    assert text("ask_policy") in replies[2]
    assert CERT_ANSWER in replies[3]


def test_kb_ask_shows_the_decision_the_ranking_and_the_answer(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "残疾人证要怎么去办"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["问题：残疾人证要怎么去办", "判断：confident"]
    assert lines[2].startswith("1. ind-cert-apply  score=")
    assert any(CERT_ANSWER in line for line in lines)


def test_kb_ask_without_a_question_says_how_to_use_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask"]) == 2
    assert capsys.readouterr().err.strip() == 'usage: python -m bot kb ask "问题"'
