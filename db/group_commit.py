"""Group commit on SQLite: the writes that are ready at the same moment share one transaction.

SQLite has one writer at a time (db/session.py's `WriterLock`). Under load, taking and handing
over that lock costs more than the few statements a message writes: the holder shares the
GIL with the process's other threads, so each statement it runs may wait for them, and the
lock then goes to the other process. So a thread with a write to do queues it. If no thread
of this process is writing, it leads: it takes every queued write, runs them one after another
in one transaction on its own connection (BEGIN, the writes, COMMIT) and gives each write its
own result. Threads that queued meanwhile wait; when the leader is done, the first of them
leads the writes queued since. Nothing waits to fill a batch: a write that finds no other
goes at once, alone, as a plain transaction would.

Each write commits alone or not at all, as if it had had its own transaction. If one raises,
the transaction is rolled back: that write gets its exception (an `IntegrityError` for a
delivery recorded before, `StaleState`, ...) and the others run again, in a new transaction.
If BEGIN or COMMIT fails, every write not yet committed gets that error. So a write may run
more than once before it commits: it must do nothing but its statements and decisions it can
take again (the pipeline's passive-reply claim, for one, gives the same answer or a later
"no").

PostgreSQL needs none of this (row locks, many writers): callers run their writes directly.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")


class NotWritten(Exception):
    """The write's batch ended before it was committed (the leader was interrupted)."""


class _Write(Generic[T]):
    """One queued write: its function, then its result or its exception."""

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.asleep = threading.Lock()  # held until the write is done or its thread leads
        self.asleep.acquire()
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = NotWritten()

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value


class GroupCommit:
    """Run writes in shared transactions (see the module doc); one per process and database."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queue: list[_Write[Any]] = []
        self._leading = False

    def run(self, connection: Connection, work: Callable[[Connection], T]) -> T:
        """Run `work(c)` in a transaction that is committed before this returns; its result,
        or its exception. `connection` (no transaction open on it) is used if this thread
        leads; a follower's write runs on the leader's connection."""
        write = _Write(work)
        with self._mutex:
            self._queue.append(write)
            follow, self._leading = self._leading, True
        if follow:
            write.asleep.acquire()  # woken by the leader
            if write.done:
                return write.result()
        self._lead(connection)  # the batch it takes holds this thread's own write
        return write.result()

    def _lead(self, connection: Connection) -> None:
        with self._mutex:
            batch, self._queue = self._queue, []
        try:
            _commit(connection, batch)
        finally:
            with self._mutex:  # the next leader is chosen before anyone is woken
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            for write in batch:
                write.done = True
                write.asleep.release()
            if successor is not None:
                successor.asleep.release()  # not done: it leads the writes queued meanwhile


def _commit(connection: Connection, batch: list[_Write[Any]]) -> None:
    """Commit `batch` in as few transactions as its failing writes allow."""
    pending = list(batch)
    try:
        while pending:
            failed = _attempt(connection, pending)
            if failed is None:
                return
            pending.remove(failed)
    except Exception as exc:  # BEGIN or COMMIT failed: none of `pending` is recorded
        for write in pending:
            write.value, write.error = None, exc


def _attempt(connection: Connection, pending: list[_Write[Any]]) -> _Write[Any] | None:
    """One transaction for `pending`: None once all are committed, or the write that raised
    (its exception kept, the transaction rolled back). A failing BEGIN or COMMIT raises."""
    with connection.begin() as transaction:
        for write in pending:
            try:
                write.value = write.work(connection)
            except Exception as exc:
                transaction.rollback()
                write.value, write.error = None, exc
                return write
    for write in pending:
        write.error = None
    return None
