"""Mail through a real SMTP port on 127.0.0.1 that takes the connection and
never answers: the site gives up by itself (EMAIL_TIMEOUT), and the reader's
post or the moderator's approval is answered as usual."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from django.test import Client

from newsroom.articles.tests import factories as f
from newsroom.comments import moderation
from newsroom.comments.models import Comment, ReplyConsent
from newsroom.comments.tests.helpers import post

pytestmark = pytest.mark.django_db

RESCUE_SECONDS = 60  # the old code waited forever: the relay lets go then


class SilentRelay:
    """An SMTP port that completes the handshake and never says a word (a
    relay hung, or behind a firewall that still accepts). It counts the
    connections and those the site closed itself, before any rescue."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.hung_up = 0  # closed by the site, the relay still silent
        self.rescued = False
        self.open: list[socket.socket] = []
        self.ended = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()
        self.timer = threading.Timer(RESCUE_SECONDS, self.rescue)
        self.timer.daemon = True
        self.timer.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.ended:
                self.connections += 1
                self.open.append(conn)
            threading.Thread(target=self._listen, args=(conn,), daemon=True).start()

    def _listen(self, conn: socket.socket) -> None:
        try:
            while conn.recv(4096):  # the site may write; the relay never answers
                pass
        except OSError:
            pass
        with self.ended:
            if not self.rescued:
                self.hung_up += 1
            self.ended.notify_all()

    def settled(self) -> None:
        """Wait until every connection the site made has ended (or the rescue)."""
        deadline = time.monotonic() + RESCUE_SECONDS
        with self.ended:
            while (
                not self.connections or self.hung_up < self.connections
            ) and not self.rescued:
                self.ended.wait(max(0.0, deadline - time.monotonic()))
                if time.monotonic() >= deadline:
                    break

    def _hang_up(self) -> None:
        # shutdown, not close alone: the listening thread's recv holds the
        # socket open, so close() would send the site nothing.
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def rescue(self) -> None:
        """Let go of a site that waits for an answer (what the old code needed)."""
        with self.ended:
            self.rescued = True
            self._hang_up()
            self.ended.notify_all()

    def close(self) -> None:
        self.timer.cancel()
        self.sock.close()
        with self.ended:
            self._hang_up()


def mail_to(settings, port: int) -> None:
    """The site's mail goes over SMTP to 127.0.0.1:``port``, in plain text."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False


@pytest.fixture
def relay(settings):
    silent = SilentRelay()
    mail_to(settings, silent.port)
    yield silent
    silent.close()


def test_a_relay_that_never_answers_does_not_hold_a_readers_post(
    client, relay, settings, django_capture_on_commit_callbacks, caplog
):
    """A held comment mails the moderators within the reader's request. With
    the settings' own EMAIL_TIMEOUT the site hangs up on the silent relay by
    itself, the reader gets the usual answer and the comment waits; the old
    code waited until the relay let go (forever, but for the rescue)."""
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, a)
    relay.settled()
    assert response.status_code == 303
    assert Comment.objects.get().status == Comment.Status.PENDING
    assert not relay.rescued, "the site waited for the relay until it let go"
    assert relay.connections == relay.hung_up == 1
    assert "could not email moderators" in caplog.text


def _parent_and_reply(a, n: int) -> tuple[Comment, Comment]:
    parent = Comment.objects.create(
        article=a,
        name=f"Parent {n}",
        body=f"Parent words {n}.",
        email=f"parent{n}@example.org",
        notify_replies=True,
        replies_vouched=True,
        status=Comment.Status.APPROVED,
    )
    ReplyConsent.objects.create(email=parent.email)
    reply = Comment.objects.create(
        article=a,
        name=f"Child {n}",
        body=f"Reply words {n}.",
        parent=parent,
        status=Comment.Status.PENDING,
    )
    return parent, reply


def test_approving_many_replies_asks_a_hung_relay_once(
    relay, settings, django_capture_on_commit_callbacks, caplog
):
    """Replies approved together are notified over one connection: a relay
    that stops answering costs the moderator one EMAIL_TIMEOUT and ends the
    batch (logged), not one timeout per reply. The approval itself stands."""
    settings.EMAIL_TIMEOUT = 1
    a = f.article()
    replies = [_parent_and_reply(a, n)[1] for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert moderation.set_status(replies, Comment.Status.APPROVED) == 3
    relay.settled()
    assert not relay.rescued
    assert relay.connections == relay.hung_up == 1
    assert Comment.objects.filter(status=Comment.Status.APPROVED).count() == 6
    assert "could not send 3 reply notification(s)" in caplog.text


class Relay:
    """A small SMTP server on 127.0.0.1 that speaks the protocol and, while
    ``refuse`` is set, refuses every recipient (``451``, a relay out of
    service); else it takes the message and keeps its recipients."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.refuse = True
        # Once it has refused a recipient, say nothing more (a relay that
        # answers the refusal and then hangs).
        self.mute_after_refusal = False
        self.delivered: list[str] = []
        self.messages: list[str] = []  # as sent, headers and body
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        lines = conn.makefile("rb")
        conn.sendall(b"220 relay ready\r\n")
        recipients: list[str] = []
        muted = False
        with contextlib.suppress(OSError), conn:
            for raw in lines:
                verb = raw.decode("latin-1").strip().upper()
                if muted:
                    continue
                if verb.startswith(("EHLO", "HELO")):
                    conn.sendall(b"250 relay\r\n")
                elif verb.startswith("RCPT TO:"):
                    if self.refuse:
                        conn.sendall(b"451 4.3.0 out of service\r\n")
                        muted = self.mute_after_refusal
                    else:
                        recipients.append(verb[8:].strip("<> ").lower())
                        conn.sendall(b"250 ok\r\n")
                elif verb == "DATA":
                    conn.sendall(b"354 go on\r\n")
                    text = []
                    for body in lines:
                        if body in (b".\r\n", b".\n"):
                            break
                        text.append(body.decode("latin-1"))
                    self.delivered += recipients
                    self.messages.append("".join(text))
                    recipients = []
                    conn.sendall(b"250 queued\r\n")
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # MAIL FROM, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def refusing_relay(settings):
    relay = Relay()
    mail_to(settings, relay.port)
    settings.EMAIL_TIMEOUT = 5
    settings.NEWSROOM_COMMENTS_MODERATION = "first"
    settings.NEWSROOM_COMMENTS_MODERATORS = []
    yield relay
    relay.close()


def test_a_confirmation_link_the_relay_refused_is_sent_with_the_next_comment(
    refusing_relay, settings, django_capture_on_commit_callbacks, caplog
):
    """A first comment's confirmation link that the relay refused spends
    neither the address's once-a-day link nor a place under ADDRESS_MAILS:
    once the relay is back, the next comment naming that address mails it
    its link, and so does a comment naming another address when the cap
    allows one a period. The refused mail kept both, so the reader got no
    link until the next day, and a short relay outage could fill the cap."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "ADDRESS_MAILS": (1, 3600),
    }
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(Client(), a, email="ada@example.org").status_code == 303
    assert refusing_relay.delivered == []
    assert "could not send an address confirmation link" in caplog.text
    refusing_relay.refuse = False
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), a, email="ada@example.org", body="Trying once more, Ada.")
    assert refusing_relay.delivered == ["ada@example.org"]


def test_a_refused_link_leaves_the_site_wide_cap_to_the_next_address(
    refusing_relay, settings, django_capture_on_commit_callbacks
):
    """With ADDRESS_MAILS at one address a period, a link the relay refused
    does not take that one place: the next address is mailed once the relay
    is back, and the one after it is not (the cap still holds)."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "ADDRESS_MAILS": (1, 3600),
    }
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.1.7"), a, email="ada@example.org")
    refusing_relay.refuse = False
    for n, name in enumerate(["bo", "cy"]):
        with django_capture_on_commit_callbacks(execute=True):
            post(
                Client(REMOTE_ADDR=f"198.51.{n + 2}.7"),
                a,
                email=f"{name}@example.org",
                body=f"Words from {name}, the number {n}.",
            )
    assert refusing_relay.delivered == ["bo@example.org"]


def test_a_moderators_mail_the_relay_refused_leaves_its_place_to_the_next(
    refusing_relay, settings, django_capture_on_commit_callbacks, caplog
):
    """With MODERATOR_MAILS at one mail a period, a held comment's mail that
    the relay refused does not take that place: once the relay is back, the
    next held comment gets its own mail with its links, not the "more
    comments wait than were mailed" notice (a relay outage filled the cap,
    and the moderators got no link to any comment held after it)."""
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "MODERATOR_MAILS": (1, 3600),
    }
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.1.7"), a, body="Held while the relay is out.")
    assert refusing_relay.delivered == []
    assert "could not email moderators" in caplog.text
    refusing_relay.refuse = False
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.2.7"), a, body="Held once it is back.")
    # Its own mail, then the notice of the one held while the relay was out.
    assert refusing_relay.delivered == ["desk@example.org"] * 2
    message, notice = refusing_relay.messages
    assert "Comment awaiting moderation" in message
    assert "Held once it is back." in message
    assert "1 comment was held" in notice


def test_a_refused_notice_that_mail_is_paused_is_sent_with_the_next(
    refusing_relay, settings, django_capture_on_commit_callbacks
):
    """Past MODERATOR_MAILS, one notice a period says more comments wait than
    were mailed; when the relay refused it, the next held comment sends it
    (it was spent, and the moderators heard nothing more that period)."""
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "MODERATOR_MAILS": (1, 3600),
    }
    a = f.article()
    for n, refuse in enumerate([False, True, False]):
        refusing_relay.refuse = refuse
        with django_capture_on_commit_callbacks(execute=True):
            post(Client(REMOTE_ADDR=f"198.51.{n}.7"), a, body=f"Held number {n}.")
    assert refusing_relay.delivered == ["desk@example.org"] * 2
    first, notice = refusing_relay.messages
    assert "Held number 0." in first
    assert "More comments await moderation" in notice


def test_a_reply_notification_the_relay_refused_is_sent_with_the_next(
    refusing_relay, settings, django_capture_on_commit_callbacks, caplog
):
    """A reply notification the relay refused is owed, not spent: once the
    relay is back, the next approval's batch carries it with its own, and
    neither reader is mailed twice after. The old code marked the reply
    notified before sending, so a relay outage lost that reader's mail."""
    a = f.article()
    _, first = _parent_and_reply(a, 1)
    _, second = _parent_and_reply(a, 2)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([first], Comment.Status.APPROVED)
    assert refusing_relay.delivered == []
    assert "the relay refused a reply notification" in caplog.text
    refusing_relay.refuse = False
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([second], Comment.Status.APPROVED)
    assert sorted(refusing_relay.delivered) == [
        "parent1@example.org",
        "parent2@example.org",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        _, third = _parent_and_reply(a, 3)
        moderation.set_status([third], Comment.Status.APPROVED)
    assert sorted(refusing_relay.delivered) == [
        "parent1@example.org",
        "parent2@example.org",
        "parent3@example.org",
    ]
    assert not Comment.objects.filter(reply_notified=False, parent__isnull=False)


def test_a_refused_reply_notification_keeps_the_addresss_place(
    refusing_relay, settings, django_capture_on_commit_callbacks
):
    """A reply notification the relay refused does not count under the
    address's REPLY_MAILS: with one a period, the owed mail still goes once
    the relay is back."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLY_MAILS": (1, 3600),
    }
    a = f.article()
    _, reply = _parent_and_reply(a, 1)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([reply], Comment.Status.APPROVED)
    refusing_relay.refuse = False
    assert moderation.send_owed_reply_mail() == 1
    assert refusing_relay.delivered == ["parent1@example.org"]
    assert moderation.send_owed_reply_mail() == 0
    assert refusing_relay.delivered == ["parent1@example.org"]


def test_owed_reply_mail_waits_after_a_relay_that_hung(
    relay, settings, django_capture_on_commit_callbacks
):
    """After a relay stopped answering a batch, the batches of the next
    RELAY_PAUSE seconds send nothing (a relay still hung would cost each
    later reader a timeout): their own notifications are owed too.
    ``manage.py send_owed_mail`` (a cron job) sends the owed ones whatever
    the pause, once each."""
    from io import StringIO

    from django.core.management import call_command

    settings.EMAIL_TIMEOUT = 1
    a = f.article()
    _, first = _parent_and_reply(a, 1)
    _, second = _parent_and_reply(a, 2)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([first], Comment.Status.APPROVED)
    relay.settled()
    assert relay.connections == 1
    back = Relay()
    settings.EMAIL_PORT = back.port
    back.refuse = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            moderation.set_status([second], Comment.Status.APPROVED)
        assert back.delivered == [], "mail went while the relay was left alone"
        out = StringIO()
        call_command("send_owed_mail", stdout=out)
        assert out.getvalue().strip() == (
            "sent 2 owed reply notification(s) and 0 notice(s) to the moderators"
        )
        call_command("send_owed_mail", stdout=StringIO())
        assert back.delivered == ["parent1@example.org", "parent2@example.org"]
    finally:
        back.close()


def test_after_a_relay_hung_the_next_posts_do_not_wait_for_it(
    client, relay, settings, django_capture_on_commit_callbacks, caplog
):
    """A relay that took a whole EMAIL_TIMEOUT without answering is left
    alone for RELAY_PAUSE seconds (rolling: up to twice that): the next held
    comments and first comments with an address are answered at once, not
    after another timeout each, their mail not sent (the moderator's place
    and the address's link kept for later, as for any mail that did not
    go). Past the pause the site asks the relay again. Each held post waited
    a timeout of its own."""
    settings.EMAIL_TIMEOUT = 1
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "RELAY_PAUSE": 1,
    }
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.1.7"), a, body="Held while it hangs.")
    relay.settled()
    assert relay.connections == 1
    for n, email in enumerate(["", "ada@example.org"]):
        with django_capture_on_commit_callbacks(execute=True):
            answered = post(
                Client(REMOTE_ADDR=f"198.51.{n + 2}.7"),
                a,
                email=email,
                body=f"Held number {n}, the relay left alone.",
            )
        assert answered.status_code == 303
    assert relay.connections == 1, "a post waited for the hung relay again"
    assert "the mail relay did not answer" in caplog.text
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 3
    time.sleep(2.2)  # past twice RELAY_PAUSE
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.9.7"), a, body="Held once the pause ends.")
    relay.settled()
    assert relay.connections == 2


def _held(settings, capture, words: str, count: int):
    """An article and ``count`` comments on it held for the moderators of
    desk@example.org, from networks of their own ("<words> <n>.")."""
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    a = f.article()
    for n in range(count):
        with capture(execute=True):
            post(Client(REMOTE_ADDR=f"198.51.{n}.7"), a, body=f"{words} {n}.")
    return a


def test_held_comments_the_moderators_were_not_told_of_are_told_later(
    refusing_relay, settings, django_capture_on_commit_callbacks
):
    """A held comment whose email to the moderators did not go (the relay
    refused it, or was left alone after a hang) is owed: once mail goes
    again, the moderators get one notice naming how many such comments wait
    in the queue, with its link, once. They heard of them only by opening
    the queue."""
    a = _held(settings, django_capture_on_commit_callbacks, "Held unmailed", 2)
    assert refusing_relay.delivered == []
    refusing_relay.refuse = False
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.8.7"), a, body="Held once it is back.")
    own, notice = refusing_relay.messages
    assert "Held once it is back." in own
    assert "2 comments were held" in notice and "/admin/comments/" in notice
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(REMOTE_ADDR="198.51.9.7"), a, body="Held later still.")
    assert len(refusing_relay.messages) == 3, "the notice was sent again"


def test_the_cron_job_tells_the_moderators_what_a_hung_relay_kept_from_them(
    relay, settings, django_capture_on_commit_callbacks
):
    """Held comments posted while the relay was left alone after a hang are
    owed to the moderators; ``manage.py send_owed_mail`` (the cron job)
    sends the notice once the relay answers, and only for comments still
    held (one approved meanwhile is not named)."""
    from io import StringIO

    from django.core.management import call_command

    settings.EMAIL_TIMEOUT = 1
    _held(settings, django_capture_on_commit_callbacks, "Held in the hang", 3)
    relay.settled()
    assert relay.connections == 1
    first = Comment.objects.get(body="Held in the hang 0.")
    moderation.set_status([first], Comment.Status.APPROVED)
    back = Relay()
    settings.EMAIL_PORT = back.port
    back.refuse = False
    try:
        out = StringIO()
        call_command("send_owed_mail", stdout=out)
        assert "1 notice(s) to the moderators" in out.getvalue()
        (notice,) = back.messages
        assert "2 comments were held" in notice
        call_command("send_owed_mail", stdout=StringIO())
        assert len(back.messages) == 1
    finally:
        back.close()


def test_a_reply_held_longer_than_the_owed_window_is_owed_from_its_approval(
    refusing_relay, settings, django_capture_on_commit_callbacks
):
    """A reply that waited in the moderation queue longer than
    OWED_SECONDS is shown, and its notification tried, when a
    moderator approves it: when the relay refused that mail it is owed from
    then, and ``send_owed_mail`` sends it once the relay is back. The owed
    window counted from the reply's posting, so that mail was lost for good."""
    from datetime import timedelta

    from django.utils import timezone

    a = f.article()
    _, reply = _parent_and_reply(a, 1)
    posted = timezone.now() - timedelta(days=3)
    Comment.objects.filter(pk=reply.pk).update(created_at=posted)
    ReplyConsent.objects.update(confirmed_at=posted - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([reply], Comment.Status.APPROVED)
    assert refusing_relay.delivered == []
    refusing_relay.refuse = False
    assert moderation.send_owed_reply_mail() == 1
    assert refusing_relay.delivered == ["parent1@example.org"]


def test_a_relay_that_refuses_and_then_hangs_is_left_alone_too(
    refusing_relay, settings, django_capture_on_commit_callbacks
):
    """A relay that refuses a recipient and then says nothing more (its
    answer to the reset never comes) cost the batch a whole EMAIL_TIMEOUT,
    yet did not start RELAY_PAUSE: the refusal was caught as "it answered"
    and the next message failed at once, so every later batch paid the
    timeout again. Now that step's timeout counts as a hang."""
    from newsroom.comments.relay import hung

    settings.EMAIL_TIMEOUT = 1
    refusing_relay.mute_after_refusal = True
    a = f.article()
    replies = [_parent_and_reply(a, n)[1] for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status(replies, Comment.Status.APPROVED)
    assert refusing_relay.delivered == []
    assert hung(), "the relay's silence after its refusal started no pause"
