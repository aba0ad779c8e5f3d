"""The email address typed in the comment form: a mailbox at a domain,
stored as mail goes to it."""

from __future__ import annotations

import pytest
from django.core import mail

from newsroom.articles.tests import factories as f
from newsroom.comments import privacy
from newsroom.comments.models import Ban, Comment
from newsroom.comments.tests.helpers import post

pytestmark = pytest.mark.django_db

NOT_A_MAILBOX = [
    pytest.param("ada", id="no-domain"),
    pytest.param("ada@localhost", id="no-dot-in-domain"),
    pytest.param("ada@[127.0.0.1]", id="ip-literal"),
    pytest.param('"eve@evil.example"@example.org', id="quoted-at"),
    pytest.param('"ada\x01"@example.org', id="quoted-control"),
    pytest.param("\u0131da@example.org", id="dotless-i"),
    pytest.param("ada@example.org\r\nBcc: eve@example.org", id="crlf-header"),
    pytest.param("ada@example.org\u3002", id="ideographic-dot"),
    pytest.param("ada@@example.org", id="two-ats"),
    pytest.param("a" * 65 + "@example.org", id="long-name"),
]


@pytest.mark.parametrize("typed", NOT_A_MAILBOX)
def test_an_address_that_is_not_a_mailbox_at_a_domain_is_a_form_error(
    client, settings, django_capture_on_commit_callbacks, typed
):
    """A bare name, a host without a dot, an IP literal, a quoted name (which
    Django's mail unquotes: '"ada\\x01"@…' was sent to ada\\x01@…), a letter
    Python's case-blind match takes for "i" (sent as "=?utf-8?b?…?=@…"), a
    header after CR/LF, a domain ending in an ideographic full stop (sent to
    "example.org."): each is the form again, 400, the message beside the
    email field, nothing stored and nothing mailed."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, a, email=typed, notify_replies="on")
    assert response.status_code == 400, typed
    assert response["X-Comment-Refusal"] == "invalid"
    html = response.content.decode()
    assert 'id="email-error"' in html and "name@example.org" in html
    assert not Comment.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("Ada@Example.ORG", "ada@example.org", id="case"),
        pytest.param("ada@exa\u200bmple.org", "ada@example.org", id="zero-width"),
        pytest.param("ada@\u4f8b\u3048.jp", "ada@xn--r8jz45g.jp", id="idn"),
    ],
)
def test_an_address_is_stored_as_mail_goes_to_it(client, settings, typed, stored):
    """The stored address is the one mail is sent to (the domain in IDNA
    ASCII, as Django's mail writes it): a zero-width space inside the domain
    was stored as typed, so a ban of the plain address and a data request
    for it missed the comment while reply mail reached that very mailbox."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    a = f.article()
    assert post(client, a, email=typed).status_code == 303
    assert Comment.objects.get().email == stored
    assert [c["email"] for c in privacy.export(typed)["comments"]] == [stored]
    Ban.objects.create(kind=Ban.Kind.EMAIL, value=stored)
    again = post(client, a, email=typed, body="Second words, banned address.")
    assert again.status_code == 403
    assert again["X-Comment-Refusal"] == "banned_email"
