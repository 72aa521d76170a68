"""Fixtures: every database test runs on SQLite and on PostgreSQL, through the real webhook.

`chat` encrypts each message as WeCom would, posts it to /wecom/callback, and reads back the
passive reply and what the local WeCom simulator (served on a real local port) was sent.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from bot.app import create_app
from bot.services import Services, build_services
from bot.settings import Settings, settings_from_mapping
from bot.simulator import SimulatorState, WeComPeer, create_simulator_app
from db.migrate import upgrade
from db.models import Base
from db.session import make_engine

POSTGRES_URL = os.environ.get("BOT_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CORP_ID, AGENT_ID = "wwtest0000000001", 1000002
TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS0zMi1ieXRlcy1sb25nISEhISE="  # 32 bytes, tests only


def pytest_configure(config: Any) -> None:
    """Logs the tests capture are redacted as the bot's own are (test secrets included)."""
    from bot.logs import hide, redact_records

    hide("test-secret", "testtoken", "T" * 40 + "abc", TEST_DATA_KEY)
    redact_records()


@pytest.fixture(scope="session")
def simulator() -> Iterator[tuple[SimulatorState, str]]:
    """The WeCom API simulator on a local port, for the whole session."""
    state = SimulatorState(CORP_ID, "test-secret")
    server = make_server("127.0.0.1", 0, create_simulator_app(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.port}"
    server.shutdown()


def clear_simulator(state: SimulatorState) -> None:
    """Forget what earlier tests sent and any failures they left queued: each test starts
    from an empty simulator, whatever ran before it (the suite runs in random order)."""
    state.reset()


@pytest.fixture
def fresh_simulator(simulator: tuple[SimulatorState, str]) -> tuple[SimulatorState, str]:
    """The session's simulator, emptied for this test."""
    clear_simulator(simulator[0])
    return simulator


def pytest_collection_finish(session: pytest.Session) -> None:
    """Print the random-order seed even in quiet mode, so a failing order can be rerun."""
    try:
        seed = session.config.getoption("randomly_seed")
    except ValueError:  # run with -p no:randomly
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and isinstance(seed, int):
        reporter.write_line(f"random order: rerun it with "
                            f"`python -m pytest -p randomly --randomly-seed={seed}`")


@pytest.fixture(scope="session")
def knowledge_base() -> Any:
    """The real knowledge base, loaded once (jieba's dictionary is slow to load)."""
    from knowledge.base import KnowledgeBase

    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    """Migrate the PostgreSQL test database once; fail (never skip) when it is unreachable."""
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return POSTGRES_URL


POSTGRES_TESTS: list[str] = []  # the tests that ran on PostgreSQL, for the summary line


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say whether the PostgreSQL tests ran, and against which database."""
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    if POSTGRES_TESTS:
        terminalreporter.write_line(f"PostgreSQL: {len(POSTGRES_TESTS)} database tests ran "
                                    f"against {url}")
    else:
        terminalreporter.write_line(f"PostgreSQL: no database test of this selection ran on "
                                    f"it ({url})")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A migrated, empty database URL: a fresh SQLite file, or the emptied PostgreSQL test db."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/bot.db"
        engine = make_engine(url)
        upgrade(engine)
    else:
        url = request.getfixturevalue("postgres_ready")
        POSTGRES_TESTS.append(request.node.nodeid)
        engine = make_engine(url)
        with engine.begin() as connection:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


def make_settings(database_url: str, api_base: str, **sections: dict[str, Any]) -> Settings:
    """Test settings: demo off, test secrets, the simulator as api_base."""
    raw: dict[str, Any] = {
        "bot": {"demo": False, "passive_reply_seconds": 3.0},
        "wecom": {"corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": "test-secret",
                  "token": "testtoken", "encoding_aes_key": "T" * 40 + "abc",
                  "api_base": api_base, "timeout_seconds": 3.0, "handoff_staff": ["staff01"]},
        "database": {"url": database_url},
        "security": {"data_key": TEST_DATA_KEY},
        "district": {"staff_hours": "工作日 9:00-17:00", "streets": ["光复道街", "望海楼街"]},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return settings_from_mapping(raw)


@dataclass
class Chat:
    """Talk to the bot as WeCom would; collect every reply a user receives, in order."""

    app: Any
    services: Services
    state: SimulatorState
    peer: WeComPeer
    seen: dict[str, int] = field(default_factory=dict)

    @property
    def client(self) -> Any:
        return self.app.test_client()

    def post(self, query: str, body: bytes) -> Any:
        """POST a raw callback; wait until its work (and any sends) are done."""
        response = self.client.post(f"/wecom/callback?{query}", data=body,
                                    content_type="application/xml")
        self.services.pipeline.wait_idle()
        return response

    def send(self, user: str, content: str, **kwargs: Any) -> list[str]:
        """Send a text; return the passive reply and the API messages that followed."""
        query, body = self.peer.text(user, content, **kwargs)
        return self.replies(user, self.post(query, body))

    def event(self, user: str, event: str, key: str = "", **kwargs: Any) -> list[str]:
        """Send an event; return what the user received."""
        query, body = self.peer.event(user, event, key, **kwargs)
        return self.replies(user, self.post(query, body))

    def replies(self, user: str, response: Any) -> list[str]:
        """The passive reply (if any) then the user's new simulator messages."""
        assert response.status_code == 200, response.status_code
        passive = self.peer.read_reply(response.get_data())
        return ([passive] if passive else []) + self.api_messages(user)

    def api_messages(self, user: str) -> list[str]:
        """Messages sent to `user` through message/send since the last look."""
        found = self.state.sent_to(user, self.seen.get(user, 0))
        if found:
            self.seen[user] = found[-1]["id"]
        return [m["content"] for m in found]


@pytest.fixture
def services(database: str, fresh_simulator: tuple[SimulatorState, str],
             knowledge_base: Any) -> Iterator[Services]:
    """The bot's services on the test database, talking to the (emptied) simulator."""
    api_base = fresh_simulator[1]
    built = build_services(make_settings(database, api_base), kb=knowledge_base)
    yield built
    built.pipeline.wait_idle()
    built.engine.dispose()


@pytest.fixture
def app(services: Services) -> Any:
    """The Flask app built on `services`."""
    return create_app(services=services)


@pytest.fixture
def frozen_chat(database: str, simulator: tuple[SimulatorState, str],
                knowledge_base: Any) -> Iterator[Chat]:
    """Like `chat`, but the bot's clock (services.clock) stands at tests.dialog.NOW and moves
    only when the test moves it (`chat.services.clock.advance(days=1)`)."""
    from tests.dialog import Clock, another_app

    with another_app(database, simulator, knowledge_base, clock=Clock()) as frozen:
        yield frozen


@pytest.fixture
def chat(app: Any, services: Services, simulator: tuple[SimulatorState, str]) -> Chat:
    """A WeCom stand-in to chat with the bot through the encrypted webhook."""
    w = services.settings.wecom
    return Chat(app, services, simulator[0], WeComPeer(w.token, w.encoding_aes_key, w.corp_id,
                                                        w.agent_id))


@contextmanager
def logging_put_back() -> Iterator[None]:
    """Put the root logger and the loggers `bot.logs.configure` quiets back as they were."""
    root = logging.getLogger()
    handlers, level, converter = root.handlers[:], root.level, logging.Formatter.converter
    quiet = {name: logging.getLogger(name).level for name in
             ("jieba", "urllib3", "werkzeug", "apscheduler.executors.default")}
    try:
        yield
    finally:
        root.handlers[:], logging.Formatter.converter = handlers, converter
        root.setLevel(level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)


def operator_config(tmp_path: Path, database_url: str, api_base: str) -> Path:
    """A non-demo config file whose WeCom credentials the test simulator accepts."""
    path = tmp_path / "config.toml"
    path.write_text(f"""
[bot]
demo = false
[wecom]
corp_id = "{CORP_ID}"
agent_id = {AGENT_ID}
secret = "test-secret"
token = "testtoken"
encoding_aes_key = "{"T" * 40 + "abc"}"
api_base = "{api_base}"
timeout_seconds = 2.0
handoff_staff = ["staff01"]
[database]
url = "{database_url}"
[security]
data_key = "{TEST_DATA_KEY}"
""", encoding="utf-8")
    return path


@pytest.fixture
def staff_cli(chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chat]:
    """In-process `python -m bot` commands: BOT_CONFIG points at a TOML for the test database
    and the simulator; logging is put back afterwards."""
    settings = chat.services.settings
    config = operator_config(tmp_path, settings.database.url, settings.wecom.api_base)
    monkeypatch.setenv("BOT_CONFIG", str(config))
    for name in [n for n in os.environ if n.startswith("BOT_") and n != "BOT_CONFIG"]:
        monkeypatch.delenv(name)
    with logging_put_back():
        yield chat
