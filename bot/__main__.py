"""`python -m bot COMMAND`: serve, demo, chat, scheduler, simulator, rehearse, db upgrade, kb,
handoffs, unanswered, admin, registrations export, menu create, services and slots (booking),
events; every option has its --help."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli_args import SERVE_THREADS, build_parser
from bot.logs import configure as configure_logging
from bot.settings import CommandError, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent



def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; every error is one line per problem."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1


def _services(with_bot: bool = True, check: bool = True, service: bool = False) -> Any:
    """Settings, logging (see `_logging`) and services for a command."""
    from bot.services import build_services
    from db.migrate import NotMigrated, check_current

    settings = load_settings()
    _logging(settings, service)
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


def _logging(settings: Any, service: bool = False) -> None:
    """A long-running service logs at the configured level; a one-shot or interactive command
    only its warnings (its result is its output), unless the level is DEBUG."""
    level = settings.bot.log_level.upper()
    configure_logging(level if service or level == "DEBUG" else "WARNING")


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


def gunicorn_args(bind: str, workers: int, app: str = "bot:create_app()",
                  threads: int = SERVE_THREADS) -> list[str]:
    """How `serve` runs gunicorn (the benchmark runs its apps this way)."""
    return ["-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "--bind", bind,
            "--workers", str(workers), "--threads", str(threads), "--timeout", "30",
            "--access-logfile", "-", app]


def cmd_serve(args: argparse.Namespace) -> int:
    """serve: check the configuration, the database and the console admin, then exec gunicorn."""
    from bot.console_cli import require_admin

    services = _services(with_bot=False)
    if not services.settings.bot.demo:
        require_admin(services)
    os.execvp(sys.executable, [sys.executable, *gunicorn_args(args.bind, args.workers,
                                                              threads=args.threads)])
    return 0  # pragma: no cover


def cmd_demo(args: argparse.Namespace) -> int:
    """demo: migrate, start the scheduler beside the web app, serve the demo page."""
    from bot.local import run_demo

    if not load_settings().bot.demo:
        raise ConfigError("[bot] demo: is false; `python -m bot demo` needs demo mode")
    from bot.booking_cli import seed_demo
    from bot.console_cli import DEMO_ADMIN, demo_admin

    cmd_db(args)
    services = _services(with_bot=False)
    added, slots = seed_demo(services)
    print(f"booking catalogue: {added} services added, {slots} demo slots added")
    password = demo_admin(services)
    print(f"staff console: http://127.0.0.1:{args.port}/admin/  user {DEMO_ADMIN}  "
          f"password {password}", flush=True)
    return run_demo(args.port, services.settings.wecom.api_base)


def cmd_scheduler(args: argparse.Namespace) -> int:
    """scheduler: run the timetable in this process."""
    from scheduler.run import run

    run(_services(with_bot=True, service=True))  # with the bot: kf-pull answers what it pulls
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """chat --user ID [--really]: talk to the bot through the encrypted callback."""
    from bot.local import chat, chat_user

    settings = load_settings()
    _logging(settings)
    chat(settings, chat_user(settings, args.user, args.really), sys.stdin, sys.stdout)
    return 0


def cmd_simulator(args: argparse.Namespace) -> int:
    """simulator --port P: the WeCom API stand-in for the configured corp_id and secret."""
    from bot.local import run_simulator

    settings = load_settings()
    _logging(settings, service=True)
    return run_simulator(settings, args.port)


def cmd_rehearse(args: argparse.Namespace) -> int:
    """rehearse --url URL: WeCom's side of a callback exchange against a running serve."""
    from bot.local import rehearse

    rehearse(load_settings(), args.url, args.user, sys.stdout)
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
        raise CommandError(str(exc)) from None
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
        raise CommandError(str(exc)) from None
    return 0


def cmd_booking(args: argparse.Namespace) -> int:
    """services … / slots …: the booking catalogue and slots (bot/booking_cli.py)."""
    import logging

    from bot.booking_cli import run

    logging.getLogger("alembic").setLevel(logging.WARNING)  # bad input stays one line
    return run(args, _services(with_bot=False))


def cmd_registrations(args: argparse.Namespace) -> int:
    """registrations export --out FILE.csv: every registration, decrypted, for staff."""
    from bot.staff import ExportRefused, export_registrations

    out = Path(args.out).absolute()  # not resolved: a symbolic link must stay visible
    try:
        count = export_registrations(_services(with_bot=False), out, args.actor or _os_user())
    except ExportRefused as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return 1
    print(f"exported {count} registrations to {out}")
    return 0


def _os_user() -> str:
    """The operating-system user running the command."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


def cmd_events(args: argparse.Namespace) -> int:
    """events add|import|publish|change|cancel|list|signups (bot/events_cli.py)."""
    from bot.events_cli import run

    return run(args, _services(with_bot=False))


def cmd_menu(args: argparse.Namespace) -> int:
    """menu create: push the custom menu (three buttons) to WeCom."""
    from bot.menu import create_menu

    create_menu(_services(with_bot=False))
    print("custom menu created")
    return 0


COMMANDS = {"db": cmd_db, "kb": cmd_kb, "serve": cmd_serve, "demo": cmd_demo, "chat": cmd_chat,
            "scheduler": cmd_scheduler, "simulator": cmd_simulator,
            "rehearse": cmd_rehearse, "handoffs": cmd_handoffs,
            "menu": cmd_menu, "registrations": cmd_registrations, "unanswered": cmd_unanswered,
            "admin": cmd_admin, "services": cmd_booking, "slots": cmd_booking,
            "events": cmd_events}

if __name__ == "__main__":
    sys.exit(main())
