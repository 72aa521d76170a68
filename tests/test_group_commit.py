"""Group commit on SQLite (db/group_commit.py): writes ready at once share a transaction.

Each write still commits alone or not at all, and each caller gets its own result or its own
exception. Through the webhook: people who write at the same moment each get the answer to
their own question, recorded once, also when their writes were committed together.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import IntegrityError

from db import state
from db.group_commit import GroupCommit
from db.session import make_engine, read_connection
from tests.dialog import handlers_of
from tests.test_pipeline_state import post_now

# Each answered in one message, with no rows of its own: the common write, which is grouped.
QUESTIONS = ["公司没招残疾人要交多少钱", "四个一是哪四个一", "辅助性就业适合什么人",
             "盲人按摩考试在哪组织", "残保金有减免吗", "政策进校园是什么"]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def counting_commits(engine: Engine) -> list[int]:
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    return commits


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT UNIQUE, "
                                "parent_id INTEGER REFERENCES parent (id) "
                                "DEFERRABLE INITIALLY DEFERRED)"))
    yield engine
    engine.dispose()


def insert(label: str, parent_id: int | None = None) -> Callable[[Connection], str]:
    def write(connection: Connection) -> str:
        connection.execute(text("INSERT INTO item (label, parent_id) VALUES (:label, :parent)"),
                           {"label": label, "parent": parent_id})
        return f"wrote {label}"
    return write


def labels(engine: Engine) -> list[str]:
    with read_connection(engine) as connection:
        return sorted(connection.execute(text("SELECT label FROM item")).scalars())


class HeldLeader:
    """A first write that holds its transaction open until released, so that the writes
    started meanwhile queue behind it and are then committed together."""

    def __init__(self, group: GroupCommit, engine: Engine) -> None:
        self.group, self.engine = group, engine
        self.release = threading.Event()
        self.results: dict[str, Any] = {}
        self.threads: list[threading.Thread] = []

    def held(self, connection: Connection) -> str:
        assert self.release.wait(20)
        return insert("first")(connection)

    def start(self, label: str, work: Callable[[Connection], str]) -> None:
        def run() -> None:
            with self.engine.connect() as connection:
                try:
                    self.results[label] = self.group.run(connection, work)
                except Exception as exc:  # noqa: BLE001 (the caller's exception is the result)
                    self.results[label] = exc
        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)

    def queue(self, writes: dict[str, Callable[[Connection], str]]) -> None:
        """Start the held write, then `writes`; release once all of them wait in the queue."""
        self.start("first", self.held)
        wait_until(lambda: self.group._leading)  # noqa: SLF001 (the first leads)
        for label, work in writes.items():
            self.start(label, work)
        wait_until(lambda: len(self.group._queue) == len(writes))  # noqa: SLF001
        self.release.set()
        for thread in self.threads:
            thread.join(30)
            assert not thread.is_alive()


def test_writes_queued_meanwhile_are_committed_together_each_with_its_own_result(
        engine: Engine) -> None:
    group = GroupCommit()
    commits = counting_commits(engine)
    held = HeldLeader(group, engine)
    held.queue({f"w{i}": insert(f"w{i}") for i in range(4)})
    assert held.results == {"first": "wrote first", **{f"w{i}": f"wrote w{i}" for i in range(4)}}
    assert len(commits) == 2  # the held write alone, then the four that queued behind it
    assert labels(engine) == ["first", "w0", "w1", "w2", "w3"]
    with engine.connect() as connection:  # nobody leads now: the next write goes at once
        assert group.run(connection, insert("later")) == "wrote later"
    assert len(commits) == 3


def test_a_failing_write_is_rolled_back_alone_and_the_others_are_committed(
        engine: Engine) -> None:
    group = GroupCommit()
    held = HeldLeader(group, engine)
    held.queue({"a": insert("a"), "twice": insert("first"), "b": insert("b")})
    assert isinstance(held.results["twice"], IntegrityError)  # its own exception
    assert (held.results["a"], held.results["b"]) == ("wrote a", "wrote b")
    assert labels(engine) == ["a", "b", "first"]


def test_a_failing_commit_fails_every_write_of_its_batch_and_keeps_none(engine: Engine) -> None:
    group = GroupCommit()
    held = HeldLeader(group, engine)
    # The deferred foreign key is checked only at COMMIT: the batch's COMMIT fails.
    held.queue({"a": insert("a"), "orphan": insert("orphan", parent_id=99), "b": insert("b")})
    assert held.results["first"] == "wrote first"
    for label in ("a", "orphan", "b"):
        assert isinstance(held.results[label], IntegrityError), held.results[label]
    assert labels(engine) == ["first"]
    with engine.connect() as connection:  # the lock was let go: the next write goes through
        assert group.run(connection, insert("after")) == "wrote after"
    assert labels(engine) == ["after", "first"]


def test_people_who_write_at_once_each_get_their_own_answer_recorded_once(
        chat: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Six people ask at the same moment; the first one's write is held until the others
    are ready to write too (on SQLite: queued for one shared transaction)."""
    # Out of the way first: the welcome, and the offer of subscriptions after a first answer.
    for i in range(len(QUESTIONS)):
        for user in (f"alone{i}", f"together{i}"):
            post_now(chat, user, "你好")
            post_now(chat, user, "三年行动目标新增多少人就业")
    alone = {question: post_now(chat, f"alone{i}", question)
             for i, question in enumerate(QUESTIONS)}
    assert all(alone.values())
    group = chat.services.pipeline._group_commit  # noqa: SLF001 (None on PostgreSQL)
    commits = counting_commits(chat.services.engine)
    release, written = threading.Event(), threading.Event()
    record_inbound = state.record_inbound

    def held_for_the_first(connection: Connection, **values: Any) -> int:
        if values["user_id"] == "together0" and not written.is_set():
            written.set()
            assert release.wait(20)
        return record_inbound(connection, **values)

    monkeypatch.setattr(state, "record_inbound", held_for_the_first)
    replies: dict[str, str] = {}

    def ask(i: int) -> None:
        replies[f"together{i}"] = post_now(chat, f"together{i}", QUESTIONS[i])

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert written.wait(20)
    others = [threading.Thread(target=ask, args=(i,)) for i in range(1, len(QUESTIONS))]
    for thread in others:
        thread.start()
    if group is not None:  # SQLite: the five wait behind the held write, then go together
        wait_until(lambda: len(group._queue) == len(others))  # noqa: SLF001
    else:  # PostgreSQL: each writes in its own transaction meanwhile
        for thread in others:
            thread.join(30)
    release.set()
    for thread in [first, *others]:
        thread.join(30)
        assert not thread.is_alive()
    if group is not None:  # the held write alone, then the five together
        assert len(commits) == 2
    assert replies == {f"together{i}": alone[question] for i, question in enumerate(QUESTIONS)}
    for i in range(len(QUESTIONS)):
        assert len(handlers_of(chat.services, f"together{i}")) == 3
