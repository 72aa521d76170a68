"""`make bench` (fan-out): one event notice to 10,000 subscribers, exactly once each.

The real scheduler process (`python -m bot scheduler`) sends to the simulator, which answers
45009 (frequency limit) and 42001 (expired token) now and then. Once about 40 % have been
delivered the scheduler is killed (SIGKILL: no clean-up, its lease stays taken) and started
again; the new one waits for the lease to lapse, sends again whatever the dead one had
claimed (WeCom's duplicate check drops the copies) and finishes. The bench prints how long
delivery took and checks that each of the 10,000 got exactly one notice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (AES_KEY, AGENT_ID, CORP_ID, DATA_KEY, SECRET, TOKEN,  # noqa: E402
                           start_simulator)

SUBSCRIBERS, LEASE_SECONDS, KILL_AT, FAULT_EVERY = 10_000, 5, 0.4, 3
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "")


def bot(env: dict[str, str], *args: str) -> str:
    """`python -m bot ARGS`; its last line of output."""
    done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def delivered(state) -> Counter:  # type: ignore[no-untyped-def]
    """Messages delivered to each user so far."""
    with state.lock:
        return Counter(u for m in state.messages for u in m["touser"].split("|"))


def inject_faults(state, stop: threading.Event, counts: Counter) -> None:  # type: ignore[no-untyped-def]
    """After every FAULT_EVERY calls, the next send fails: 45009 and 42001 in turn."""
    faults, last = (45009, 42001), 0
    while not stop.wait(0.005):
        with state.lock:
            calls = state.send_calls
        if calls >= last + FAULT_EVERY:
            last = calls
            code = faults[sum(counts.values()) % 2]
            state.fail_next(code)
            counts[code] += 1


def main() -> int:
    """Subscribe, publish, run and kill the scheduler, check exactly once; print figures."""
    folder = tempfile.mkdtemp(prefix="bot-fanout-")
    state, api_base, _server = start_simulator()
    url = DATABASE_URL or f"sqlite:///{folder}/bot.db"
    config = Path(folder) / "config.toml"
    config.write_text(f'''[bot]\ndemo = false\nlog_level = "WARNING"\n
[wecom]\ncorp_id = "{CORP_ID}"\nagent_id = {AGENT_ID}\nsecret = "{SECRET}"\ntoken = "{TOKEN}"
encoding_aes_key = "{AES_KEY}"\napi_base = "{api_base}"\n
[database]\nurl = "{url}"\n[security]\ndata_key = "{DATA_KEY}"\n
[events]\nlease_seconds = {LEASE_SECONDS}\n''')
    env = {**os.environ, "BOT_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    bot(env, "db", "upgrade")
    if DATABASE_URL:  # a reused PostgreSQL database: start from nothing
        _empty(url)
    _subscribe(url, SUBSCRIBERS)
    event_id = bot(env, "events", "add", "--kind", "招聘会", "--title", "春季残疾人专场招聘会",
                   "--start", "2030-03-05 09:00", "--place", "河北区残联一楼大厅")
    queued = int(bot(env, "events", "publish", event_id, "--urgent", "--queue-only"))
    stop, faults = threading.Event(), Counter()
    threading.Thread(target=inject_faults, args=(state, stop, faults), daemon=True).start()
    started = time.perf_counter()
    scheduler = subprocess.Popen([sys.executable, "-m", "bot", "scheduler"], cwd=ROOT, env=env)
    while sum(delivered(state).values()) < KILL_AT * SUBSCRIBERS:
        time.sleep(0.01)
    scheduler.send_signal(signal.SIGKILL)
    scheduler.wait()
    killed_at, at_kill = time.perf_counter() - started, sum(delivered(state).values())
    scheduler = subprocess.Popen([sys.executable, "-m", "bot", "scheduler"], cwd=ROOT, env=env)
    try:
        while len(delivered(state)) < SUBSCRIBERS and time.perf_counter() - started < 300:
            time.sleep(0.02)
        took = time.perf_counter() - started
        time.sleep(1.0)  # anything sent twice would show now
    finally:
        stop.set()
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(10)
    counts = delivered(state)
    twice = sum(1 for n in counts.values() if n > 1)
    with state.lock:
        calls = len(state.messages)
    print(f"fanout: {queued} notices queued; delivered to {len(counts)} in {took:.1f} s "
          f"(scheduler killed at {killed_at:.1f} s after {at_kill} deliveries, restarted, "
          f"lease {LEASE_SECONDS} s), {calls} message/send calls that delivered, "
          f"faults injected 45009x{faults[45009]} 42001x{faults[42001]}")
    exactly_once = len(counts) == SUBSCRIBERS and twice == 0
    print(f"fanout exactly once: {'yes' if exactly_once else 'NO'} (missing="
          f"{SUBSCRIBERS - len(counts)} twice={twice}) on {'PostgreSQL' if DATABASE_URL else 'SQLite'}")
    return 0 if exactly_once else 1


def _subscribe(url: str, count: int) -> None:
    from datetime import datetime, timezone

    from db.models import Subscription
    from db.session import make_engine

    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(Subscription.__table__.insert(),
                           [{"user_id": f"fan{i:05d}", "kind": "招聘会", "created_at": now}
                            for i in range(count)])
    engine.dispose()


def _empty(url: str) -> None:
    from sqlalchemy import text

    from db.models import Base
    from db.session import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
