"""`python -m bot COMMAND`: serve, demo, chat, scheduler, db upgrade, kb check/ask, handoffs,
unanswered, registrations export, admin (console accounts)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bot.settings import ConfigError, load_settings
from db.handoffs import OUTCOMES

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; configuration errors are one line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="河北区残疾人就业服务助手")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app with gunicorn")
    serve.add_argument("--bind", default=os.environ.get("BOT_BIND", "0.0.0.0:8000"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("BOT_WORKERS", "2")))
    demo = sub.add_parser("demo", help="migrate, then run web app + scheduler on 127.0.0.1:8000")
    demo.add_argument("--port", type=int, default=8000)
    chat = sub.add_parser("chat", help="chat with the bot in the terminal")
    chat.add_argument("--user", default="resident01")
    sub.add_parser("scheduler", help="run the scheduled jobs (outbox retries, purge)")
    db = sub.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"])
    kb = sub.add_parser("kb", help="knowledge base commands")
    kb.add_argument("action", choices=["check", "ask"])
    kb.add_argument("question", nargs="?", default="")
    handoffs = sub.add_parser("handoffs", help="staff: handoffs to people")
    handoffs.add_argument("action", choices=["list", "reply", "close"],
                          help="list the open ones; reply ID \"text\"; close ID --outcome X")
    handoffs.add_argument("id", nargs="?", type=int, help="the handoff's number (编号)")
    handoffs.add_argument("text", nargs="?", default="", help="reply: the text to send")
    handoffs.add_argument("--outcome", default="", help="close: " + "、".join(OUTCOMES))
    unanswered = sub.add_parser("unanswered", help="staff: questions the bot could not answer")
    unanswered.add_argument("action", choices=["list"])
    admin = sub.add_parser("admin", help="staff console accounts")
    admin.add_argument("action", choices=["create-user", "reset-password"])
    admin.add_argument("name", help="the account's user name")
    admin.add_argument("--role", choices=["staff", "admin"], default="staff",
                       help="create-user: staff, or admin (also manages accounts)")
    registrations = sub.add_parser("registrations", help="staff: job-demand registrations")
    registrations.add_argument("action", choices=["export"])
    registrations.add_argument("--out", required=True, help="the CSV file to write")
    menu = sub.add_parser("menu", help="push the app's custom menu to WeCom")
    menu.add_argument("action", choices=["create"])
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


def _services(with_bot: bool = True, check: bool = True) -> Any:
    from bot.logs import configure
    from bot.services import build_services
    from db.migrate import NotMigrated, check_current

    settings = load_settings()
    configure(settings.bot.log_level)
    services = build_services(settings, with_bot=with_bot)
    if check:
        try:
            check_current(services.engine)
        except NotMigrated as exc:
            raise ConfigError(f"[database] url: {exc}") from None
        except Exception as exc:
            raise ConfigError(f"[database] url: cannot reach the database "
                              f"({type(exc).__name__})") from None
    return services


def cmd_db(args: argparse.Namespace) -> int:
    """db upgrade: run the Alembic migrations."""
    from db.migrate import upgrade

    services = _services(with_bot=False, check=False)
    try:
        upgrade(services.engine)
    except Exception as exc:
        raise ConfigError(f"[database] url: migration failed ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:200]})") from None
    print("database is at the newest migration")
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    """kb check | kb ask "问题"."""
    from knowledge.base import KnowledgeBase
    from knowledge.curation import ask, check

    if args.action == "check":
        problems = check()
        for problem in problems:
            print(problem)
        count = len(list((ROOT / "knowledge" / "entries").glob("*.toml")))
        print(f"kb check: {count} entries, {len(problems)} problems")
        return 1 if problems else 0
    if not args.question:
        print('usage: python -m bot kb ask "问题"', file=sys.stderr)
        return 2
    print(ask(KnowledgeBase.load(), args.question))
    return 0


def gunicorn_args(bind: str, workers: int, app: str = "bot:create_app()") -> list[str]:
    """How `serve` runs gunicorn (the benchmark runs both of its apps this way)."""
    return ["-m", "gunicorn", "--bind", bind, "--workers", str(workers), "--threads", "8",
            "--timeout", "30", "--access-logfile", "-", app]


def cmd_serve(args: argparse.Namespace) -> int:
    """serve: check the configuration, the database and the console admin, then exec gunicorn."""
    from bot.console_cli import require_admin

    services = _services(with_bot=False)
    if not services.settings.bot.demo:
        require_admin(services)
    os.execvp(sys.executable, [sys.executable, *gunicorn_args(args.bind, args.workers)])
    return 0  # pragma: no cover


def cmd_demo(args: argparse.Namespace) -> int:
    """demo: migrate, start the scheduler beside the web app, serve the demo page."""
    if not load_settings().bot.demo:
        raise ConfigError("[bot] demo: is false; `python -m bot demo` needs demo mode")
    from bot.console_cli import DEMO_ADMIN, demo_admin

    cmd_db(args)
    password = demo_admin(_services(with_bot=False))
    print(f"staff console: http://127.0.0.1:{args.port}/admin/  user {DEMO_ADMIN}  "
          f"password {password}", flush=True)
    scheduler = subprocess.Popen([sys.executable, "-m", "bot", "scheduler"])
    print(f"demo chat page: http://127.0.0.1:{args.port}/demo/", flush=True)
    try:
        # One worker: the simulator keeps what it was sent in memory.
        return subprocess.call([sys.executable, "-m", "gunicorn", "--bind",
                                f"127.0.0.1:{args.port}", "--workers", "1", "--threads", "16",
                                "--timeout", "30", "bot:create_app()"])
    finally:
        scheduler.terminate()


def cmd_scheduler(args: argparse.Namespace) -> int:
    """scheduler: run the timetable in this process."""
    from scheduler.run import run

    run(_services(with_bot=True))  # with the bot: the kf-pull job answers what it pulls
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """chat --user ID: talk to the bot through the encrypted callback, in the terminal."""
    from dataclasses import replace

    from werkzeug.serving import make_server

    from bot.app import create_app
    from bot.services import build_services
    from bot.simulator import SimulatorState, WeComPeer, create_simulator_app

    settings = load_settings()
    state = SimulatorState(settings.wecom.corp_id, settings.wecom.secret)
    server = make_server("127.0.0.1", 0, create_simulator_app(state), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = replace(settings, wecom=replace(settings.wecom,
                                               api_base=f"http://127.0.0.1:{server.port}"))
    app = create_app(services=build_services(settings))
    client, w = app.test_client(), settings.wecom
    peer = WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id)
    print("输入消息后回车；Ctrl-D 退出。")
    seen = 0
    for line in sys.stdin:
        query, body = peer.text(args.user, line.strip())
        response = client.post(f"/wecom/callback?{query}", data=body)
        passive = peer.read_reply(response.get_data())
        if passive:
            print(f"助手：{passive}\n")
        app.extensions["bot"].pipeline.wait_idle()
        for message in state.sent_to(args.user, seen):
            seen = message["id"]
            print(f"助手（主动发送）：{message['content']}\n")
    return 0


def cmd_handoffs(args: argparse.Namespace) -> int:
    """handoffs list | reply ID "text" | close ID --outcome X."""
    from bot.console_cli import HandoffError, handoff_command
    from bot.staff import list_handoffs

    if args.action == "list":
        print(list_handoffs(_services(with_bot=False)))
        return 0
    if args.id is None or (args.action == "reply" and not args.text.strip()):
        print(f'usage: python -m bot handoffs {args.action} ID '
              + ('"text"' if args.action == "reply" else "--outcome X"), file=sys.stderr)
        return 2
    try:
        print(handoff_command(_services(with_bot=False), args.action, args.id, args.text,
                              args.outcome))
    except HandoffError as exc:
        print(f"handoffs {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_unanswered(args: argparse.Namespace) -> int:
    """unanswered list: the questions the bot could not answer, grouped and counted."""
    from bot.console_cli import unanswered_list

    print(unanswered_list(_services(with_bot=False)))
    return 0


def cmd_admin(args: argparse.Namespace) -> int:
    """admin create-user NAME --role staff|admin | admin reset-password NAME."""
    from bot.console_cli import AccountError, admin_command

    try:
        print(admin_command(_services(with_bot=False), args.action, args.name, args.role))
    except AccountError as exc:
        print(f"admin {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_registrations(args: argparse.Namespace) -> int:
    """registrations export --out FILE.csv: every registration, decrypted, for staff."""
    from bot.staff import export_registrations

    out = Path(args.out).resolve()
    count = export_registrations(_services(with_bot=False), out)
    print(f"exported {count} registrations to {out}")
    return 0


def cmd_menu(args: argparse.Namespace) -> int:
    """menu create: push the custom menu (three buttons) to WeCom."""
    services = _services(with_bot=False)
    menu = {"button": [
        {"type": "click", "name": "政策咨询", "key": "menu:policy"},
        {"name": "办事", "sub_button": [
            {"type": "click", "name": "就业登记", "key": "menu:register"},
            {"type": "click", "name": "服务预约", "key": "menu:booking"},
            {"type": "click", "name": "活动订阅", "key": "menu:subscribe"}]},
        {"type": "click", "name": "人工服务", "key": "menu:handoff"}]}
    services.client.menu.create(services.settings.wecom.agent_id, menu)
    print("custom menu created")
    return 0


COMMANDS = {"db": cmd_db, "kb": cmd_kb, "serve": cmd_serve, "demo": cmd_demo, "chat": cmd_chat,
            "scheduler": cmd_scheduler, "handoffs": cmd_handoffs, "menu": cmd_menu,
            "registrations": cmd_registrations, "unanswered": cmd_unanswered,
            "admin": cmd_admin}

if __name__ == "__main__":
    sys.exit(main())
