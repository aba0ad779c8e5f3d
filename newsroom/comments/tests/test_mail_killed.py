"""The mail a worker killed with SIGKILL had queued still goes, once.

Each server process sends the mail its requests cause from a thread of its
own (``newsroom.core.background``). A worker killed hard (an OOM kill, a
crash, a deploy that kills) lost whatever was still queued in it: the
moderators never heard of the held comments, the parent never of the
reply. Here a real server process (``manage.py runserver`` on this test's
database) takes the posts over HTTP while its mail thread is stuck on a
relay that never answers, and is killed with SIGKILL; the cron job
(``manage.py send_owed_mail``) then sends what it had queued, once, and
nothing while a live process may still be about to send it."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import RequestFactory

from newsroom.articles.tests import factories as f
from newsroom.comments import moderation
from newsroom.comments.confirmation import answer_for
from newsroom.comments.models import Comment, ReplyConsent
from newsroom.comments.tests.test_mail_relay import Relay, SilentRelay
from newsroom.ingest.tests.test_resume import child_env
from newsroom.net import client_network

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]  # manage.py
DESK = "desk@example.org"
PARENT = "parent@example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``manage.py runserver`` on this test's database, its mail sent from
    its background thread to ``relay_port`` (a relay that never answers:
    the thread stays in the first mail, the later ones wait behind it)."""

    def __init__(self, tmp_path: Path, relay_port: int) -> None:
        env = child_env(
            tmp_path,
            "NEWSROOM_MAIL_IN_BACKGROUND = True\n"
            "EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\n"
            f"EMAIL_HOST, EMAIL_PORT = '127.0.0.1', {relay_port}\n"
            "EMAIL_USE_TLS = False\n"
            "EMAIL_TIMEOUT = 300\n"
            "NEWSROOM_COMMENTS_MODERATION = 'all'\n"
            f"NEWSROOM_COMMENTS_MODERATORS = [{DESK!r}]\n"
            "NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0\n",
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp_path / "server.log").open("w+")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--nothreading",
                "--skip-checks",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.output()
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, self.output()
                time.sleep(0.1)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-3000:]

    def post(self, article, body: str, **fields) -> int:
        """What a reader's browser does: read the page's form, answer its
        code, post it (a browser of its own: cookies and all)."""
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect
        )
        with browser.open(self.url + article.get_absolute_url(), timeout=30) as page:
            html = page.read().decode()

        def hidden(name: str) -> str:
            found = re.search(rf'name="{name}" value="([^"]*)"', html)
            assert found, f"no {name} in the page"
            return found.group(1).replace("&amp;", "&")

        network = client_network(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1"))
        token = hidden("token")
        data = {
            "csrfmiddlewaretoken": hidden("csrfmiddlewaretoken"),
            "name": "Ada Reader",
            "email": "",
            "body": body,
            "parent": "",
            "stamp": hidden("stamp"),
            "token": token,
            "code": answer_for(token, article.pk, network).lower(),
            "homepage": "",
            **fields,
        }
        request = urllib.request.Request(
            f"{self.url}/comments/post/{article.pk}/",
            data=urllib.parse.urlencode(data).encode(),
        )
        try:
            with browser.open(request, timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)  # the one process this test started
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL
        self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 303 itself is the answer


def _grace(settings, seconds: int) -> None:
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "OWED_GRACE": seconds,
    }


@pytest.fixture
def killed(tmp_path, settings):
    """A server killed with SIGKILL while its mail thread waited on a
    relay that never answered: three held comments ("Held n.") and an
    approved reply to a parent who asked for reply emails, none mailed.
    Yields the working relay the site's mail goes to afterwards."""
    settings.NEWSROOM_COMMENTS_MODERATORS = [DESK]
    silent = SilentRelay()
    held = f.article()
    open_ = f.article(comment_moderation="none")
    parent = Comment.objects.create(
        article=open_,
        name="Parent",
        body="The parent's words.",
        email=PARENT,
        notify_replies=True,
        replies_vouched=True,
        status=Comment.Status.APPROVED,
    )
    ReplyConsent.objects.create(email=PARENT)
    server = Server(tmp_path, silent.port)
    try:
        assert server.post(held, "Held 0.") == 303, server.output()
        deadline = time.monotonic() + 30
        while not silent.connections:  # the thread is in the first mail
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.05)
        assert server.post(held, "Held 1.") == 303, server.output()
        assert server.post(open_, "Reply 0.", parent=str(parent.pk)) == 303
        assert server.post(held, "Held 2.") == 303, server.output()
    finally:
        server.kill()
        silent.close()
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 3
    assert Comment.objects.get(body="Reply 0.").status == Comment.Status.APPROVED
    relay = Relay()
    relay.refuse = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", relay.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    yield relay
    relay.close()


def _cron() -> str:
    out = StringIO()
    call_command("send_owed_mail", stdout=out)
    return out.getvalue()


def test_a_reply_a_killed_worker_had_queued_is_mailed_once_after_the_grace(
    killed, settings
):
    """Inside the grace period the cron job leaves the reply alone (a live
    worker is about to send it); after it, the parent gets the reply's
    email, once; the next run sends nothing more. The old code sent
    nothing, ever: only replies whose mail was tried were owed."""
    _grace(settings, 300)
    assert "sent 0 owed reply notification(s)" in _cron()
    assert PARENT not in killed.delivered
    _grace(settings, 1)
    time.sleep(1.5)
    _cron()
    assert killed.delivered.count(PARENT) == 1
    (reply,) = [m for m in killed.messages if "Reply 0." in m]
    assert "replied to your comment" in reply
    assert "sent 0 owed reply notification(s)" in _cron()
    assert killed.delivered.count(PARENT) == 1


def test_two_cron_runs_at_once_send_the_lost_mail_once(killed, settings):
    """Two nodes' cron jobs (or a late one and the next) run together: the
    parent gets one email, and the moderators one notice, not two."""
    _grace(settings, 1)
    time.sleep(1.5)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(10)
            _cron()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for t in runs:
        t.start()
    for t in runs:
        t.join(60)
    assert errors == []
    assert killed.delivered.count(PARENT) == 1
    assert killed.delivered.count(DESK) == 1


def test_a_lost_reply_removed_meanwhile_is_not_mailed(killed, settings):
    """A moderator removed the reply before the cron job ran: the parent
    hears of nothing, and it is owed no more."""
    reply = Comment.objects.get(body="Reply 0.")
    moderation.set_status([reply], Comment.Status.REMOVED)
    _grace(settings, 1)
    time.sleep(1.5)
    _cron()
    assert PARENT not in killed.delivered
    assert not Comment.objects.filter(reply_owed=True).exists()


def test_held_comments_a_killed_worker_had_queued_are_named_once_after_the_grace(
    killed, settings
):
    """The three held comments (the one whose mail was in flight, and the
    two queued behind it) are named in one notice to the moderators by the
    cron job after the grace, not within it, and once. The old code never
    told them: no mail had failed, so none was owed."""
    _grace(settings, 300)
    assert "and 0 notice(s) to the moderators" in _cron()
    _grace(settings, 1)
    time.sleep(1.5)
    assert "and 1 notice(s) to the moderators" in _cron()
    (notice,) = [m for m in killed.messages if DESK in m or "held" in m]
    assert "3 comments were held" in notice and "/admin/comments/" in notice
    assert "and 0 notice(s) to the moderators" in _cron()
    assert killed.delivered.count(DESK) == 1


def test_lost_mail_about_held_comments_moderated_or_deleted_is_not_sent(
    killed, settings
):
    """Before the cron job runs a moderator approved one held comment and
    another was deleted: the notice names the one still waiting."""
    moderation.set_status(
        [Comment.objects.get(body="Held 0.")], Comment.Status.APPROVED
    )
    Comment.objects.filter(body="Held 1.").delete()
    _grace(settings, 1)
    time.sleep(1.5)
    _cron()
    (notice,) = [m for m in killed.messages if "Reply 0." not in m]
    assert "1 comment was held" in notice
    assert killed.delivered.count(DESK) == 1
