"""A bot on a throw-away SQLite database with the WeCom simulator on a local port.

Shared by the question-set evaluation and the benchmarks: everything goes through the real
encrypted callback.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from bot.app import create_app
from bot.booking_cli import seed_demo
from bot.services import build_services
from bot.settings import settings_from_mapping
from bot.simulator import SimulatorState, WeComPeer, create_simulator_app
from db.migrate import upgrade

CORP_ID, AGENT_ID, SECRET = "wwbench000000001", 1000002, "bench-secret"
TOKEN, AES_KEY = "benchtoken", "B" * 40 + "xyz"
DATA_KEY = "YmVuY2gtZGF0YS1rZXktMzItYnl0ZXMtbG9uZyEhISE="


def bench_settings(database_url: str, api_base: str) -> Any:
    """Settings for a local run (demo off, bench secrets)."""
    return settings_from_mapping({
        "bot": {"demo": False},
        "wecom": {"corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": SECRET, "token": TOKEN,
                  "encoding_aes_key": AES_KEY, "api_base": api_base,
                  "handoff_staff": ["staff01"]},
        "database": {"url": database_url},
        "security": {"data_key": DATA_KEY},
        "district": {"staff_hours": "工作日 9:00-17:00"},
    })


def start_simulator() -> tuple[SimulatorState, str, Any]:
    """Serve the simulator on a free local port; returns (state, api_base, server)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per simulated API call
    state = SimulatorState(CORP_ID, SECRET)
    server = make_server("127.0.0.1", 0, create_simulator_app(state), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, f"http://127.0.0.1:{server.port}", server


class LocalBot:
    """The whole bot in this process, reached through its Flask test client."""

    def __init__(self, database_url: str | None = None) -> None:
        self.folder = tempfile.mkdtemp(prefix="bot-eval-")
        url = database_url or f"sqlite:///{Path(self.folder) / 'bot.db'}"
        self.state, api_base, self.server = start_simulator()
        self.services = build_services(bench_settings(url, api_base))
        upgrade(self.services.engine)
        seed_demo(self.services)  # the catalogue and times, as `make run` has them
        self.app = create_app(services=self.services)
        self.client = self.app.test_client()
        self.peer = WeComPeer(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
        self.seen: dict[str, int] = {}

    def send(self, user: str, text: str) -> list[str]:
        """Send a text as `user`; every reply they received, passive first."""
        query, body = self.peer.text(user, text)
        response = self.client.post(f"/wecom/callback?{query}", data=body)
        self.services.pipeline.wait_idle()
        replies = [self.peer.read_reply(response.get_data())] if response.get_data() else []
        found = self.state.sent_to(user, self.seen.get(user, 0))
        if found:
            self.seen[user] = found[-1]["id"]
        return [r for r in replies if r] + [m["content"] for m in found]
