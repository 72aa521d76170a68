"""SQLite's single writer: writers queue on the OS lock and never meet "database is locked".

Two engines on one file stand for two gunicorn workers (each opens the lock file itself, so
their locks exclude each other as two processes' would). SQLite's busy timeout is set to 0
here: a writer let in before the previous COMMIT had finished would fail at once.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError

from db.session import make_engine, read_connection


def engine_without_busy_wait(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


def write_from_four_threads_each(workers: list[Engine], insert: str, commits: int
                                 ) -> list[Exception]:
    """4 threads per engine, each committing `insert` `commits` times, a read after each
    (reads never take the lock); the errors they met."""
    errors: list[Exception] = []

    def write(engine: Engine) -> None:
        try:
            for _ in range(commits):
                with engine.begin() as connection:
                    connection.execute(text(insert))
                with read_connection(engine) as connection:
                    connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
        except Exception as exc:  # noqa: BLE001 (collected and returned)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(engine,))
               for engine in workers for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def writes_in_time(engine: Engine, *statements: str, seconds: float = 10) -> bool:
    """Can another thread commit `statements` within `seconds` (no lock left behind)?"""
    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(seconds)


def test_writers_of_two_workers_take_turns_without_busy_errors(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    workers = [engine_without_busy_wait(path) for _ in range(2)]
    with workers[0].begin() as connection:
        connection.execute(text("CREATE TABLE counts (n INTEGER)"))
    assert write_from_four_threads_each(workers, "INSERT INTO counts VALUES (1)", 60) == []
    with read_connection(workers[1]) as connection:
        assert connection.execute(text("SELECT count(*) FROM counts")).scalar() == 8 * 60
    for engine in workers:
        engine.dispose()


def test_a_connection_given_up_mid_transaction_does_not_keep_the_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    broken = engine.connect()
    broken.begin()
    broken.execute(text("INSERT INTO t VALUES (1)"))
    broken.invalidate()  # as SQLAlchemy does after a disconnect-type error
    broken.close()
    assert writes_in_time(engine, "INSERT INTO t VALUES (2)"), "the next writer still waits"
    with read_connection(engine) as connection:
        assert connection.execute(text("SELECT n FROM t")).scalars().all() == [2]
    engine.dispose()


def test_the_wal_is_checkpointed_after_commits_outside_the_writer_lock(tmp_path: Path) -> None:
    """SQLite's own checkpoint (inside a COMMIT, under the lock) is off; ours keeps the WAL
    from growing: 400 commits of 8 KB each would leave a WAL of over 3 MB without it."""
    from db.session import CHECKPOINT_EVERY

    path = tmp_path / "bot.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        connection.execute(text("CREATE TABLE blobs (b BLOB)"))
    for _ in range(400):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO blobs VALUES (randomblob(8192))"))
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size < 3 * CHECKPOINT_EVERY * 8192
    with read_connection(engine) as connection:
        assert connection.execute(text("SELECT count(*) FROM blobs")).scalar() == 400
    engine.dispose()


def test_the_wal_starts_over_under_steady_load_from_two_workers(tmp_path: Path) -> None:
    """Writers of two workers never pause, so a checkpoint outside the lock never copies all
    of the WAL; the next COMMIT finishes it under the lock and the WAL starts from its
    beginning again. Without that it grew with every commit: 8 threads x 1.5 rounds of
    checkpoints of 8 KB commits (20 MB at 200 commits a round) left a WAL of all of it; now it
    stays at a few rounds of checkpoints."""
    from db.session import CHECKPOINT_EVERY

    path = tmp_path / "bot.db"
    workers = [make_engine(f"sqlite:///{path}") for _ in range(2)]
    with workers[0].begin() as connection:
        connection.execute(text("CREATE TABLE blobs (b BLOB)"))
    each = CHECKPOINT_EVERY * 3 // 2
    assert write_from_four_threads_each(
        workers, "INSERT INTO blobs VALUES (randomblob(8192))", each) == []
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size < 8 * each * 8192 / 2  # under half of what was written
    with read_connection(workers[1]) as connection:
        assert connection.execute(text("SELECT count(*) FROM blobs")).scalar() == 8 * each
    for engine in workers:
        engine.dispose()


def test_a_commit_that_fails_leaves_no_transaction_and_no_lock_behind(tmp_path: Path) -> None:
    """SQLite keeps a transaction open when its COMMIT fails (here a deferred foreign key;
    in production a full disk): the connection must not go back to the pool holding it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) "
                                "DEFERRABLE INITIALLY DEFERRED)"))
    connection = engine.connect()
    transaction = connection.begin()
    connection.execute(text("INSERT INTO child VALUES (99)"))
    with pytest.raises(IntegrityError):
        transaction.commit()  # as a Session's or group commit's COMMIT fails
    connection.close()  # SQLAlchemy counts the transaction as ended: no ROLLBACK of its own
    assert writes_in_time(engine, "INSERT INTO parent VALUES (1)",  # maybe on the same
                          "INSERT INTO child VALUES (1)"), "the next writer could not write"
    with read_connection(engine) as connection:
        assert connection.execute(text("SELECT parent_id FROM child")).scalars().all() == [1]
    engine.dispose()
