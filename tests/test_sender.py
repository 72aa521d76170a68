"""The outbox and message/send: one shared token, bounded refresh, retries, splitting, pacing.

Every test sends through the real WeCom client to the local simulator (or to a small local
server that fails on purpose) and reads the outcome back from `outbound_messages`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import delete, select, update
from werkzeug.serving import make_server

from bot.sender import MAX_ATTEMPTS, PER_HOUR, PER_MINUTE, Sender
from bot.services import build_services
from bot.wecom import DatabaseTokenStore, WeComClient
from db.models import AccessToken, OutboundMessage
from scheduler.jobs import deliver_outbox
from tests.conftest import AGENT_ID, CORP_ID
from tests.dialog import Clock

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@dataclass
class Row:
    """What a test checks of an outbox row."""

    status: str
    errcode: int | None
    attempts: int
    next_attempt_at: datetime | None
    text: str


def rows(services: Any, user: str | None = None) -> list[Row]:
    """The outbox rows (for `user`), oldest first."""
    stmt = select(OutboundMessage).order_by(OutboundMessage.id)
    if user is not None:
        stmt = stmt.where(OutboundMessage.user_id == user)
    with services.sessions.begin() as session:
        return [Row(r.status, r.errcode, r.attempts, r.next_attempt_at, r.text)
                for r in session.scalars(stmt)]


def received(simulator: Any, user: str) -> list[str]:
    """What the simulator was sent for `user`, in order."""
    return [m["content"] for m in simulator[0].sent_to(user)]


@pytest.fixture
def clock(services: Any, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A hand-moved clock driving the outbox (services.sender and services.clock)."""
    moved = Clock(T0)
    monkeypatch.setattr(services, "sender", Sender(services.client, services.sessions, moved))
    monkeypatch.setattr(services, "clock", moved)
    return moved


class FlakyWeCom:
    """A local WeCom stand-in that answers one endpoint badly until told to recover."""

    def __init__(self, failing: str, status: int = 502) -> None:
        self.failing, self.status, self.broken, self.sent = failing, status, True, []
        app = Flask("flaky-wecom")
        page = "<html><body>Bad Gateway</body></html>"

        @app.get("/cgi-bin/gettoken")
        def gettoken():  # type: ignore[no-untyped-def]
            if self.broken and self.failing == "gettoken":
                return page, self.status
            return jsonify(errcode=0, errmsg="ok", access_token="flaky-token", expires_in=7200)

        @app.post("/cgi-bin/message/send")
        def message_send():  # type: ignore[no-untyped-def]
            if self.broken and self.failing == "message/send":
                return page, self.status
            body = request.get_json(force=True)
            self.sent.append((body["touser"], body["text"]["content"]))
            return jsonify(errcode=0, errmsg="ok", msgid=f"flaky{len(self.sent)}")

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.api_base = f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def services_at(services: Any) -> Iterator[Any]:
    """Build extra Services on the test database with another api_base (disposed after)."""
    built: list[Any] = []

    def build(api_base: str) -> Any:
        settings = replace(services.settings,
                           wecom=replace(services.settings.wecom, api_base=api_base))
        built.append(build_services(settings, with_bot=False))
        return built[-1]

    yield build
    for extra in built:
        extra.engine.dispose()


# --- the access token --------------------------------------------------------------------


def test_many_sends_share_one_token_kept_in_the_database(services, simulator, services_at):
    state = simulator[0]
    before = state.token_fetches
    for n in range(5):
        services.sender.send_text("lin1", f"第{n}条通知")
    assert received(simulator, "lin1") == [f"第{n}条通知" for n in range(5)]
    assert state.token_fetches - before == 1
    with services.sessions.begin() as session:
        token = session.get(AccessToken, f"{CORP_ID}:{AGENT_ID}")
        assert token is not None and token.token in state.tokens

    other = services_at(services.settings.wecom.api_base)  # another worker, same database
    other.sender.send_text("lin1", "另一个进程发的")
    assert received(simulator, "lin1")[-1] == "另一个进程发的"
    assert state.token_fetches - before == 1


def test_a_token_kept_in_memory_is_still_refreshed_before_it_expires(services, simulator):
    state, w, clock = simulator[0], services.settings.wecom, Clock(now=datetime.now(timezone.utc))
    sender = Sender(WeComClient(w.corp_id, w.secret, w.agent_id, w.api_base, w.timeout_seconds,
                                DatabaseTokenStore(services.sessions, clock)), services.sessions)
    sender.send_text("lin2", "第一条")
    fetches = state.token_fetches
    clock.advance(minutes=100)  # still valid for 20 minutes: the token in memory is used
    sender.send_text("lin2", "第二条")
    assert state.token_fetches == fetches
    clock.advance(minutes=16)  # within the refresh margin: fetched again, stored for all
    sender.send_text("lin2", "第三条")
    assert state.token_fetches == fetches + 1
    assert received(simulator, "lin2") == ["第一条", "第二条", "第三条"]
    with services.sessions.begin() as session:
        row = session.get(AccessToken, f"{CORP_ID}:{AGENT_ID}")
        assert row is not None and row.expires_at > clock() + timedelta(minutes=100)


def test_a_rejected_token_is_refreshed_once_and_the_message_still_arrives(services, simulator):
    state = simulator[0]
    services.sender.send_text("lin2", "第一条")
    before = state.token_fetches
    state.fail_next(40014)
    services.sender.send_text("lin2", "第二条")
    assert received(simulator, "lin2") == ["第一条", "第二条"]
    assert state.token_fetches - before == 1
    assert [(r.status, r.errcode) for r in rows(services, "lin2")] == [("sent", 0), ("sent", 0)]


def test_a_token_rejected_twice_is_not_refreshed_in_a_loop(services, simulator):
    state = simulator[0]
    services.sender.send_text("lin3", "第一条")
    before = state.token_fetches
    state.fail_next(40014, 40014)
    services.sender.send_text("lin3", "第二条")
    assert state.token_fetches - before == 1
    assert received(simulator, "lin3") == ["第一条"]
    assert [(r.status, r.errcode) for r in rows(services, "lin3")] == [("sent", 0),
                                                                       ("failed", 40014)]


# --- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize("errcode", [45009, 45033, -1])
def test_a_passing_error_leaves_the_message_pending_until_the_outbox_job(services, simulator,
                                                                         clock, errcode):
    simulator[0].fail_next(errcode)
    services.sender.send_text("lin4", "招聘会明天上午九点开始。")
    [row] = rows(services, "lin4")
    assert (row.status, row.errcode, row.attempts) == ("pending", errcode, 1)
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now
    assert received(simulator, "lin4") == []

    assert deliver_outbox(services) == 0  # not due yet
    assert rows(services, "lin4")[0].status == "pending"
    clock.now = row.next_attempt_at
    assert deliver_outbox(services) == 1
    assert received(simulator, "lin4") == ["招聘会明天上午九点开始。"]
    assert [(r.status, r.errcode, r.attempts) for r in rows(services, "lin4")] == [
        ("sent", 0, 2)]


def test_the_outbox_job_delivers_a_message_whose_time_has_come(services, simulator):
    simulator[0].fail_next(-1)
    services.sender.send_text("lin5", "您预约的服务在周三。")
    assert rows(services, "lin5")[0].status == "pending"
    with services.sessions.begin() as session:
        session.execute(update(OutboundMessage).values(
            next_attempt_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert deliver_outbox(services) == 1
    assert received(simulator, "lin5") == ["您预约的服务在周三。"]
    assert deliver_outbox(services) == 0  # a rerun sends nothing twice
    assert received(simulator, "lin5") == ["您预约的服务在周三。"]


def test_back_off_grows_and_the_outbox_gives_up_after_max_attempts(services, simulator, clock):
    simulator[0].fail_next(*[-1] * MAX_ATTEMPTS)
    services.sender.send_text("lin6", "通知")
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        row = rows(services, "lin6")[0]
        assert row.status == "pending"
        waits.append(row.next_attempt_at - clock.now)
        clock.now = row.next_attempt_at
        deliver_outbox(services)
    assert waits[0] == timedelta(seconds=60)
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert [(r.status, r.errcode, r.attempts) for r in rows(services, "lin6")] == [
        ("failed", -1, MAX_ATTEMPTS)]
    assert received(simulator, "lin6") == []
    assert simulator[0].failures == []  # every attempt reached WeCom


@pytest.mark.parametrize("errcode", [81013, 60020, 40058])
def test_a_permanent_error_marks_the_message_failed_and_it_is_not_retried(services, simulator,
                                                                         clock, errcode):
    simulator[0].fail_next(errcode)
    services.sender.send_text("lin7", "通知")
    assert [(r.status, r.errcode, r.attempts) for r in rows(services, "lin7")] == [
        ("failed", errcode, 1)]
    clock.advance(days=1)
    assert deliver_outbox(services) == 0
    assert received(simulator, "lin7") == []
    assert rows(services, "lin7")[0].status == "failed"


@pytest.mark.parametrize(("failing", "status"), [("message/send", 502), ("gettoken", 502),
                                                 ("message/send", 200), ("gettoken", 200)],
                         ids=["send-502", "gettoken-502", "send-html", "gettoken-html"])
def test_a_bad_gateway_or_an_answer_that_is_not_json_is_retried(services, services_at, clock,
                                                                  failing, status):
    flaky = FlakyWeCom(failing, status)
    try:
        via_flaky = services_at(flaky.api_base)
        sender = Sender(via_flaky.client, via_flaky.sessions, clock)
        sender.send_text("lin8", "通知")
        [row] = rows(services, "lin8")
        assert (row.status, row.errcode, row.attempts) == ("pending", None, 1)
        assert row.next_attempt_at == clock.now + timedelta(seconds=60)
        assert flaky.sent == []

        flaky.broken = False
        clock.now = row.next_attempt_at
        assert sender.deliver_due() == 1
        assert flaky.sent == [("lin8", "通知")]
        assert [(r.status, r.errcode) for r in rows(services, "lin8")] == [("sent", 0)]
    finally:
        flaky.server.shutdown()


def test_an_unreachable_wecom_is_retried(services, services_at):
    nowhere = services_at("http://127.0.0.1:1")
    nowhere.sender.send_text("lin9", "通知")
    [row] = rows(services, "lin9")
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at is not None


def test_workers_fetching_their_first_token_at_once_all_deliver(services, simulator):
    w, workers = services.settings.wecom, 6
    for round_ in range(5):
        with services.sessions.begin() as session:  # the token expired for everyone
            session.execute(delete(AccessToken))
        senders = [Sender(WeComClient(w.corp_id, w.secret, w.agent_id, w.api_base,
                                      w.timeout_seconds, DatabaseTokenStore(services.sessions)),
                          services.sessions) for _ in range(workers)]  # one per process
        barrier = threading.Barrier(workers)

        def send(sender: Sender, user: str) -> None:
            barrier.wait()
            sender.send_text(user, "通知")

        users = [f"worker{round_}-{i}" for i in range(workers)]
        threads = [threading.Thread(target=send, args=pair) for pair in zip(senders, users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(m["touser"] for m in simulator[0].messages[-workers:]) == users
    assert {r.status for r in rows(services)} == {"sent"}


# --- long texts --------------------------------------------------------------------------


def test_a_long_text_is_split_at_sentence_ends_and_arrives_in_order(services, simulator):
    text = "".join(f"第{n}条：按比例安排残疾人就业，未达到比例的单位缴纳保障金。" for n in range(80))
    assert len(text.encode()) > 2 * 2048
    services.sender.send_text("lin10", text)
    parts = received(simulator, "lin10")
    assert len(parts) >= 3
    assert "".join(parts) == text
    assert all(len(p.encode()) <= 2048 and p.endswith("。") for p in parts)
    assert [r.text for r in rows(services, "lin10")] == parts
    assert {r.status for r in rows(services, "lin10")} == {"sent"}


def test_a_sentence_longer_than_the_limit_is_cut_between_characters(services, simulator):
    text = "残" * 1000  # 3,000 bytes, no sentence end
    services.sender.send_text("lin11", text)
    parts = received(simulator, "lin11")
    assert parts == ["残" * 682, "残" * 318]
    assert all(len(p.encode()) <= 2048 for p in parts)


def test_a_text_of_exactly_2048_bytes_is_one_message(services, simulator):
    text = "a" * 2045 + "。"
    assert len(text.encode()) == 2048
    services.sender.send_text("lin12", text)
    assert received(simulator, "lin12") == [text]


# --- pacing per member -------------------------------------------------------------------


def test_after_28_sends_in_a_minute_the_next_one_waits(services, simulator, clock):
    for n in range(PER_MINUTE):
        services.sender.send_text("lin13", f"消息{n}")
        clock.advance(seconds=1)
    services.sender.send_text("lin13", "第29条")
    outbox = rows(services, "lin13")
    assert [r.status for r in outbox] == ["sent"] * PER_MINUTE + ["pending"]
    assert all(r.errcode == 0 for r in outbox[:PER_MINUTE])
    assert (outbox[-1].attempts, outbox[-1].errcode) == (0, None)
    assert outbox[-1].next_attempt_at == T0 + timedelta(minutes=1)
    assert len(received(simulator, "lin13")) == PER_MINUTE

    services.sender.send_text("lin14", "别人不受影响")
    assert received(simulator, "lin14") == ["别人不受影响"]

    clock.now = outbox[-1].next_attempt_at + timedelta(seconds=1)
    assert deliver_outbox(services) == 1
    assert received(simulator, "lin13")[-1] == "第29条"


def test_after_the_hourly_allowance_the_next_one_waits_for_the_hour(services, simulator, clock):
    earlier = T0 - timedelta(minutes=50)
    with services.sessions.begin() as session:
        session.add_all(OutboundMessage(user_id="lin15", text=f"旧消息{n}", status="sent",
                                        attempts=1, errcode=0, created_at=earlier,
                                        sent_at=earlier) for n in range(PER_HOUR))
    services.sender.send_text("lin15", "通知")
    last = rows(services, "lin15")[-1]
    assert (last.status, last.next_attempt_at) == ("pending", earlier + timedelta(hours=1))
    assert received(simulator, "lin15") == []


def test_a_long_sentence_after_a_short_one_keeps_the_order(services, simulator):
    text = "请注意。" + "残" * 1000 + "。最后一句。"
    services.sender.send_text("lin16", text)
    parts = received(simulator, "lin16")
    assert "".join(parts) == text
    assert all(len(p.encode()) <= 2048 for p in parts)
