"""微信客服 pulls: nothing read twice or skipped across restarts, workers and racing callbacks."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.simulator_kf import kf_callback
from db import kf
from db.models import InboundMessage, KfCursor
from scheduler import jobs
from tests.dialog import another_app
from tests.kf_chat import OPEN_KFID, KfChat


@pytest.fixture
def kf_chat(chat: Any) -> KfChat:
    """A WeChat customer's view of the bot; the simulated kf accounts start empty."""
    chat.state.kf.reset()
    return KfChat(chat)


def inbound_count(services: Any, user: str) -> int:
    with services.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.user_id == user))


def queue(kf_chat: KfChat, user: str, *texts: str) -> None:
    for text in texts:
        kf_chat.kf.customer_says(OPEN_KFID, kf_chat.externals[user], text)


def test_a_restart_with_messages_waiting_answers_each_once(
        kf_chat: KfChat, database: str, simulator: Any, knowledge_base: Any) -> None:
    user = kf_chat.user("wmRestart01")
    queue(kf_chat, user, "你好", "谢谢", "菜单")
    kf_chat.kf.fail_syncs = 1  # the first worker's pull fails: the messages wait
    kf_chat.notify()
    assert kf_chat.received(user) == [] and inbound_count(kf_chat.services, user) == 0
    with kf_chat.services.sessions.begin() as session:
        cursor = session.get(KfCursor, OPEN_KFID)
        assert (cursor.wanted, cursor.lease_owner, cursor.cursor) == (True, None, None)

    with another_app(database, simulator, knowledge_base, seen={}) as restarted:
        assert jobs.pull_kf(restarted.services) == 3  # the scheduler's job, after the restart
        restarted.services.pipeline.wait_idle()
        assert jobs.pull_kf(restarted.services) == 0  # nothing wanted any more
    assert len(kf_chat.received(user)) == 3
    assert inbound_count(kf_chat.services, user) == 3


def test_the_same_batch_pulled_twice_is_answered_once(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmTwice02")
    queue(kf_chat, user, "你好", "谢谢")
    kf_chat.notify()
    first = kf_chat.received(user)
    assert len(first) == 2
    with kf_chat.services.sessions.begin() as session:  # as if the worker died before moving it
        session.execute(update(KfCursor).values(cursor=None))
    kf_chat.notify()
    assert kf_chat.received(user) == []
    assert inbound_count(kf_chat.services, user) == 2
    assert [s.get("cursor") for s in kf_chat.kf.syncs] == [None, None]


def test_two_workers_racing_the_same_cursor_answer_each_message_once(
        kf_chat: KfChat, database: str, simulator: Any, knowledge_base: Any) -> None:
    users = [kf_chat.user(f"wmRace{n:02d}") for n in range(4)]
    for user in users:
        queue(kf_chat, user, "你好", "谢谢")
    with another_app(database, simulator, knowledge_base, seen={}) as worker:
        apps = [kf_chat.chat, worker]
        w = kf_chat.services.settings.wecom
        callbacks = [kf_callback(kf_chat.chat.peer, w.corp_id, OPEN_KFID, kf_chat.kf.new_token())
                     for _ in apps]
        threads = [threading.Thread(target=app.post, args=callback)
                   for app, callback in zip(apps, callbacks, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for app in apps:
            app.services.pipeline.wait_idle()
    for user in users:
        assert len(kf_chat.received(user)) == 2, user
        assert inbound_count(kf_chat.services, user) == 2
    msgids = [m["msgid"] for m in kf_chat.kf.sent]
    assert len(msgids) == len(set(msgids)) == 8
    with kf_chat.services.sessions.begin() as session:
        cursor = session.get(KfCursor, OPEN_KFID)
        assert (cursor.cursor, cursor.lease_owner, cursor.wanted) == ("c8", None, False)


def test_a_callback_while_another_worker_pulls_makes_it_pull_again(kf_chat: KfChat) -> None:
    services, now = kf_chat.services, kf_chat.services.clock()
    with services.sessions.begin() as session:
        kf.note_callback(session, OPEN_KFID, "t1", now)
        assert kf.take_lease(session, OPEN_KFID, "worker-a", now, 60) is not None
    user = kf_chat.user("wmLease04")
    queue(kf_chat, user, "你好")
    kf_chat.notify()  # this worker finds the lease taken and leaves the pull to worker-a
    assert kf_chat.received(user) == []
    with services.sessions.begin() as session:
        assert kf.release(session, OPEN_KFID, "worker-a", now) is False  # wanted: pull again
    assert services.kf.pull(OPEN_KFID) == 0  # worker-a's lease is still live
    with services.sessions.begin() as session:
        session.execute(update(KfCursor).values(lease_owner=None, lease_until=None))
    assert services.kf.pull(OPEN_KFID) == 1
    services.pipeline.wait_idle()
    assert len(kf_chat.received(user)) == 1


def test_pages_are_pulled_while_has_more(kf_chat: KfChat) -> None:
    user = kf_chat.user("wmPages05")
    queue(kf_chat, user, *(f"谢谢{n}" for n in range(3)))
    with kf_chat.services.sessions.begin() as session:
        kf.note_callback(session, OPEN_KFID, "", kf_chat.services.clock())
    kf_chat.kf.max_page = 1  # WeCom gives fewer than asked for
    assert kf_chat.services.kf.pull(OPEN_KFID) == 3
    assert [s.get("cursor") for s in kf_chat.kf.syncs] == [None, "c1", "c2"]
    assert inbound_count(kf_chat.services, user) == 3


def test_a_kf_callback_without_an_account_is_refused(kf_chat: KfChat) -> None:
    w = kf_chat.services.settings.wecom
    query, body = kf_callback(kf_chat.chat.peer, w.corp_id, "", "token")
    assert kf_chat.chat.post(query, body).status_code == 400
    query, body = kf_callback(kf_chat.chat.peer, w.corp_id, OPEN_KFID, "token")
    assert kf_chat.chat.post(query.replace("msg_signature=", "msg_signature=0"),
                             body).status_code == 403
    with kf_chat.services.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(KfCursor)) == 0
