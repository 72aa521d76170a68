"""The knowledge base a running bot uses, reloaded when staff change an entry.

Every worker process holds its own `KnowledgeBase`; a change made in the console (in any
worker) bumps a version in the database. Before answering, a worker compares that version
with the one it loaded (at most once per `interval` seconds: one indexed read) and reloads
the entries from the folder when it moved, so nobody restarts anything.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from knowledge.base import HERE, KnowledgeBase

log = logging.getLogger(__name__)


class LiveKnowledge:
    """A `KnowledgeBase` stand-in: the same attributes, always the current entries."""

    def __init__(self, kb: KnowledgeBase | None, version: Callable[[], int], *,
                 folder: Path | None = None, interval: float = 1.0) -> None:
        self.folder = folder or HERE / "entries"
        self._kb = kb or KnowledgeBase.load(self.folder)
        self._version_of = version
        self._loaded: int | None = None  # unknown until the database answers
        try:
            self._loaded = version()
        except Exception:  # not migrated or not reachable yet: learnt at the first check
            pass
        self._checked = float("-inf")
        self.interval = interval
        self._lock = threading.Lock()

    @property
    def current(self) -> KnowledgeBase:
        """The knowledge base, reloaded first if another worker changed it."""
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            try:
                version = self._version_of()
            except Exception:  # the database is down: answer from what is loaded
                log.warning("knowledge version check failed; keeping the loaded entries")
                return self._kb
            if self._loaded is None:
                self._loaded = version
            elif version != self._loaded:
                self.reload(version)
        return self._kb

    def reload(self, version: int | None = None) -> None:
        """Load the entries again (now, in this worker); `version` is what they reflect."""
        with self._lock:
            gc.unfreeze()  # a worker froze start-up's objects (bot/gunicorn_conf.py): the old
            # base must be collectable once replaced
            fresh = KnowledgeBase.load(self.folder)
            self._kb, self._checked = fresh, time.monotonic()
            self._loaded = self._version_of() if version is None else version
        log.info("knowledge reloaded entries=%d version=%s", len(fresh.entries), self._loaded)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)
