"""Engines and sessions: one engine per process, sessions opened by the caller.

SQLite runs in WAL mode with a busy timeout so several workers share the file without
"database is locked"; every backend goes through the same SQLAlchemy URL.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.prepared import Prepared

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_EVERY = 200  # commits of one process between two WAL checkpoints (see WriterLock)
WAL_SIZE_LIMIT = 16 * 1024 * 1024  # bytes the WAL file keeps once checkpointed
READ_ONLY = "bot_read_only"  # execution option of `read_connection`
_BEGIN_IMMEDIATE = Prepared(text("BEGIN IMMEDIATE"))


def make_engine(url: str) -> Engine:
    """Create the engine for `url`; SQLite gets WAL, a busy timeout and its folder made.

    `hide_parameters`: an error logged with its traceback never shows the bound values
    (message text, encrypted fields), only the SQL.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                             "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        if parsed.database and parsed.database != ":memory:":
            writers = WriterLock(Path(parsed.database).with_suffix(".lock"))
            event.listen(engine, "begin", writers.acquire)
            writers.release_after(engine.dialect)
            event.listen(engine, "rollback", writers.release_if_invalidated)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=10,
                         max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling defers it and breaks locking).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite's automatic checkpoint runs inside the COMMIT that fills the WAL, so it would run
    # (and fsync) while the writer lock is held; `WriterLock` checkpoints after releasing it.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    # A WAL that grew in a burst (a long reader held a checkpoint back) shrinks to this size
    # when it starts from its beginning again, instead of keeping its largest size on disk.
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
    # Take the write lock at BEGIN: a transaction never has to upgrade a read lock, which is
    # what makes SQLite answer "database is locked" under concurrent writers. A read-only
    # connection begins nothing: each statement reads its own snapshot (WAL) and blocks nobody.
    if not connection.get_execution_options().get(READ_ONLY):
        _BEGIN_IMMEDIATE.execute(connection, {}).close()  # on the DBAPI cursor: every write


def read_options(engine: Engine) -> dict[str, object]:
    """Execution options of a read-only connection: autocommit, so each statement is its own
    snapshot and no BEGIN or ROLLBACK travels to the server. On SQLite the connections are
    already in autocommit (BEGIN is ours to emit) and the flag keeps the write lock away."""
    if engine.dialect.name == "sqlite":
        return {READ_ONLY: True}
    return {READ_ONLY: True, "isolation_level": "AUTOCOMMIT"}


def read_connection(engine: Engine) -> Connection:
    """A connection for reads that neither wait for nor block writers.

    Use it as a context manager and only for reads: each statement is its own snapshot, so
    read what belongs together in one statement.
    """
    return engine.connect().execution_options(**read_options(engine))


class WriterLock:
    """One SQLite transaction at a time across threads and processes, queued by the OS.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so under load a waiting
    writer often sleeps long after the lock is free. A blocking flock on a file beside the
    database wakes the next writer at once; the busy timeout stays as a last guard.

    Every `CHECKPOINT_EVERY` commits of the process, the committing thread copies the WAL
    back into the database (a PASSIVE checkpoint: it waits for nobody and nobody waits for
    it) after letting the lock go, instead of SQLite doing it inside the COMMIT.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._file = None
        self._owner: Any = None  # the DBAPI connection whose transaction holds the lock
        self._owner_connection: Connection | None = None  # and its SQLAlchemy connection
        self._commits = 0
        self._catch_up = False  # the next COMMIT finishes the last checkpoint under the lock

    def acquire(self, connection: Connection) -> None:
        """Before BEGIN: wait for the other threads, then for the other processes."""
        if connection.get_execution_options().get(READ_ONLY):
            return
        self._threads.acquire()
        if self._file is None:
            self._file = open(self.path, "a+b")  # noqa: SIM115 (held for the process's life)
        fcntl.flock(self._file, fcntl.LOCK_EX)
        self._owner, self._owner_connection = _raw(connection.connection), connection

    def release_after(self, dialect: Any) -> None:
        """Release once the COMMIT or ROLLBACK has finished.

        SQLAlchemy's `commit` and `rollback` events come before the statement, while SQLite
        still holds its lock: a writer let in then would meet SQLITE_BUSY and sleep in
        SQLite's busy handler. So the dialect's own commit and rollback release the lock.
        """
        for name in ("do_commit", "do_rollback"):
            finish = getattr(dialect, name)

            def finished(dbapi_connection: Any, _finish: Any = finish,
                         _commit: bool = name == "do_commit") -> None:
                raw = _raw(dbapi_connection)
                try:
                    if _commit:
                        self._commit_under_lock(_finish, dbapi_connection)
                    else:
                        _finish(dbapi_connection)
                finally:
                    self._release(raw)
                if _commit:
                    self._checkpoint_if_due(raw)

            setattr(dialect, name, finished)

    def release_if_invalidated(self, connection: Connection) -> None:
        """A connection SQLAlchemy gave up on is closed without a ROLLBACK: release here."""
        if connection.invalidated and connection is self._owner_connection:
            self._release(self._owner)

    def _commit_under_lock(self, commit: Any, dbapi_connection: Any) -> None:
        """COMMIT; a failed one is rolled back (`_end_failed_commit`), and a checkpoint begun
        after the last commit is finished (`_checkpoint_if_due`), both before the lock goes."""
        try:
            commit(dbapi_connection)
        except Exception:
            _end_failed_commit(dbapi_connection)
            raise
        if self._catch_up:
            self._catch_up = False
            _passive_checkpoint(_raw(dbapi_connection))

    def _checkpoint_if_due(self, dbapi_connection: Any) -> None:
        """After every `CHECKPOINT_EVERY`-th commit, unlocked: copy the WAL into the database.

        Other writers go on meanwhile, so this checkpoint never copies quite all of the WAL,
        and SQLite starts the WAL from its beginning again only once a checkpoint has. So the
        next COMMIT, still holding the lock, checkpoints what was written since: a few pages.
        Without that the WAL grew without end under steady load (512 MB after 12,000
        messages), and each new page of it cost the kernel a zeroed block.
        """
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY:
            return
        _passive_checkpoint(dbapi_connection)
        self._catch_up = True

    def _release(self, dbapi_connection: Any) -> None:
        if self._owner is None or self._owner is not dbapi_connection:
            return
        self._owner, self._owner_connection = None, None
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


def _end_failed_commit(dbapi_connection: Any) -> None:
    """SQLite keeps the transaction open when its COMMIT fails (a deferred constraint, a full
    disk), while SQLAlchemy counts it as ended and would pool the connection as it is: still
    holding SQLite's write lock, so every later writer would wait for it and fail. It is
    rolled back here, before our lock is let go."""
    try:
        dbapi_connection.rollback()
    except Exception:  # the connection is broken: SQLAlchemy discards it
        log.warning("rollback after a failed COMMIT failed", exc_info=True)


def _passive_checkpoint(dbapi_connection: Any) -> None:
    """A PASSIVE checkpoint: it waits for nobody and nobody waits for it."""
    try:
        dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
    except Exception:  # the commit stands; the next checkpoint copies these pages too
        log.warning("WAL checkpoint failed", exc_info=True)


def _raw(connection: Any) -> Any:
    """The sqlite3 connection behind a pool's proxy (or the connection itself)."""
    return getattr(connection, "dbapi_connection", connection)


def read_session(sessions: sessionmaker[Session]) -> Session:
    """A session for reads only: on SQLite it never takes the write lock (see
    `read_connection`). Use it as a context manager; it never commits."""
    session = sessions()
    session.connection(execution_options=read_options(session.get_bind()))
    return session


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory; callers use `with sessions.begin() as session:`."""
    return sessionmaker(engine, expire_on_commit=False)
