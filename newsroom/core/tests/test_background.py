"""The background thread of newsroom.core.background: work after commit."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import get_script_prefix, set_script_prefix

from newsroom.core import background


@pytest.fixture(autouse=True)
def _on(settings):
    settings.NEWSROOM_MAIL_IN_BACKGROUND = True
    yield
    assert background.drain(30)


def _where(seen: list):
    def job(*args):
        seen.append((threading.current_thread().name, args))

    return job


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_after_the_commit_on_the_thread_and_in_order():
    """Nothing runs before the commit (a rollback runs nothing); then the
    jobs run on the background thread, not the request's, in order."""
    seen: list = []
    with transaction.atomic():
        background.after_commit(_where(seen), 1)
        background.after_commit(_where(seen), 2)
        assert background.drain(5) and seen == []
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        background.after_commit(_where(seen), "rolled back")
        1 / 0  # noqa: B018
    assert background.drain(10)
    assert seen == [("newsroom-background", (1,)), ("newsroom-background", (2,))]


@pytest.mark.django_db(transaction=True)
def test_a_job_builds_links_under_the_requests_script_prefix():
    """A site served under a path (FORCE_SCRIPT_NAME, a proxy's prefix) gets
    its links in mail built under it: the request's prefix is a thread's
    own, and the background thread's would be "/"."""
    seen: list = []
    set_script_prefix("/news/")
    try:
        background.after_commit(lambda: seen.append(get_script_prefix()))
    finally:
        set_script_prefix("/")
    assert background.drain(10)
    assert seen == ["/news/"]


def test_a_failing_job_leaves_the_thread_working(caplog):
    """A job that raises is logged, and the jobs after it still run."""
    seen: list = []

    def broken():
        raise RuntimeError("the relay said something odd")

    background.submit(broken)
    background.submit(_where(seen), "after")
    assert background.drain(10)
    assert seen == [("newsroom-background", ("after",))]
    assert "background job broken failed" in caplog.text


def test_a_job_that_exits_leaves_the_thread_working():
    """A job that raises SystemExit (a library calling sys.exit) does not
    end the thread: the jobs after it run. It ended the thread, and every
    later job of the process waited in the queue for good."""
    seen: list = []
    background.submit(sys.exit, 3)
    background.submit(_where(seen), "after")
    assert background.drain(10)
    assert seen == [("newsroom-background", ("after",))]


def test_a_full_queue_runs_the_next_job_where_it_is_started():
    """Past QUEUE_MAX waiting jobs (the thread held up, say by a slow
    relay) a job runs in the request that starts it: the queue never grows
    past its bound, and no job is dropped."""
    started, release = threading.Event(), threading.Event()
    background.submit(lambda: (started.set(), release.wait(30)))
    assert started.wait(10)
    seen: list = []
    try:
        for n in range(background.QUEUE_MAX):
            background.submit(_where(seen), n)
        background.submit(_where(seen), "past the bound")
        assert seen == [(threading.current_thread().name, ("past the bound",))]
        background.submit(int, "not a number")  # fails: logged, not raised
        background.submit(_where(seen), "and again")
    finally:
        release.set()
    assert background.drain(30)
    assert len(seen) == background.QUEUE_MAX + 2


def test_drain_waits_no_longer_than_it_is_told():
    """With the thread held up and the queue full, ``drain(1)`` (what a
    stopping worker runs) gives up after about a second, also when a place
    frees up on the way: it waited up to its time for a place in the queue
    and then its whole time again."""
    started, first, second = threading.Event(), threading.Event(), threading.Event()
    background.submit(lambda: (started.set(), first.wait(30)))
    assert started.wait(10)
    try:
        background.submit(second.wait, 30)  # the thread's next job holds it too
        for _ in range(background.QUEUE_MAX - 1):
            background.submit(lambda: None)
        threading.Timer(0.8, first.set).start()  # a place frees at 0.8 s
        began = time.monotonic()
        assert background.drain(1.0) is False
        took = time.monotonic() - began
    finally:
        first.set()
        second.set()
    assert took < 1.5, f"drain(1.0) took {took:.2f} s"


def test_off_runs_the_job_at_once_where_it_is_started(settings):
    settings.NEWSROOM_MAIL_IN_BACKGROUND = False
    seen: list = []
    background.submit(_where(seen), "here")
    assert seen == [(threading.current_thread().name, ("here",))]


def test_a_forked_worker_starts_a_thread_of_its_own():
    """A server forks its workers after the app is loaded: a child's jobs
    run on a thread of its own (the parent's thread is not in the child, and
    jobs put on the parent's queue there would never run)."""
    background.submit(lambda: None)  # the parent's thread is running
    assert background.drain(10)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, whatever happens
        code = 1
        try:
            seen: list = []
            background.submit(_where(seen), "child")
            ok = background.drain(10) and seen == [("newsroom-background", ("child",))]
            os.write(write, b"ran" if ok else repr(seen).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as said:
        answer = said.read()
    _, status = os.waitpid(pid, 0)
    assert answer == b"ran" and status == 0


def test_a_worker_that_multiprocessing_started_runs_its_queue_before_it_ends(tmp_path):
    """granian starts its workers as multiprocessing processes (fork on
    Linux), and those end with os._exit: atexit never runs in them. At a
    normal stop or a worker's restart (--workers-lifetime) the jobs still
    queued were lost, a held comment's mail to the moderators with them,
    and the comment was not owed either. The worker runs them as it ends."""
    ran = tmp_path / "ran"

    def worker() -> None:
        def slow() -> None:
            time.sleep(0.5)  # a relay taking its time
            ran.write_text("yes")

        background.submit(lambda: time.sleep(0.3))
        background.submit(slow)

    process = multiprocessing.get_context("fork").Process(target=worker)
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert ran.exists(), "the queued job was lost with the worker"


def test_a_process_that_exits_runs_its_queue_first(tmp_path):
    """A process that exits normally (a gunicorn worker, a management
    command) runs what is queued before it ends."""
    ran = tmp_path / "ran"
    script = (
        "import time, django; django.setup()\n"
        "from django.conf import settings\n"
        "settings.NEWSROOM_MAIL_IN_BACKGROUND = True\n"
        "from newsroom.core import background\n"
        "background.submit(time.sleep, 0.3)\n"
        f"background.submit(lambda: (time.sleep(0.5), open({str(ran)!r}, 'w')))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings.test"}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert ran.exists(), "the queued job was lost with the process"


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_between_jobs_is_replaced_before_the_next():
    """The database drops the thread's connection (a restart, a failover)
    while jobs wait: each job gets a working connection, as each request
    does (Django checks a request's at its start). The thread kept the
    dead one while jobs kept coming, and every job failed until the queue
    ran dry, the mail of each lost and not owed."""
    if connection.vendor != "postgresql":
        pytest.skip("a server that drops a connection: PostgreSQL")
    pids: list = []
    waiting, go = threading.Event(), threading.Event()
    seen: list = []

    def first() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
        waiting.set()
        go.wait(30)

    def second() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            seen.append(cursor.fetchone()[0])

    background.submit(first)
    assert waiting.wait(10)
    background.submit(second)  # waits behind the first: the connection stays
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
    go.set()
    assert background.drain(30)
    assert seen == [1], "the job after the lost connection failed"
