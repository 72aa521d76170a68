"""The command line of `python -m bot`: every command and option with its help text."""

from __future__ import annotations

import argparse
import os
import sys

from bot.booking_cli import add_parsers as add_booking_parsers
from bot.events_cli import add_parser as add_events_parser
from db.handoffs import OUTCOMES

# Request threads per gunicorn worker for `serve`. A callback's thread mostly waits for a
# pipeline thread (bot/pipeline.py, 8 of them), so 4 are enough to keep the pipeline busy; with
# 8, every SQLite call of the pipeline let one more runnable thread take the GIL, and under load
# the bot spent 5-10% more CPU per message (make bench, alternating rounds). A burst beyond
# 4 x workers waits in gunicorn's queue for a free thread.
SERVE_THREADS = 4


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2 (no usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """Every command and option, each with its help text (`python -m bot COMMAND --help`)."""
    parser = OneLineParser(prog="python -m bot", description="河北区残疾人就业服务助手")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="check configuration and database, then run gunicorn")
    serve.add_argument("--bind", default=os.environ.get("BOT_BIND", "0.0.0.0:8000"),
                       help="address:port to listen on (default: BOT_BIND, else 0.0.0.0:8000)")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("BOT_WORKERS", "2")),
                       help="gunicorn worker processes (default: BOT_WORKERS, else 2)")
    serve.add_argument("--threads", type=int,
                       default=int(os.environ.get("BOT_THREADS", SERVE_THREADS)),
                       help=f"request threads per worker (default: BOT_THREADS, else "
                            f"{SERVE_THREADS})")
    demo = sub.add_parser("demo", help="demo mode: migrate, run web app + simulator + scheduler")
    demo.add_argument("--port", type=int, default=8000,
                      help="local port of the demo page http://127.0.0.1:PORT/demo/ (8000)")
    chat = sub.add_parser("chat", help="chat with the bot in the terminal (WeCom simulated)")
    chat.add_argument("--user", default="resident01",
                      help="the WeCom user id to chat as (default: resident01)")
    chat.add_argument("--really", action="store_true",
                      help="allow chat outside demo mode; it writes to the configured database "
                           "as the test user test-USER")
    sub.add_parser("scheduler", help="run the scheduled jobs (outbox retries, purge)")
    simulator = sub.add_parser("simulator", help="a stand-in WeCom API on 127.0.0.1, to "
                                                 "rehearse a deployment without WeCom")
    simulator.add_argument("--port", type=int, default=8001,
                           help="local port to serve it on (default: 8001)")
    rehearse = sub.add_parser("rehearse", help="play WeCom's side against a running serve: "
                                               "URL verification, a question, a handoff")
    rehearse.add_argument("--url", default="http://127.0.0.1:8000",
                          help="where serve listens (default: http://127.0.0.1:8000)")
    rehearse.add_argument("--user", default="test-rehearsal",
                          help="the WeCom user id to write as (default: test-rehearsal)")
    db = sub.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"],
                    help="upgrade: run the migrations to the newest revision")
    kb = sub.add_parser("kb", help="knowledge base commands")
    kb.add_argument("action", choices=["check", "ask"],
                    help="check: validate every entry; ask: show the top answers to QUESTION")
    kb.add_argument("question", nargs="?", default="", help="the question for `kb ask`")
    handoffs = sub.add_parser("handoffs", help="staff: handoffs to people")
    handoffs.add_argument("action", choices=["list", "reply", "close"],
                          help="list: open handoffs, urgent first, with recent messages; "
                               "reply ID \"text\"; close ID --outcome X")
    handoffs.add_argument("id", nargs="?", type=int, help="the handoff's number (编号)")
    handoffs.add_argument("text", nargs="?", default="", help="reply: the text to send")
    handoffs.add_argument("--outcome", default="", help="close: " + "、".join(OUTCOMES))
    unanswered = sub.add_parser("unanswered", help="staff: questions the bot could not answer")
    unanswered.add_argument("action", choices=["list"],
                            help="list: grouped by similarity and counted")
    admin = sub.add_parser("admin", help="staff console accounts")
    admin.add_argument("action", choices=["create-user", "reset-password"],
                       help="create-user NAME --role R (password from BOT_ADMIN_PASSWORD, "
                            "else asked for); reset-password NAME")
    admin.add_argument("name", help="the account's user name")
    admin.add_argument("--role", choices=["staff", "admin"], default="staff",
                       help="create-user: staff, or admin (also manages accounts)")
    registrations = sub.add_parser("registrations", help="staff: job-demand registrations")
    registrations.add_argument("action", choices=["export"],
                               help="export: every registration, decrypted, to a CSV file")
    registrations.add_argument("--out", required=True,
                               help="the CSV file to write (its folder must exist)")
    registrations.add_argument("--actor", help="who exports, for the audit log "
                                               "(default: the OS user)")
    menu = sub.add_parser("menu", help="push the app's custom menu to WeCom")
    menu.add_argument("action", choices=["create"], help="create: replace the app's menu")
    add_booking_parsers(sub)
    add_events_parser(sub)
    return parser
