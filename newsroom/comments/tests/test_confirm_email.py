"""An email address confirmed by a signed link (issue 11 item 5).

A first comment with an address waits for a moderator and mails that address
one signed link; confirming it (a POST, never a GET) lets later posts from the
same browser *with that address* skip first-time moderation. The answer to a
post never tells whether an address is known.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.comments import confirm_email
from newsroom.comments.models import Comment, ReplyConsent
from newsroom.comments.tests.helpers import post
from newsroom.core import limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _first_time(settings):
    settings.NEWSROOM_COMMENTS_MODERATION = "first"


def _links_to(address: str) -> list[str]:
    return [
        m.group(0)
        for message in mail.outbox
        if message.to == [address]
        for m in [re.search(r"https?://\S+/comments/confirm/\S+/", message.body)]
        if m
    ]


def _post(client, article, capture, **fields):
    with capture(execute=True):
        return post(client, article, **fields)


def test_a_confirmed_address_from_the_same_browser_skips_first_time_moderation(
    client, django_capture_on_commit_callbacks
):
    """First post waits and mails one link; its GET changes nothing, its POST
    does; then the same browser with the same address is published at once,
    while another address or another browser still waits."""
    a = f.article()
    first = _post(
        client, a, django_capture_on_commit_callbacks, email="Ada@Example.org"
    )
    assert first.status_code == 303
    assert Comment.objects.get().status == Comment.Status.PENDING
    links = _links_to("ada@example.org")
    assert len(links) == 1
    path = "/" + links[0].split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm my address" in page.content
    assert confirm_email.COOKIE not in client.cookies  # a GET confirms nothing
    assert client.post(path).status_code == 200
    # The confirmation is for that address only (this browser has no
    # approved comment yet, so nothing else trusts it).
    _post(
        client,
        a,
        django_capture_on_commit_callbacks,
        email="bo@example.org",
        body="Same browser, another address.",
    )
    assert Comment.objects.latest("id").status == Comment.Status.PENDING
    _post(
        Client(),
        a,
        django_capture_on_commit_callbacks,
        email="ada@example.org",
        body="Another browser claiming the address.",
    )
    assert Comment.objects.latest("id").status == Comment.Status.PENDING
    _post(
        client,
        a,
        django_capture_on_commit_callbacks,
        email="ada@example.org",
        body="A second thought, now confirmed.",
    )
    assert Comment.objects.latest("id").status == Comment.Status.APPROVED


def test_the_answer_is_the_same_and_an_address_is_mailed_once_a_day(
    client, django_capture_on_commit_callbacks
):
    """Posts with a fresh and an already-mailed address get the same answer;
    the address gets no second link the same day (no mail bombing)."""
    a = f.article()
    one = _post(
        Client(),
        a,
        django_capture_on_commit_callbacks,
        email="cy@example.org",
        body="First words from Cy.",
    )
    two = _post(
        Client(),
        a,
        django_capture_on_commit_callbacks,
        email="cy@example.org",
        body="Second words from Cy.",
    )
    new = _post(
        Client(),
        a,
        django_capture_on_commit_callbacks,
        email="di@example.org",
        body="First words from Di.",
    )
    assert one.status_code == two.status_code == new.status_code == 303
    assert one["Location"] == two["Location"] == new["Location"]
    assert len(_links_to("cy@example.org")) == 1
    assert len(_links_to("di@example.org")) == 1


def test_forged_expired_and_foreign_links_and_cookies_are_refused(client, settings):
    """A tampered or expired link answers 400 and sets nothing; a link signed
    for another purpose is not a confirmation; a forged cookie trusts nobody."""
    token = confirm_email.make_token("ed@example.org")
    assert client.post(f"/comments/confirm/{token}x/").status_code == 400
    other = signing.dumps({"e": "ed@example.org"}, salt="another.purpose")
    assert client.post(f"/comments/confirm/{other}/").status_code == 400
    assert confirm_email.COOKIE not in client.cookies
    old = signing.dumps({"e": "ed@example.org"}, salt=confirm_email.SALT, compress=True)
    settings_max = confirm_email.MAX_AGE
    try:
        confirm_email.MAX_AGE = -1
        assert client.post(f"/comments/confirm/{old}/").status_code == 400
    finally:
        confirm_email.MAX_AGE = settings_max
    forged = Client()
    forged.cookies[confirm_email.COOKIE] = confirm_email.tag("ed@example.org")
    a = f.article()
    post(forged, a, email="ed@example.org")
    assert Comment.objects.get().status == Comment.Status.PENDING


def _asking(article, address: str, words: str, seconds_ago: int = 0) -> Comment:
    """An approved comment under ``address`` that asked for reply emails,
    stored as it is, not posted (no link mailed, not vouched)."""
    comment = Comment(
        article=article,
        name="Someone",
        email=address,
        body=words,
        notify_replies=True,
        status=Comment.Status.APPROVED,
        created_at=timezone.now() - timedelta(seconds=seconds_ago),
    )
    comment.prepare()
    comment.save()
    return comment


def _stranger_asks(article, capture, address: str, words: str) -> Comment:
    """A comment from a browser of its own under ``address``, asking for
    reply emails ("A stranger's words <words>.")."""
    _post(
        Client(),
        article,
        capture,
        email=address,
        notify_replies="on",
        body=f"A stranger's words {words}.",
    )
    return Comment.objects.latest("id")


def _replied_to(address: str) -> list:
    return [
        m
        for m in mail.outbox
        if m.to == [address] and m.subject.endswith("replied to your comment")
    ]


def test_reply_emails_wait_for_the_addresss_own_yes(
    settings, django_capture_on_commit_callbacks
):
    """A commenter who types someone else's address and ticks "email me when
    someone replies" makes the site mail that address one link and no reply:
    replies are mailed only once who reads the address pressed the button
    behind the link (its GET changes nothing). Every reply was mailed to
    whatever address was typed."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    capture = django_capture_on_commit_callbacks
    a = f.article()
    _post(
        Client(),
        a,
        capture,
        email="victim@example.org",
        notify_replies="on",
        body="Posted by someone who is not the victim.",
    )
    parent = Comment.objects.get()
    assert parent.status == Comment.Status.APPROVED
    _post(Client(), a, capture, parent=str(parent.pk), body="A first reply here.")
    assert not _replied_to("victim@example.org")
    (link,) = _links_to("victim@example.org")
    owner, path = Client(), "/" + link.split("/", 3)[3]
    page = owner.get(path)
    assert page.status_code == 200 and b"reply emails" in page.content
    assert not ReplyConsent.objects.exists()  # a GET (a mail scanner) says no yes
    assert owner.post(path).status_code == 200
    assert ReplyConsent.objects.filter(email="victim@example.org").exists()
    _post(Client(), a, capture, parent=str(parent.pk), body="A second reply here.")
    (replied,) = _replied_to("victim@example.org")
    assert "A second reply here." in replied.body


def test_a_comment_whose_link_the_relay_refused_is_vouched_by_its_browser(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    """A comment asking for reply emails whose link the relay refused is
    vouched when the browser that posted it presses the link of its next
    such comment: its replies are mailed. The link named the next comment
    only, so the first, the reader's own, never had a reply mailed (it did,
    while the yes was the address's)."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    capture = django_capture_on_commit_callbacks
    a = f.article()
    reader = Client()

    def refused(*args, **kwargs):
        raise OSError("451 the relay is out of resources")

    with monkeypatch.context() as m:
        m.setattr(confirm_email, "send_mail", refused)
        _post(reader, a, capture, email="ada@example.org", notify_replies="on")
    first = Comment.objects.get()
    assert not _links_to("ada@example.org")
    _post(
        reader, a, capture, email="ada@example.org", notify_replies="on", body="Again."
    )
    (link,) = _links_to("ada@example.org")
    assert reader.post("/" + link.split("/", 3)[3]).status_code == 200
    _post(Client(), a, capture, parent=str(first.pk), body="A reply to the first.")
    (replied,) = _replied_to("ada@example.org")
    assert "A reply to the first." in replied.body


def test_a_held_first_comment_asking_for_replies_mails_one_link_for_both(
    client, django_capture_on_commit_callbacks
):
    """In first-time mode a comment that waits and asks for reply emails
    mails its address one link, not two, and more such posts that day mail
    nothing more; its button does both: this browser's later comments with
    the address are published at once, and the address said yes to replies."""
    capture = django_capture_on_commit_callbacks
    a = f.article()
    for n in range(3):
        _post(
            Client(),
            a,
            capture,
            email="ada@example.org",
            notify_replies="on",
            body=f"Held words number {n}.",
        )
    assert [m.to for m in mail.outbox if m.to != ["desk@example.org"]] == [
        ["ada@example.org"]
    ]
    (link,) = _links_to("ada@example.org")
    assert client.post("/" + link.split("/", 3)[3]).status_code == 200
    assert ReplyConsent.objects.filter(email="ada@example.org").exists()
    _post(client, a, capture, email="ada@example.org", body="Now published at once.")
    assert Comment.objects.latest("id").status == Comment.Status.APPROVED


def test_a_comment_asking_after_the_days_link_was_pressed_elsewhere_is_asked(
    settings, django_capture_on_commit_callbacks
):
    """A reader who pressed the day's link in another browser (the mail
    app's) and then ticks "email me" on a second comment from the browser
    they post with is mailed a link for it the same day, and its button
    starts that comment's replies. The pressed link had spent the day's
    mail: the second comment got no link, was never vouched, and its replies
    were never mailed (they were, while the yes was the address's)."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    capture = django_capture_on_commit_callbacks
    a = f.article()
    laptop, mail_app = Client(), Client()
    _post(laptop, a, capture, email="ada@example.org", notify_replies="on")
    (link,) = _links_to("ada@example.org")
    assert mail_app.post("/" + link.split("/", 3)[3]).status_code == 200
    _post(
        laptop, a, capture, email="ada@example.org", notify_replies="on", body="More."
    )
    second = Comment.objects.latest("id")
    (_, again) = _links_to("ada@example.org")
    assert mail_app.post("/" + again.split("/", 3)[3]).status_code == 200
    _post(Client(), a, capture, parent=str(second.pk), body="A reply to the second.")
    (replied,) = _replied_to("ada@example.org")
    assert "A reply to the second." in replied.body


def test_a_flood_of_addresses_is_mailed_a_bounded_number_of_links(
    settings, django_capture_on_commit_callbacks
):
    """Held first comments from many networks (each within its own rate
    limit), each naming another address, mail at most ADDRESS_MAILS addresses
    a period; every comment is stored and waits, and each poster gets the
    same answer. Every address named was mailed, so a bot solving the
    proof-of-work from many networks made the site mail thousands of
    strangers."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "ADDRESS_MAILS": (3, 3600),
    }
    a = f.article()
    answers = set()
    for n in range(8):
        response = _post(
            Client(REMOTE_ADDR=f"198.51.{n}.7"),
            a,
            django_capture_on_commit_callbacks,
            email=f"stranger{n}@example.org",
            body=f"Words from stranger number {n}.",
        )
        answers.add((response.status_code, response["Location"]))
    assert len(answers) == 1
    mailed = [m.to for m in mail.outbox if m.to != ["desk@example.org"]]
    assert len(mailed) == 3
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 8


def test_a_stranger_under_an_address_that_said_yes_gets_its_owner_no_reply_mail(
    settings, django_capture_on_commit_callbacks
):
    """The yes behind an address's link is for the comments of who pressed
    it, not for every comment anyone posts under the address later: a
    stranger's comment under an address that said yes, with the box ticked,
    brings its owner no reply email. The owner's own later comments, from
    the browser that pressed the button, are mailed at once. (The yes was
    the address's alone, so a stranger's comment under it had its replies
    mailed to the owner.)"""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    settings.NEWSROOM_COMMENTS_LIMITS = {  # six posts from one network
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "RATE_NETWORK": (20, 60),
    }
    capture = django_capture_on_commit_callbacks
    a = f.article()
    owner = Client()
    _post(owner, a, capture, email="ada@example.org", notify_replies="on")
    (link,) = _links_to("ada@example.org")
    assert owner.post("/" + link.split("/", 3)[3]).status_code == 200
    own = Comment.objects.get()
    _post(Client(), a, capture, parent=str(own.pk), body="A reply to Ada herself.")
    assert len(_replied_to("ada@example.org")) == 1

    stranger = _stranger_asks(a, capture, "ADA@example.org", "under Ada's address")
    _post(
        Client(), a, capture, parent=str(stranger.pk), body="A reply to the stranger."
    )
    assert len(_replied_to("ada@example.org")) == 1, "the stranger's reply was mailed"

    _post(
        owner,
        a,
        capture,
        email="ada@example.org",
        notify_replies="on",
        body="Ada again, from her own browser.",
    )
    again = Comment.objects.latest("id")
    _post(Client(), a, capture, parent=str(again.pk), body="A reply to Ada's second.")
    replied = _replied_to("ada@example.org")
    assert len(replied) == 2 and "A reply to Ada's second." in replied[-1].body


def test_a_new_browser_under_an_address_that_said_yes_asks_its_owner_again(
    settings, django_capture_on_commit_callbacks
):
    """A comment asking for reply emails from a browser that never pressed
    the address's button mails the address a link even when it said yes
    before; pressing it starts the replies of that comment (and of the
    address's comments posted after it), not of one posted before under the
    address by a browser that never proved it."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    capture = django_capture_on_commit_callbacks
    a = f.article()
    ReplyConsent.objects.create(email="bo@example.org")
    old = _asking(a, "bo@example.org", "Old words.", seconds_ago=60)
    laptop = Client()
    _post(laptop, a, capture, email="bo@example.org", notify_replies="on", body="New.")
    new = Comment.objects.latest("id")
    (link,) = _links_to("bo@example.org")  # asked although the address said yes
    assert laptop.post("/" + link.split("/", 3)[3]).status_code == 200
    for parent in (old, new):
        _post(
            Client(), a, capture, parent=str(parent.pk), body=f"Reply to {parent.pk}."
        )
    (replied,) = _replied_to("bo@example.org")
    assert f"Reply to {new.pk}." in replied.body


def test_a_browser_that_pressed_the_button_without_a_yes_to_replies_is_asked(
    settings, django_capture_on_commit_callbacks
):
    """A browser that pressed an address's button without the address saying
    yes to reply emails (a link for first-time moderation only, or a yes
    taken back by unsubscribing) and then ticks "email me" under it mails the
    address a link, whose button starts the replies of that comment. The
    browser's cookie vouched for the comment, so no link went, and with no
    yes stored its replies were never mailed."""
    capture = django_capture_on_commit_callbacks
    a = f.article()
    reader = Client()
    _post(reader, a, capture, email="ada@example.org", body="My first words.")
    (first,) = _links_to("ada@example.org")  # moderation only: no reply yes
    assert reader.post("/" + first.split("/", 3)[3]).status_code == 200
    assert not ReplyConsent.objects.exists()
    settings.NEWSROOM_COMMENTS_MODERATION = "none"  # the replies are shown
    _post(reader, a, capture, email="ada@example.org", notify_replies="on")
    asked = Comment.objects.latest("id")
    (_, link) = _links_to("ada@example.org")
    assert reader.post("/" + link.split("/", 3)[3]).status_code == 200
    _post(Client(), a, capture, parent=str(asked.pk), body="A reply to Ada.")
    (replied,) = _replied_to("ada@example.org")

    url = re.search(r"(/comments/unsubscribe/\S+/)", replied.body).group(1)
    assert Client().post(url).status_code == 200
    assert not ReplyConsent.objects.exists()
    limits.unspend(f"comments.replies_mail:{confirm_email.tag('ada@example.org')}")
    _post(
        reader, a, capture, email="ada@example.org", notify_replies="on", body="Back."
    )
    back = Comment.objects.latest("id")  # a day later, from the same browser
    (*_, again) = _links_to("ada@example.org")
    assert again != link, "coming back after unsubscribing mailed no link"
    assert reader.post("/" + again.split("/", 3)[3]).status_code == 200
    _post(Client(), a, capture, parent=str(back.pk), body="A reply to Ada, back.")
    assert "A reply to Ada, back." in _replied_to("ada@example.org")[-1].body


def test_pressing_a_link_again_vouches_no_comment_posted_since(
    settings, django_capture_on_commit_callbacks
):
    """A link's button vouches for the comments it was mailed about once:
    pressed again days later (an old mail opened again), it vouches no
    comment posted under the address since the first press, a stranger's
    included. Each press vouched everything posted under the address from
    the link's comment on."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    capture = django_capture_on_commit_callbacks
    a = f.article()
    owner = Client()
    _post(owner, a, capture, email="ada@example.org", notify_replies="on")
    (link,) = _links_to("ada@example.org")
    path = "/" + link.split("/", 3)[3]
    assert owner.post(path).status_code == 200
    stranger = _stranger_asks(a, capture, "ada@example.org", "after the press")
    assert Client().post(path).status_code == 200  # the old mail, opened again
    assert not Comment.objects.get(pk=stranger.pk).replies_vouched
    assert ReplyConsent.objects.filter(email="ada@example.org").exists()


def test_the_link_names_the_story_and_time_never_the_comments_words(
    django_capture_on_commit_callbacks,
):
    """The address's mail says on which story and when the comment was
    posted, so its owner can tell whether it was theirs before pressing
    (a stranger's comment under the address takes that day's link); it
    never carries the comment's words or name: anyone can type anyone's
    address, and our mail must not carry a stranger's text to it."""
    a = f.article("Floods close the river road")
    _post(
        Client(),
        a,
        django_capture_on_commit_callbacks,
        email="ada@example.org",
        name="Cheap Pills",
        body="Buy cheap pills at spam.example today.",
    )
    (message,) = [m for m in mail.outbox if m.to == ["ada@example.org"]]
    posted = Comment.objects.get().created_at
    assert "“Floods close the river road”" in message.body
    assert posted.strftime("%H:%M UTC") in message.body
    assert "pills" not in message.body.lower() and "spam.example" not in message.body


@pytest.mark.parametrize(
    "named", [True, "1", 1.0, -1, 10**30, [1], {"pk": 1}, None, "other's"]
)
def test_a_signed_link_naming_no_comment_of_its_address_vouches_nothing(client, named):
    """A link is signed, but what it names is read as hostile all the same
    (a future change of the signer, a key leaked): a comment number that is
    a flag, a string, a float, out of range or a list, or the number of
    another address's comment, is no 500 and vouches no comment that is not
    the address's own asking one since the link."""
    a = f.article()
    theirs = _asking(a, "bo@example.org", "Bo's words.")
    data = {"e": "ada@example.org", "r": 1}
    if named is not None:
        data["c"] = theirs.pk if named == "other's" else named
    token = signing.dumps(data, salt=confirm_email.SALT, compress=True)
    response = client.post(f"/comments/confirm/{token}/")
    assert response.status_code == 200
    assert not Comment.objects.get(pk=theirs.pk).replies_vouched
    assert ReplyConsent.objects.filter(email="ada@example.org").exists()
