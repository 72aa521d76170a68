"""`make bench` (webhook): throughput and latency of the bot beside a bare echo app.

Both run under gunicorn with 2 workers on the embedded SQLite database (WAL); 16 messages
are kept in flight from 16 client threads; every message is a distinct policy question
from a distinct MsgId. Afterwards the database must hold exactly one inbound record and one
reply per message. Then one in-process run is profiled to show where the time goes.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (AES_KEY, AGENT_ID, CORP_ID, DATA_KEY, SECRET, TOKEN,  # noqa: E402
                           LocalBot, start_simulator)
from bot.simulator import WeComPeer  # noqa: E402

MESSAGES, IN_FLIGHT, WORKERS = 1200, 16, 2
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "")  # default: the embedded SQLite file
QUESTIONS = ["残疾人就业服务有哪些", "公司没招残疾人要交多少钱", "四个一是哪四个一",
             "事业单位编制多少人要安排残疾人", "辅助性就业适合什么人", "盲人按摩考试在哪组织",
             "三年行动目标新增多少人就业", "你好", "残保金有减免吗", "政策进校园是什么"]


def serve(app_spec: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    """Start gunicorn with 2 workers and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
         str(WORKERS), "--threads", "8", "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{app_spec} did not start")


def load(port: int, user_prefix: str) -> tuple[float, list[float], int]:
    """Send MESSAGES callbacks, IN_FLIGHT at a time; (msgs/s, latencies, empty replies)."""
    peer = WeComPeer(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
    bodies = [peer.text(f"{user_prefix}{i % 200:03d}", QUESTIONS[i % len(QUESTIONS)])
              for i in range(MESSAGES)]
    local = threading.local()
    empty = []

    def post(item: tuple[str, bytes]) -> float:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        response = session.post(f"http://127.0.0.1:{port}/wecom/callback?{item[0]}",
                                data=item[1], timeout=10)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or not response.content:
            empty.append(1)
        return elapsed

    for item in bodies[:IN_FLIGHT * 2]:  # warm up: first requests load the knowledge base
        post(item)
    started = time.perf_counter()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        latencies = list(pool.map(post, bodies[IN_FLIGHT * 2:]))
    return len(latencies) / (time.perf_counter() - started), latencies, len(empty)


def p(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> int:
    """Run both apps, print the figures, check nothing was lost or doubled, profile."""
    folder = tempfile.mkdtemp(prefix="bot-bench-")
    state, api_base, _server = start_simulator()
    config = Path(folder) / "config.toml"
    config.write_text(f'''[bot]\ndemo = false\nlog_level = "WARNING"\n
[wecom]\ncorp_id = "{CORP_ID}"\nagent_id = {AGENT_ID}\nsecret = "{SECRET}"\ntoken = "{TOKEN}"
encoding_aes_key = "{AES_KEY}"\napi_base = "{api_base}"\n
[database]\nurl = "{DATABASE_URL or f'sqlite:///{folder}/bot.db'}"\n[security]\ndata_key = "{DATA_KEY}"\n''')
    env = {**os.environ, "BOT_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    results = {}
    for name, spec, port in (("bare", "bench.bare_app:create_bare_app()", 8761),
                             ("bot", "bot:create_app()", 8762)):
        if name == "bare":
            spec_app = spec
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
                 str(WORKERS), "--threads", "8", "--log-level", "warning", spec_app],
                cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
            time.sleep(2.0)
        else:
            process = serve(spec, port, env)
        try:
            results[name] = load(port, f"{name}user")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(10)
    for name, (rate, latencies, empty) in results.items():
        print(f"webhook {name}: {rate:.0f} msg/s p50_ms={p(latencies, 50):.1f} "
              f"p99_ms={p(latencies, 99):.1f} empty_or_failed={empty}")
    bare, bot = results["bare"], results["bot"]
    print(f"webhook bot/bare throughput={bot[0] / bare[0]:.2f} (target >= 0.60) "
          f"p99 ratio={p(bot[1], 99) / p(bare[1], 99):.2f} (target < 3)")
    if not DATABASE_URL:
        check_records(folder)
    profile()
    return 0


def check_records(folder: str) -> None:
    """Exactly one inbound record and one reply per message: nothing lost, nothing doubled."""
    import sqlite3

    db = sqlite3.connect(f"{folder}/bot.db")
    inbound = db.execute("SELECT count(*) FROM inbound_messages").fetchone()[0]
    replies = db.execute("SELECT count(*) FROM outbound_messages WHERE inbound_id IS NOT NULL "
                         "AND status IN ('passive', 'sent')").fetchone()[0]
    doubled = db.execute("SELECT count(*) FROM (SELECT inbound_id FROM outbound_messages "
                         "WHERE status='passive' GROUP BY inbound_id HAVING count(*) > 1)"
                         ).fetchone()[0]
    print(f"webhook records: inbound={inbound} expected={MESSAGES} replies>={replies} "
          f"doubled_passive={doubled}")


def profile(messages: int = 300) -> None:
    """Time the bot's start-up, then profile it in-process: top functions by own time."""
    started = time.perf_counter()
    bot = LocalBot()
    print(f"bot start-up (settings, database, knowledge base with jieba, router, app): "
          f"{time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    bot.send("startup", "残疾人就业服务有哪些")
    print(f"first answer after start-up: {(time.perf_counter() - started) * 1000:.0f} ms")
    bot.send("warmup", "你好")
    from bot.messages import Incoming
    from bot.pipeline import PassiveSlot

    incoming = [Incoming(user_id=f"prof{i % 50}", to_user=CORP_ID, agent_id=AGENT_ID,
                         kind="text", create_time=int(time.time()), msg_id=str(9 * 10**15 + i),
                         text=QUESTIONS[i % len(QUESTIONS)]) for i in range(messages)]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for message in incoming:  # the worker's part, where the handler runs
        bot.services.pipeline.process(message, PassiveSlot())
    profiler.disable()
    print(f"pipeline per message (profiled, one thread): "
          f"{(time.perf_counter() - started) / messages * 1000:.1f} ms")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    print("profile (in-process, top functions by own time):")
    for line in out.getvalue().splitlines():
        if line.strip() and ("{" in line or "/" in line) and "ncalls" not in line:
            print("  " + line.strip()[:150])


if __name__ == "__main__":
    sys.exit(main())
