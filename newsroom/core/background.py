"""Work a request starts and no reader should wait for: mail, after commit.

A reader's post, a first comment's address link and a moderator's approval
send mail. Sent inside the request, every such post waited for the relay:
its greeting, TLS, each answer (a relay that answers in two seconds cost
every held comment two seconds; one that hung cost a whole
``EMAIL_TIMEOUT`` before ``RELAY_PAUSE`` stopped the rest).

:func:`after_commit` runs a job once the transaction commits, on one thread
of this process's own, in the order given. The request answers at once.
What a job does when its mail does not go is the job's own business, as
before (comment mail is owed and sent again: ``newsroom.comments``). A job
lost with its process (killed before the thread reached it) is the
caller's to find again: the comment mail a job sends is marked owed in the
write that queues it and found by a later batch or the cron job after a
grace (``newsroom.comments.owed``). The queue holds at most
:data:`QUEUE_MAX` jobs: past that, a job runs in the request that starts it
(a flood slows its own posts down rather than growing without bound). On
exit the thread gets :data:`DRAIN_SECONDS` to finish what is queued
(multiprocessing's finalizers: they run at a normal exit, through atexit,
and as a worker multiprocessing started ends, granian's, where atexit
does not run).

``NEWSROOM_MAIL_IN_BACKGROUND`` (on; the test settings turn it off, so a
test sees mail as soon as the transaction commits) runs jobs in the
request instead.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing import util as multiprocessing_util

from django.conf import settings
from django.db import connections, transaction
from django.urls import get_script_prefix, set_script_prefix

log = logging.getLogger(__name__)

QUEUE_MAX = 500
DRAIN_SECONDS = 10.0

_lock = threading.Lock()
_state: dict = {"pid": None, "jobs": None, "thread": None}


def enabled() -> bool:
    return bool(getattr(settings, "NEWSROOM_MAIL_IN_BACKGROUND", True))


def after_commit(job: Callable, *args) -> None:
    """``job(*args)`` once the current transaction commits (at once outside
    one), on the background thread; with the script prefix of this request,
    so the links a job builds are the site's."""
    prefix = get_script_prefix()
    transaction.on_commit(lambda: submit(job, *args, prefix=prefix))


def submit(job: Callable, *args, prefix: str = "/") -> None:
    """Queue ``job(*args)`` for the background thread; run it here when
    background work is off or the queue is full."""
    if not enabled():
        job(*args)
        return
    try:
        _queue().put_nowait((job, args, prefix))
    except queue.Full:
        log.warning("background queue full (%d jobs): this one runs here", QUEUE_MAX)
        try:  # as on the thread: the request that started it was answered
            job(*args)
        except Exception:
            log.exception("background job %s failed", getattr(job, "__name__", job))


def drain(seconds: float = DRAIN_SECONDS) -> bool:
    """Wait until every queued job has run (at most ``seconds``); whether
    they all did."""
    with _lock:
        jobs = _state["jobs"] if _state["pid"] == os.getpid() else None
    if jobs is None:
        return True
    done = threading.Event()

    def mark() -> None:
        done.set()

    deadline = time.monotonic() + seconds  # one bound for both waits
    try:
        jobs.put((mark, (), "/"), timeout=seconds)
    except queue.Full:
        return False
    return done.wait(max(0.0, deadline - time.monotonic()))


def _queue() -> queue.Queue:
    """This process's queue, its thread started on first use (a forked
    worker starts its own: the parent's thread is not in the child)."""
    with _lock:
        if _state["pid"] != os.getpid():
            _state.update(pid=os.getpid(), jobs=queue.Queue(maxsize=QUEUE_MAX))
            _state["thread"] = None
            # Drained at exit: a worker multiprocessing started (granian's,
            # forked) ends with os._exit, where atexit does not run and its
            # finalizers do (at a normal exit too, once: not both).
            multiprocessing_util.Finalize(None, drain, exitpriority=10)
        thread = _state["thread"]
        if thread is None or not thread.is_alive():  # first use, or it died
            thread = threading.Thread(
                target=_run,
                args=(_state["jobs"],),
                name="newsroom-background",
                daemon=True,
            )
            thread.start()
            _state["thread"] = thread
        return _state["jobs"]


def _run(jobs: queue.Queue) -> None:
    while True:
        job, args, prefix = jobs.get()
        set_script_prefix(prefix)
        try:
            # As at a request's start: a connection the server dropped (or
            # too old) is replaced, one in use checked before the job's work.
            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            job(*args)
        except BaseException:  # one job's failure must not end the thread
            log.exception("background job %s failed", getattr(job, "__name__", job))
        finally:
            jobs.task_done()
            if jobs.empty():  # idle: hold no database connection meanwhile
                connections.close_all()
