"""Running the bot on one's own machine: `demo` (web app + simulator + scheduler), `chat`
(the terminal, through the encrypted callback, against a simulator in this process) and
`simulator` (a stand-in WeCom API on its own port) and `rehearse` (play WeCom's side against
a running `serve`), to try a deployment before WeCom is set up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from typing import IO, Iterable
from urllib.parse import urlsplit

import requests

from bot.logs import describe
from bot.settings import CommandError, Settings

TEST_USER_PREFIX = "test-"  # `chat --really` on a real configuration: a test user, visibly


def run_demo(port: int, api_base: str) -> int:
    """Start the scheduler and one gunicorn worker; print the page's address once it answers.

    `api_base`: the configured one; when it is the demo's own simulator on another port (the
    example's 8000 while `--port` says otherwise), both processes send to this port's."""
    env = dict(os.environ)
    own = demo_api_base(api_base, port)
    if own != api_base:
        env["BOT_WECOM_API_BASE"] = own
    scheduler = subprocess.Popen([sys.executable, "-m", "bot", "scheduler"], env=env)
    # One worker: the simulator keeps what it was sent in memory.
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config",
                            "python:bot.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
                            "--workers", "1", "--threads", "16", "--timeout", "30",
                            "bot:create_app()"], env=env)

    def stop(signum: int, frame: object) -> None:  # SIGTERM stops all three, as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if _wait_until_up(port, web):
            time.sleep(0.5)  # let the start-up lines of both processes come out first
            print(f"\ndemo chat page: http://127.0.0.1:{port}/demo/", flush=True)
        return web.wait()
    except KeyboardInterrupt:
        web.terminate()
        return web.wait()
    finally:
        scheduler.terminate()


def demo_api_base(api_base: str, port: int) -> str:
    """The demo's built-in simulator (`/simulator` on 127.0.0.1 or localhost) moved to
    `port`; any other API base as it is."""
    parts = urlsplit(api_base)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") \
            or parts.path.rstrip("/") != "/simulator":
        return api_base
    return f"http://127.0.0.1:{port}/simulator"


def _wait_until_up(port: int, web: subprocess.Popen, seconds: float = 120) -> bool:
    """True once /healthz answers; False if gunicorn exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and web.poll() is None:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


def chat_user(settings: Settings, user: str, really: bool) -> str:
    """The user id `chat` talks as: outside demo mode only with --really, and as a test user."""
    if settings.bot.demo:
        return user
    if not really:
        raise CommandError(
            "[bot] demo is false: chat would write to the real database; add --really to chat "
            f"as the test user {TEST_USER_PREFIX}{user.removeprefix(TEST_USER_PREFIX)}, "
            "or use a demo configuration")
    return TEST_USER_PREFIX + user.removeprefix(TEST_USER_PREFIX)


def chat(settings: Settings, user: str, lines: Iterable[str], out: IO[str]) -> None:
    """Talk through the encrypted callback; WeCom is a simulator in this process, and its
    access token stays in memory (never in the shared database)."""
    from werkzeug.serving import make_server
    from wechatpy.session.memorystorage import MemoryStorage

    from bot.app import create_app
    from bot.services import build_services
    from bot.simulator import SimulatorState, WeComPeer, create_simulator_app

    state = SimulatorState(settings.wecom.corp_id, settings.wecom.secret)
    server = make_server("127.0.0.1", 0, create_simulator_app(state), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = replace(settings, wecom=replace(settings.wecom,
                                               api_base=f"http://127.0.0.1:{server.port}"))
    services = build_services(settings)
    services.client.session = MemoryStorage()
    app = create_app(services=services)
    client, w = app.test_client(), settings.wecom
    peer = WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id)
    print(f"以 {user} 的身份对话。输入消息后回车；Ctrl-D 退出。", file=out, flush=True)
    seen = 0
    try:
        for line in lines:
            query, body = peer.text(user, line.strip())
            passive = peer.read_reply(client.post(f"/wecom/callback?{query}",
                                                  data=body).get_data())
            if passive:
                print(f"助手：{passive}\n", file=out, flush=True)
            services.pipeline.wait_idle()
            for message in state.sent_to(user, seen):
                seen = message["id"]
                print(f"助手（主动发送）：{message['content']}\n", file=out, flush=True)
    finally:
        server.shutdown()
        services.engine.dispose()


def run_simulator(settings: Settings, port: int) -> int:
    """Serve the WeCom API stand-in on 127.0.0.1:PORT for the configured corp_id and secret;
    GET /messages?user=ID shows what it was sent."""
    from werkzeug.serving import make_server

    from bot.simulator import SimulatorState, create_simulator_app

    state = SimulatorState(settings.wecom.corp_id, settings.wecom.secret)
    server = make_server("127.0.0.1", port, create_simulator_app(state), threaded=True)
    print(f"WeCom simulator: http://127.0.0.1:{port} (set [wecom] api_base to it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def rehearse(settings: Settings, url: str, user: str, out: IO[str]) -> None:
    """URL verification, a question and a handoff against the bot at `url`, as WeCom would;
    then, when `api_base` is a local simulator, the notice the staff got."""
    import secrets

    from bot.simulator import WeComPeer

    w = settings.wecom
    peer, callback = WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id), \
        f"{url.rstrip('/')}/wecom/callback"
    try:
        echo = secrets.token_hex(8)
        answer = requests.get(f"{callback}?{peer.verification(echo)}", timeout=10)
        if (answer.status_code, answer.text) != (200, echo):
            raise CommandError(f"URL verification failed: HTTP {answer.status_code}")
        print(f"URL verification: ok (echostr answered in {answer.elapsed.total_seconds():.2f} s)",
              file=out)
        for text in ("残疾人就业服务有哪些", "人工"):
            query, body = peer.text(user, text)
            answer = requests.post(f"{callback}?{query}", data=body, timeout=10)
            if answer.status_code != 200:
                raise CommandError(f"message {text!r}: HTTP {answer.status_code}")
            reply = peer.read_reply(answer.content) or "（将通过 message/send 发送）"
            print(f"{user}：{text}\n助手：{reply}", file=out)
    except requests.RequestException as exc:
        raise CommandError(f"cannot reach the bot at {url} ({describe(exc)})") from None
    time.sleep(1)  # the staff notice goes out after the reply
    for staff in w.handoff_staff:
        try:
            sent = requests.get(f"{w.api_base.rstrip('/')}/messages", params={"user": staff},
                                timeout=10)
        except requests.RequestException as exc:
            print(f"staff notice to {staff}: not shown, api_base is no simulator that answers "
                  f"({describe(exc)})", file=out)
            continue
        if sent.ok and sent.headers.get("Content-Type", "").startswith("application/json"):
            for message in sent.json()[-1:]:
                print(f"staff notice to {staff}:\n{message['content']}", file=out)
