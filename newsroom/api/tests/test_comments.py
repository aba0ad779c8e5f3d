"""Comments through the API: the approved thread, challenges, posting."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments.confirmation import answer_for
from newsroom.comments.models import Ban, Comment
from newsroom.comments.tests.helpers import client_network_of

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def _comment_settings(settings):
    """Tests post at once (the wait has its own test) and moderate nothing."""
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    settings.NEWSROOM_COMMENTS_MODERATORS = []


def challenge(client, article: Article, remote_addr: str = "203.0.113.5") -> dict:
    response = client.post(
        f"{API}/comments/challenge",
        {"article_id": article.pk},
        content_type="application/json",
        REMOTE_ADDR=remote_addr,
    )
    assert response.status_code == 200, response.content
    return response.json()


def answer(challenge_data: dict, article: Article, network="203.0.113.0/24") -> str:
    """The code a reader on ``network`` reads in the challenge's image."""
    raw = challenge_data["challenge_id"]
    token, _stamp = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    return answer_for(token, article.pk, network)


def post(
    client, article: Article, ch: dict | None = None, *, right: bool = True, **fields
):
    remote_addr = fields.pop("remote_addr", "203.0.113.5")
    ch = ch or challenge(client, article, remote_addr)
    data = {
        "name": "Ada Reader",
        "body": "A thoughtful comment about the story.",
        "challenge_id": ch["challenge_id"],
        "answer": answer(
            ch, article, client_network_of(client, REMOTE_ADDR=remote_addr)
        )
        if right
        else "WRONG",
    }
    data.update(fields)
    return client.post(
        f"{API}/articles/{article.pk}/comments",
        data,
        content_type="application/json",
        REMOTE_ADDR=remote_addr,
    )


def make(article, name, *, parent=None, status=Comment.Status.APPROVED, minutes=0):
    return Comment.objects.create(
        article=article,
        parent=parent,
        name=name,
        body=f"Body of {name}",
        body_html=f"<p>Body of {name}</p>",
        body_hash=name,
        status=status,
        created_at=timezone.now() - timedelta(minutes=100 - minutes),
    )


def test_list_is_approved_only_threaded_with_depth(client):
    """Held, rejected and spam comments never show; replies follow their
    parent with a depth, oldest first."""
    a = f.article("Talked about")
    first = make(a, "first", minutes=1)
    second = make(a, "second", minutes=2)
    reply = make(a, "reply", parent=first, minutes=3)
    make(a, "held", status=Comment.Status.PENDING, minutes=4)
    make(a, "spam", status=Comment.Status.SPAM, minutes=5)
    make(a, "rejected reply", parent=first, status=Comment.Status.REJECTED)
    data = client.get(f"{API}/articles/{a.pk}/comments").json()
    assert [(c["name"], c["depth"], c["parent_id"]) for c in data["items"]] == [
        ("first", 0, None),
        ("reply", 1, first.pk),
        ("second", 0, None),
    ]
    assert data["count"] == 3 and data["open"] is True
    assert data["items"][0]["body_html"] == "<p>Body of first</p>"
    newest = client.get(f"{API}/articles/{a.pk}/comments?order=newest").json()
    assert [c["id"] for c in newest["items"]] == [second.pk, first.pk, reply.pk]


def test_thread_pages_hold_whole_threads(client):
    """With limit=1 each page is one top-level comment with all its replies,
    and following `next` reaches every thread once."""
    a = f.article("Busy")
    roots = [make(a, f"root{i}", minutes=i * 10) for i in range(3)]
    make(a, "reply0", parent=roots[0], minutes=1)
    make(a, "reply2", parent=roots[2], minutes=25)
    names, url = [], f"{API}/articles/{a.pk}/comments?limit=1"
    pages = 0
    while url:
        data = client.get(url).json()
        assert data["items"][0]["depth"] == 0
        names.append([c["name"] for c in data["items"]])
        url, pages = data["next"], pages + 1
    assert names == [["root0", "reply0"], ["root1"], ["root2", "reply2"]]


def test_challenge_has_an_image_a_proof_of_work_and_a_working_image_url(client):
    """The code comes as a PNG (inline and by URL, the same picture for the
    same network), with a proof-of-work instead of a written question."""
    a = f.article("Any")
    ch = challenge(client, a)
    png = base64.b64decode(ch["image_png_base64"])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert "question" not in ch
    assert ch["proof_of_work"]["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    assert ch["expires_in"] > 0 and ch["min_wait_seconds"] == 0
    path = ch["image_url"].split("://", 1)[1].split("/", 1)[1]
    image = client.get("/" + path, REMOTE_ADDR="203.0.113.5")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content == png


def test_post_with_the_right_answer_publishes_in_mode_none(client):
    """Moderation "none": the comment is approved at once, listed and counted."""
    a = f.article("Open")
    response = post(client, a, body="Well reported, thank you.")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "approved"
    assert data["comment"]["body_html"] == "<p>Well reported, thank you.</p>"
    assert response["Cache-Control"] == "no-store"
    listed = client.get(f"{API}/articles/{a.pk}/comments").json()["items"]
    assert [c["id"] for c in listed] == [data["id"]]
    a.refresh_from_db()
    assert a.comment_count == 1
    stored = Comment.objects.get(pk=data["id"])
    assert stored.network == "203.0.113.0/24"  # anonymised, as on the page


def test_a_solved_proof_of_work_posts_without_a_code_and_waits(client):
    """A client that cannot see the image solves the proof-of-work instead;
    the comment is stored for a moderator, even in mode "none"."""
    from newsroom.comments.confirmation import proof

    a = f.article("Accessible")
    ch = challenge(client, a)
    solved = proof.solve(ch["proof_of_work"])
    response = post(client, a, ch, answer="", proof=solved)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    replay = post(client, a, ch, answer="", proof=solved, body="Another one.")
    assert replay.status_code == 409  # spent, like a code


@pytest.mark.parametrize("mode", ["all", "first"])
def test_held_modes_store_but_do_not_show(client, settings, mode):
    """Modes "all" and "first" (a first-time commenter): 201 pending, not listed."""
    settings.NEWSROOM_COMMENTS_MODERATION = mode
    a = f.article("Moderated")
    response = post(client, a, email="new@example.org")
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["comment"] is None
    assert client.get(f"{API}/articles/{a.pk}/comments").json()["items"] == []
    assert Comment.objects.get().status == Comment.Status.PENDING


@pytest.mark.parametrize(
    "email",
    ["ada@localhost", '"eve@evil.example"@example.org', "\u0131da@example.org"],
)
def test_an_address_that_is_not_a_mailbox_at_a_domain_is_422(client, email):
    """The API takes the form's rule (one intake): an address mail would not
    reach as typed is a 422 naming the email field, and nothing is stored."""
    a = f.article("Addressed")
    response = post(client, a, email=email, notify_replies=True)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert [d["field"] for d in error["details"]] == ["email"]
    assert not Comment.objects.exists()


def test_article_mode_overrides_the_site_mode(client, settings):
    """An article set to "all" holds comments even when the site says "none"."""
    a = f.article("Sensitive", comment_moderation="all")
    assert post(client, a).json()["status"] == "pending"


def test_wrong_answer_spends_the_code(client):
    """One guess per code: after a wrong answer the right one is refused too."""
    a = f.article("Guarded")
    ch = challenge(client, a)
    wrong = post(client, a, ch, right=False)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "code_wrong"
    again = post(client, a, ch)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "code_used"
    assert not Comment.objects.exists()


def test_a_code_posts_one_comment_only(client):
    """Replaying a used challenge is a 409 and stores nothing more."""
    a = f.article("Once")
    ch = challenge(client, a)
    assert post(client, a, ch).status_code == 201
    replay = post(client, a, ch, body="A second, different comment here.")
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "code_used"
    assert Comment.objects.count() == 1


def test_posting_too_soon_after_the_challenge_is_refused(client, settings):
    """The page's minimum fill time applies between challenge and post."""
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 30
    a = f.article("Slow down")
    response = post(client, a)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_fast"
    assert not Comment.objects.exists()


def test_challenge_for_another_article_is_refused(client):
    """A challenge is bound to the article it was asked for."""
    a, b = f.article("A"), f.article("B")
    ch = challenge(client, a)
    response = post(client, b, ch, answer=answer(ch, a))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "code_wrong"


def test_forged_challenge_is_422(client):
    """A challenge id we did not issue is refused clearly."""
    a = f.article("Any")
    ch = {"challenge_id": "bm90IG91cnM"}
    response = client.post(
        f"{API}/articles/{a.pk}/comments",
        {
            "name": "X",
            "body": "Some words here.",
            "challenge_id": ch["challenge_id"],
            "answer": "ABCDE",
        },
        content_type="application/json",
    )
    assert response.status_code == 422


def test_guard_rules_apply(client, settings):
    """Banned words refuse, suspect words hold, duplicates conflict, banned
    networks are forbidden: the comments app's own rules, through the API."""
    settings.NEWSROOM_COMMENTS_BANNED_WORDS = ["casino"]
    settings.NEWSROOM_COMMENTS_SUSPECT_WORDS = ["lottery"]
    a = f.article("Ruled")
    banned = post(client, a, body="Visit my casino tonight!")
    assert banned.status_code == 422
    assert banned.json()["error"]["code"] == "banned_words"
    held = post(client, a, body="I won the lottery once.")
    assert held.status_code == 201 and held.json()["status"] == "pending"
    assert post(client, a, body="An ordinary remark.").status_code == 201
    duplicate = post(client, a, body="An ordinary remark.")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "duplicate"
    Ban.objects.create(kind=Ban.Kind.NETWORK, value="198.51.100.0/24")
    forbidden = post(
        client, a, body="From a banned place.", remote_addr="198.51.100.20"
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "banned_network"


def test_too_many_comments_from_one_network_is_429(client, settings):
    """The comments app's per-network rate: 429 with Retry-After."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "RATE_NETWORK": (2, 60),
    }
    a = f.article("Chatty")
    for i in range(2):
        assert post(client, a, body=f"Comment number {i} here.").status_code == 201
    third = post(client, a, body="Comment number three.")
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_network"
    assert third["Retry-After"] == "60"


def test_closed_and_non_public_articles(client):
    """Closed comments: 409 on post (the list still shows approved ones);
    a draft: 404 for the list, the challenge and the post."""
    closed = f.article("Closed", comments_enabled=False)
    make(closed, "earlier")
    response = post(client, closed, challenge(client, f.article("Other")))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "comments_closed"
    listed = client.get(f"{API}/articles/{closed.pk}/comments").json()
    assert listed["open"] is False and len(listed["items"]) == 1
    draft = f.article("Draft", status="draft")
    assert client.get(f"{API}/articles/{draft.pk}/comments").status_code == 404
    assert (
        client.post(
            f"{API}/comments/challenge",
            {"article_id": draft.pk},
            content_type="application/json",
        ).status_code
        == 404
    )
    ch = challenge(client, f.article("Public"))
    assert post(client, draft, ch).status_code == 404


def test_reply_to_a_comment_that_is_not_shown_is_422(client):
    """A reply must point at an approved comment of the same article."""
    a = f.article("Replies")
    held = make(a, "held", status=Comment.Status.PENDING)
    response = post(client, a, parent_id=held.pk)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "parent"
    shown = make(a, "shown")
    ok = post(client, a, parent_id=shown.pk)
    assert ok.status_code == 201
    assert Comment.objects.get(pk=ok.json()["id"]).parent_id == shown.pk


@pytest.mark.parametrize(
    "body,status",
    [
        ("{not json", 400),
        ("[1, 2]", 422),
        ('{"name": 5, "body": [], "challenge_id": null, "answer": 1}', 422),
        ('{"name": "", "body": "x", "challenge_id": "a", "answer": "b"}', 422),
        (
            '{"name": "A", "body": "' + "x" * 30000 + '", "challenge_id": "a", '
            '"answer": "b"}',
            422,
        ),
        (
            '{"name": "A\\u0000", "body": "Some text", "challenge_id": "a", '
            '"answer": "b"}',
            422,
        ),
    ],
)
def test_bad_bodies_are_4xx_in_the_error_shape(client, body, status):
    """Malformed JSON is 400; wrong types, empty or huge fields are 422."""
    a = f.article("Any")
    response = client.post(
        f"{API}/articles/{a.pk}/comments", body, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert not Comment.objects.exists()


def test_field_errors_name_the_json_fields(client):
    """Details name the fields as the client sent them (no internal prefix)."""
    a = f.article("Any")
    response = client.post(
        f"{API}/articles/{a.pk}/comments", {"name": 5}, content_type="application/json"
    )
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"name", "body", "challenge_id"} <= fields


def test_write_rate_limit_is_separate_and_answers_429(client, settings):
    """Challenges and posts share the write budget, not the read one."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "1000/60", "write": "2/60"}
    a = f.article("Limited")
    for _ in range(2):
        challenge(client, a)
    blocked = client.post(
        f"{API}/comments/challenge",
        {"article_id": a.pk},
        content_type="application/json",
        REMOTE_ADDR="203.0.113.5",
    )
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) >= 1
    assert client.get(f"{API}/articles/{a.pk}/comments").status_code == 200


def test_a_boolean_is_no_id(client):
    """JSON's true is not article 1 nor comment 1: pydantic's lax mode took
    ``{"article_id": true}`` for 1 and answered with a challenge for article
    1. A 422 naming the field; an id sent as a string of digits is still
    read."""
    a = f.article("Any")
    for value in (True, False):
        response = client.post(
            f"{API}/comments/challenge",
            {"article_id": value},
            content_type="application/json",
            REMOTE_ADDR="203.0.113.5",
        )
        assert response.status_code == 422, response.content
        assert response.json()["error"]["details"][0]["field"] == "article_id"
    response = client.post(
        f"{API}/comments/challenge",
        {"article_id": str(a.pk)},
        content_type="application/json",
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 200, response.content
    parent = make(a, "Parent")
    response = post(client, a, parent_id=True)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"][0]["field"] == "parent_id"
    assert post(client, a, parent_id=parent.pk).status_code == 201


def test_a_comment_linking_a_look_alike_label_to_an_unreadable_host_is_201(client):
    """The API takes the same comment as the form (one intake): a label that
    reads as an address on a link whose host Python cannot read
    (``https://[::1/``) was a 500 with nothing stored; now 201, shown as
    the text typed, with no link."""
    a = f.article()
    response = post(client, a, body="See [bank.example](https://[::1/login) now.")
    assert response.status_code == 201, response.content
    shown = response.json()["comment"]["body_html"]
    assert "<a" not in shown and "bank.example" in shown
