"""`serve` and `demo` as real processes: the workers' log lines, the demo's last line.

Both use a free port on 127.0.0.1 and stop their process group after.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.test_cli import ROOT
from tests.conftest import operator_config



def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()
WORKER_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 INFO bot\.pipeline message "
                         r"user=\S+ type=text handler=\S+")


class Process:
    """A process whose combined output is read line by line in a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True,
                                      start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stdout:  # type: ignore[union-attr]
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], seconds: float = 90) -> str:
        """The first line matching `pattern` (waits for it; fails with what was printed)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [line for line in self.lines if pattern.search(line)]
            if found:
                return found[0]
            assert self.popen.poll() is None, "\n".join(self.lines)
            time.sleep(0.1)
        raise AssertionError("\n".join(self.lines))

    def stop(self) -> None:
        """TERM the whole group (gunicorn's workers, the demo's scheduler), then wait."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
        self.popen.wait(timeout=30)


def env_for(config: Path) -> dict[str, str]:
    """The environment of a command run with BOT_CONFIG = config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["BOT_CONFIG"] = str(config)
    return env


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite file (gunicorn's workers open it themselves)."""
    from db.migrate import upgrade
    from db.session import make_engine

    url = f"sqlite:///{tmp_path}/serve.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def test_serve_workers_log_one_line_per_event_with_time_and_level(sqlite_url, simulator,
                                                                   tmp_path):
    config = operator_config(tmp_path, sqlite_url, simulator[1])
    admin = subprocess.run([sys.executable, "-m", "bot", "admin", "create-user", "ops-admin",
                            "--role", "admin"], cwd=ROOT, capture_output=True, text=True,
                           env={**env_for(config), "BOT_ADMIN_PASSWORD": "a-long-test-password"},
                           timeout=60)
    assert admin.returncode == 0, admin.stderr  # serve refuses to start without an admin
    served = Process([sys.executable, "-m", "bot", "serve", "--bind", f"127.0.0.1:{PORT}",
                      "--workers", "1"], env_for(config))
    try:
        served.wait_for(re.compile(r"INFO gunicorn\.error Booting worker"))
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        rehearsal = subprocess.run([sys.executable, "-m", "bot", "rehearse", "--url",
                                    f"http://127.0.0.1:{PORT}"], cwd=ROOT, env=env_for(config),
                                   capture_output=True, text=True, timeout=60)
        assert rehearsal.returncode == 0, rehearsal.stderr
        said = rehearsal.stdout
        assert said.startswith("URL verification: ok")
        assert "test-rehearsal：残疾人就业服务有哪些\n助手：" in said
        assert "staff notice to staff01:\n【人工服务请求】用户 test-rehearsal" in said
        assert "问题：残疾人就业服务有哪些" in said
        line = served.wait_for(WORKER_LINE)
        assert "test-rehearsal" not in line  # masked
        access = served.wait_for(re.compile(r"INFO gunicorn\.access .*POST /wecom/callback"))
        assert access.count("+08:00") == 1  # one time per line, ours
    finally:
        served.stop()
    for logged in served.lines:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 [A-Z]+ \S+ ", logged), logged
        assert "test-secret" not in logged and "testtoken" not in logged


def test_demo_ends_with_the_address_on_its_own_last_line(tmp_path):
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(example.replace('"sqlite:///var/bot.db"', f'"sqlite:///{tmp_path}/d.db"')
                      .replace("127.0.0.1:8000/simulator", f"127.0.0.1:{PORT}/simulator"),
                      encoding="utf-8")
    demo = Process([sys.executable, "-m", "bot", "demo", "--port", str(PORT)], env_for(config))
    try:
        address = f"http://127.0.0.1:{PORT}/demo/"
        demo.wait_for(re.compile(re.escape(address)))
        assert requests.get(address, timeout=5).status_code == 200  # it answers already
        time.sleep(1.5)  # nothing else is printed while nobody uses it
        assert demo.lines[-1] == f"demo chat page: {address}"
        assert demo.lines[-2] == ""
    finally:
        demo.stop()
