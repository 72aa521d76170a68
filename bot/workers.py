"""The pipeline's threads: a small pool that hands a piece of work straight to an idle thread.

`Workers` takes the place of a ThreadPoolExecutor on every message's path: that makes a
Future, a queue entry and a semaphore round per piece and wakes whichever thread has waited
longest; here the thread that finished last is handed the work and woken through its own
lock (about 0.05 ms less CPU per message, with the lock `PassiveSlot` waits on).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from typing import Any, Callable

log = logging.getLogger(__name__)


class Workers:
    """Up to `count` threads, started when work comes (so after gunicorn has forked) and
    ended after IDLE_SECONDS without any; work beyond them waits in a backlog. Work accepted
    before the interpreter exits is finished first, as ThreadPoolExecutor does (`drain`)."""

    IDLE_SECONDS = 60.0

    def __init__(self, count: int, name: str) -> None:
        self._count, self._name = count, name
        self._lock = threading.Lock()
        self._idle: list[_Thread] = []
        self._backlog: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._started = 0
        _WORKERS.add(self)

    def drain(self) -> None:
        """Wait until every piece of work handed over has been done."""
        while True:
            with self._lock:
                if not self._backlog and len(self._idle) == self._started:
                    return
            time.sleep(0.01)

    def submit(self, work: Callable[..., Any], *args: Any) -> None:
        """Run `work(*args)` on an idle thread, a new one, or the first to be free."""
        with self._lock:
            if self._idle:
                thread = self._idle.pop()
                thread.job = (work, args)
                thread.wake.release()
                return
            if self._started == self._count:
                self._backlog.append((work, args))
                return
            self._started += 1
            name = f"{self._name}_{self._started - 1}"
        threading.Thread(target=self._serve, args=((work, args),), name=name,
                         daemon=True).start()

    def _serve(self, job: tuple[Callable[..., Any], tuple[Any, ...]] | None) -> None:
        me = _Thread()
        while job is not None:
            work, args = job
            try:
                work(*args)
            except BaseException:  # the work reports its own failures; this is a last resort
                log.exception("pipeline work failed")
            job = work = args = None  # nothing of it kept while idle
            with self._lock:
                if self._backlog:
                    job = self._backlog.popleft()
                    continue
                self._idle.append(me)
            if not me.wake.acquire(timeout=self.IDLE_SECONDS):
                with self._lock:
                    if me in self._idle:  # no work came: the thread ends
                        self._idle.remove(me)
                        self._started -= 1
                        return
                me.wake.acquire()  # work was handed over just as the wait ended
            job, me.job = me.job, None


class _Thread:
    """An idle worker thread as `Workers.submit` sees it: where to put the work, how to wake it."""

    __slots__ = ("job", "wake")

    def __init__(self) -> None:
        self.job: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
        self.wake = threading.Lock()
        self.wake.acquire()  # released by `submit` with the work in `job`


_WORKERS: weakref.WeakSet[Workers] = weakref.WeakSet()


@atexit.register
def _drain_at_exit() -> None:
    """At exit, finish the work accepted (the threads are daemons, which the interpreter
    would otherwise stop wherever they are)."""
    for workers in list(_WORKERS):
        workers.drain()
