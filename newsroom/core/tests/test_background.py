"""The background thread of newsroom.core.background: work after commit."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from django.db import transaction
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
    finally:
        release.set()
    assert background.drain(30)
    assert len(seen) == background.QUEUE_MAX + 1


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
