"""gunicorn settings for `python -m bot serve`: our log lines in the master and every worker,
and each worker kept to a CPU of its own.

gunicorn applies `logconfig_dict` in the master before it forks, so every worker logs through
the same handler: one line per event, Asia/Shanghai time, level, secrets redacted.

A worker runs Python, so it uses at most about one CPU at a time (the GIL), but its threads
(gunicorn's request threads, the pipeline's) hand every message to each other. Left to the
kernel, they wander across CPUs: each hand-over wakes a thread on the other CPU, and the
worker's code and data (SQLAlchemy, the knowledge base) are fetched into that CPU's caches
again. Kept to one CPU, a worker's threads wake each other where they are and find their
caches warm: under load the bot answered about 35-40% more messages per second with the same
CPU (make bench, alternating rounds). So with `[bot] pin_workers` (the default) and at least
as many CPUs as workers, each worker gets a CPU no other worker has; a worker that replaces one
that died gets the CPU it leaves. With more workers than CPUs nothing is pinned.
"""

from __future__ import annotations

import gc
import logging.config
import os
from typing import Any

from bot.logs import logging_dict, redact_records
from bot.settings import ConfigError, load_settings

try:
    _settings = load_settings()
    _level, _demo, _pin = _settings.bot.log_level, _settings.bot.demo, _settings.bot.pin_workers
except ConfigError:  # the app itself then refuses to start, in its own words
    _level, _demo, _pin = "INFO", False, False
logconfig_dict = logging_dict(_level)
if _demo:  # the demo page polls every second: no line per request on the demo's terminal
    logconfig_dict["loggers"]["gunicorn.access"]["level"] = "WARNING"


def pre_fork(server: Any, worker: Any) -> None:
    """In the master, before a worker is forked: the CPU it will keep to (None: any)."""
    worker.cpu = None
    if _pin and hasattr(os, "sched_setaffinity"):  # Linux; elsewhere the kernel places them
        worker.cpu = free_cpu(sorted(os.sched_getaffinity(0)), server.num_workers,
                              [getattr(w, "cpu", None) for w in server.WORKERS.values()])


def free_cpu(cpus: list[int], workers: int, taken: list[int | None]) -> int | None:
    """The first of `cpus` no live worker keeps to; None when there are fewer CPUs than
    workers (then the kernel places them all)."""
    if len(cpus) < workers:
        return None
    return next((cpu for cpu in cpus if cpu not in taken), None)


def post_fork(server: Any, worker: Any) -> None:
    """Each worker: the same configuration again (a library may have changed it at import),
    its records redacted as they are made, and its CPU (before any of its threads start, so
    they all keep to it)."""
    logging.config.dictConfig(logconfig_dict)
    redact_records()
    if getattr(worker, "cpu", None) is not None:
        try:
            os.sched_setaffinity(0, {worker.cpu})
        except OSError as exc:  # the CPU went away meanwhile: the worker runs unpinned
            logging.getLogger(__name__).warning("worker not kept to CPU %s: %s", worker.cpu, exc)


def post_worker_init(worker: Any) -> None:
    """Each worker, once the app is built: what start-up made (the knowledge base with jieba's
    dictionary: most of the heap) is frozen out of the garbage collector's reach, so its full
    collections no longer walk it (~100 ms each, about once per 2,000 messages under load).
    A knowledge reload unfreezes it again (knowledge/live.py), so the old base can go."""
    gc.collect()
    gc.freeze()


# The time and level come from our formatter; gunicorn's own format would repeat the time.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
