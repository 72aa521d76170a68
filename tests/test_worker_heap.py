"""A gunicorn worker freezes its start-up heap out of the garbage collector's walks; a
knowledge reload thaws it, so the replaced knowledge base can be freed."""

from __future__ import annotations

import gc

from bot import gunicorn_conf
from knowledge.live import LiveKnowledge


def test_a_worker_freezes_what_start_up_made_and_a_reload_thaws_it() -> None:
    try:
        gunicorn_conf.post_worker_init(None)
        assert gc.get_freeze_count() > 1000  # this test process's modules, at least
        live = LiveKnowledge(None, version=lambda: 1)
        old = live.current
        live.reload(2)
        assert gc.get_freeze_count() == 0
        assert live.current is not old and live.current.entries
    finally:
        gc.unfreeze()
