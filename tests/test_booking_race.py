"""No overbooking, ever: 200 people confirm the same 10-seat slot at once, through the
encrypted webhook, against a real gunicorn with several workers, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import func, select

from bot.simulator import WeComPeer
from db.catalogue import seed_services
from db.models import Booking, Service, Slot
from db.session import make_engine, make_sessions
from db.slots import add_slot
from db.types import utcnow
from tests.conftest import AGENT_ID, CORP_ID, TEST_DATA_KEY

ROOT = Path(__file__).resolve().parent.parent
PEOPLE, SEATS, CLIENTS, WORKERS = 200, 10, 24, 3
TOKEN, AES_KEY = "racetoken", "R" * 40 + "abc"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(database: str, simulator: Any, tmp_path: Path) -> Iterator[str]:
    """The bot under gunicorn (several workers, threads) on the test database; its URL."""
    config = tmp_path / "race.toml"
    config.write_text(f'''[bot]\ndemo = false\nlog_level = "WARNING"\n
[wecom]\ncorp_id = "{CORP_ID}"\nagent_id = {AGENT_ID}\nsecret = "test-secret"
token = "{TOKEN}"\nencoding_aes_key = "{AES_KEY}"\napi_base = "{simulator[1]}"\n
[database]\nurl = "{database}"\n[security]\ndata_key = "{TEST_DATA_KEY}"\n''')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_CONFIG=str(config), PYTHONPATH=str(ROOT))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
         str(WORKERS), "--threads", "8", "--timeout", "60", "bot:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def test_200_people_on_10_seats_get_exactly_10_bookings(database: str, simulator: Any,
                                                        gunicorn: str) -> None:
    engine = make_engine(database)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        seed_services(session, now=utcnow())
        service_id = session.scalar(select(Service.id).where(Service.code == "assessment"))
        slot_id = add_slot(session, service_id=service_id, minutes=60, capacity=SEATS,
                           starts_at=utcnow() + timedelta(days=3), place="区残联服务大厅",
                           now=utcnow()).id
    state = simulator[0]
    peer = WeComPeer(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
    people = [f"race{i:03d}" for i in range(PEOPLE)]

    def send(user: str, text: str) -> str:
        query, body = peer.text(user, text)
        response = requests.post(f"{gunicorn}/wecom/callback?{query}", data=body, timeout=30)
        assert response.status_code == 200
        return peer.read_reply(response.content)

    def choose(user: str) -> str:
        send(user, "我想约个职业能力评估")
        return send(user, "1")

    with ThreadPoolExecutor(CLIENTS) as pool:
        chosen = list(pool.map(choose, people))  # everyone sees the seats and picks them
        with state.lock:
            seen = {m["id"] for m in state.messages}
        answers = list(pool.map(lambda user: send(user, "确认"), people))  # all at once
    time.sleep(0.5)
    for i, user in enumerate(people):  # a reply that missed the passive budget was sent
        if not answers[i]:
            answers[i] = "\n".join(m["content"] for m in state.sent_to(user)
                                   if m["id"] not in seen)
    confirmable = sum("请核对" in c or "请核对" in "".join(
        m["content"] for m in state.sent_to(u)) for u, c in zip(people, chosen))
    booked = sum("预约成功" in a and "预约编号" in a for a in answers)
    full = sum("已约满" in a for a in answers)
    with sessions.begin() as session:
        taken = session.get(Slot, slot_id).taken
        count = session.scalar(select(func.count()).select_from(Booking)
                               .where(Booking.slot_id == slot_id, Booking.status == "booked"))
    engine.dispose()
    print(f"booking race on {engine.dialect.name}: {PEOPLE} people, {SEATS} seats, "
          f"{WORKERS} gunicorn workers: booked={booked} full={full} taken={taken} rows={count}")
    assert confirmable == PEOPLE
    assert (booked, full, taken, count) == (SEATS, PEOPLE - SEATS, SEATS, SEATS)
