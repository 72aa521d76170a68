"""Staff answer and close handoffs: by command and in the console, through message/send."""

from __future__ import annotations

from typing import Any

import pytest

from bot.__main__ import main
from db.models import AuditLog, Handoff, UnansweredQuestion
from tests.console import add_accounts, logged_in, token
from tests.dialog import rows, say


def test_a_handoff_is_answered_and_closed_by_command(staff_cli: Any,  # noqa: F811
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    chat = staff_cli
    say(chat, "asker", "我想问问盲人按摩的事")
    say(chat, "asker", "人工")
    [handoff] = rows(chat, Handoff, user_id="asker")
    chat.api_messages("asker")

    assert main(["handoffs", "reply", str(handoff.id), "您好，按摩培训下周一开班，我们会电话联系您。"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"reply to handoff {handoff.id} sent"
    [reply] = chat.api_messages("asker")
    assert reply.startswith("您好，按摩培训下周一开班") and "人工" in reply
    [answered] = rows(chat, Handoff, user_id="asker")
    assert answered.status == "answered" and answered.answered_by.startswith("cli:")
    assert answered.answered_at is not None

    assert main(["handoffs", "close", str(handoff.id), "--outcome", "随便"]) == 1
    assert "结果只能是" in capsys.readouterr().err
    assert main(["handoffs", "close", str(handoff.id), "--outcome", "已解决"]) == 0
    [closed] = rows(chat, Handoff, user_id="asker")
    assert (closed.status, closed.outcome) == ("closed", "已解决")
    assert main(["handoffs", "reply", str(handoff.id), "还有事吗"]) == 1
    assert capsys.readouterr().err.strip().endswith("已关闭，不能再回复")
    assert main(["handoffs", "reply", "999", "你好"]) == 1
    assert chat.api_messages("asker") == []


def test_unanswered_questions_are_listed_grouped_and_counted(
        staff_cli: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    chat = staff_cli
    with chat.services.sessions.begin() as session:
        session.add_all(UnansweredQuestion(user_id=f"q{n}", question=text, status="open")
                        for n, text in enumerate(("盲道被占了找谁", "火星上能找工作吗",
                                                  "盲道被占用了找谁")))
    assert main(["unanswered", "list"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("3 unanswered questions in 2 groups"), out
    assert out[0].startswith("2× "), out


def test_the_console_reply_reaches_the_person_and_the_view_is_audited(
        app: Any, chat: Any, services: Any) -> None:
    add_accounts(services)
    say(chat, "needs-help", "我不想活了")  # distress: an urgent handoff
    say(chat, "calm", "人工")
    handoffs = {h.user_id: h for h in rows(chat, Handoff)}
    chat.api_messages("needs-help")
    client = logged_in(app, "clerk")
    inbox = client.get("/admin/handoffs/").get_data(as_text=True)
    assert inbox.index(f"#{handoffs['needs-help'].id}") < inbox.index(f"#{handoffs['calm'].id}")
    path = f"/admin/handoffs/{handoffs['needs-help'].id}"
    page = client.get(path).get_data(as_text=True)
    assert "我不想活了" in page and "紧急" in page
    sent = client.post(f"{path}/reply", data={"text": "我是区残联的小王，马上给您打电话。",
                                              "csrf_token": token(client, path)})
    assert sent.status_code == 302
    [reply] = chat.api_messages("needs-help")
    assert reply.startswith("我是区残联的小王")
    closed = client.post(f"{path}/close", data={"outcome": "已转介相关部门",
                                                "csrf_token": token(client, path)})
    assert closed.status_code == 302
    [done] = rows(chat, Handoff, user_id="needs-help")
    assert (done.status, done.answered_by, done.closed_by) == ("closed", "clerk", "clerk")
    assert ("view_handoff", "clerk") in [(a.action, a.actor) for a in rows(chat, AuditLog)]
