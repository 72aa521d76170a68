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
                               f"127.0.0.1:{port}", "--workers", "1", "--threads", "3"],
                              cwd=ROOT, env=env,
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
        # serve execs gunicorn in its own process, with the threads asked for
        gunicorn = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert gunicorn[gunicorn.index(b"--threads") + 1] == b"3"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=STARTUP_SECONDS)
    assert server.returncode == 0, output
    assert "GET /healthz" in output  # gunicorn's access log (its INFO lines: log_level WARNING)


def served_cpus(tmp_path: Path, workers: int, **env_extra: str) -> list[str]:
    """Run `serve` with `workers` workers until it answers; each worker's allowed CPUs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_CONFIG=str(config(tmp_path, migrated_sqlite(tmp_path))), **env_extra)
    admin = subprocess.run([sys.executable, "-m", "bot", "admin", "create-user", "ops-admin",
                            "--role", "admin"], cwd=ROOT, capture_output=True, text=True,
                           env={**env, "BOT_ADMIN_PASSWORD": "a-long-test-password"}, timeout=60)
    assert admin.returncode == 0, admin.stderr
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", str(workers)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, children = time.monotonic() + STARTUP_SECONDS, []
        while len(children) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
            children = [status for status in Path("/proc").glob("[0-9]*/status")
                        if f"\nPPid:\t{server.pid}\n" in _read(status)]
        assert len(children) == workers, "gunicorn did not start its workers"
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=STARTUP_SECONDS)
        return sorted(line.split(":", 1)[1].strip() for status in children
                      for line in _read(status).splitlines()
                      if line.startswith("Cpus_allowed_list:"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(STARTUP_SECONDS)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # a process that ended meanwhile
        return ""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two CPUs")
def test_serve_keeps_each_worker_to_a_cpu_of_its_own(tmp_path: Path) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    assert served_cpus(tmp_path, 2) == [str(cpus[0]), str(cpus[1])]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two CPUs")
def test_serve_leaves_workers_to_the_kernel_with_pin_workers_false(tmp_path: Path) -> None:
    everywhere = Path("/proc/self/status").read_text().split("Cpus_allowed_list:")[1].split()[0]
    assert served_cpus(tmp_path, 2, BOT_BOT_PIN_WORKERS="false") == [everywhere] * 2


def test_a_worker_that_replaces_another_gets_the_cpu_it_left() -> None:
    from bot.gunicorn_conf import free_cpu

    assert free_cpu([0, 1], 2, []) == 0
    assert free_cpu([0, 1], 2, [0]) == 1
    assert free_cpu([0, 1], 2, [1]) == 0  # the worker on CPU 0 died: its successor takes 0
    assert free_cpu([0, 1], 3, [0, 1]) is None  # more workers than CPUs: none is pinned
    assert free_cpu([2, 5], 2, [2]) == 5  # the CPUs this process may use, not 0..n


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


def test_the_demo_on_another_port_sends_to_its_own_simulator_and_a_dropped_reply_arrives(
        tmp_path: Path) -> None:
    """`demo --port` with the example configuration (api_base on port 8000): message/send
    reaches the simulator on the demo's own port; a callback whose client hangs up before
    reading gets its reply there, once, and WeCom's retry of it no second reply (real
    gunicorn)."""
    from bot.settings import load_settings
    from bot.simulator import WeComPeer

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_CONFIG=str(ROOT / "config.example.toml"),
               BOT_DATABASE_URL=f"sqlite:///{tmp_path}/demo.db")
    demo = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, up = time.monotonic() + STARTUP_SECONDS, False
        while not up and demo.poll() is None and time.monotonic() < deadline:
            try:
                up = requests.get(f"{base}/healthz", timeout=STARTUP_SECONDS).ok
            except requests.ConnectionError:
                time.sleep(0.3)
        assert up, f"the demo did not answer (exit {demo.poll()})"
        w = load_settings(ROOT / "config.example.toml", env={}).wecom
        peer = WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id)
        query, body = peer.text("demo-hangup", "你好")
        head = (f"POST /wecom/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n")
        address = ("127.0.0.1", port)
        with socket.create_connection(address, timeout=STARTUP_SECONDS) as connection:
            connection.sendall(head.encode() + body)  # ... and hang up without reading
        sent: list = []
        deadline = time.monotonic() + STARTUP_SECONDS
        while not sent and time.monotonic() < deadline:
            time.sleep(0.2)
            sent = requests.get(f"{base}/simulator/messages", params={"user": "demo-hangup"},
                                timeout=STARTUP_SECONDS).json()
        assert len(sent) == 1 and "政策咨询" in sent[0]["content"]
        retry = requests.post(f"{base}/wecom/callback?{query}", data=body,
                              timeout=STARTUP_SECONDS)
        assert (retry.status_code, retry.content) == (200, b"")
        time.sleep(1)
        assert len(requests.get(f"{base}/simulator/messages", params={"user": "demo-hangup"},
                                timeout=STARTUP_SECONDS).json()) == 1
        demo.send_signal(signal.SIGTERM)  # stops the scheduler and gunicorn with it
        demo.communicate(timeout=STARTUP_SECONDS)
        time.sleep(1)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{base}/healthz", timeout=STARTUP_SECONDS)
    finally:
        if demo.poll() is None:
            demo.kill()
        try:
            os.killpg(demo.pid, signal.SIGKILL)  # whatever the test left behind
        except ProcessLookupError:
            pass


def test_a_worker_whose_cpu_cannot_be_set_runs_unpinned_with_a_warning() -> None:
    """A CPU gone away between fork and post_fork: the worker still boots."""
    script = ("from bot.gunicorn_conf import post_fork\n"
              "class Worker: cpu = 99999\n"
              "post_fork(None, Worker())\n"
              "print('booted')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "booted"
    assert "worker not kept to CPU 99999" in done.stderr
