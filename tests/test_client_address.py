"""One client-address rule through real requests: comments, shares and the API.

Every part of the site takes the client from ``newsroom.net``: the socket peer,
or, only behind proxies named in NEWSROOM_TRUSTED_PROXIES, the right-most
X-Forwarded-For entry that is not one of them. A header the client wrote is
never believed on its own.
"""

from __future__ import annotations

import pytest

from newsroom.api.tests.test_comments import post as api_post
from newsroom.articles.tests import factories as f
from newsroom.comments.models import Comment
from newsroom.comments.tests.helpers import post as page_post
from newsroom.shares.models import ShareCount

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
FORGED = "192.0.2.66"  # what the client writes into X-Forwarded-For
PROXY = "127.0.0.1"


@pytest.fixture(autouse=True)
def _open_comments(settings):
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    settings.NEWSROOM_COMMENTS_MODERATORS = []


def test_page_comment_ignores_a_forged_header_without_trusted_proxies(client, settings):
    """No proxy configured: the stored network is the socket peer's, not the
    address the client wrote into X-Forwarded-For."""
    settings.NEWSROOM_TRUSTED_PROXIES = ""
    a = f.article("Forged comment")
    client.defaults.update(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=FORGED)
    assert page_post(client, a).status_code == 303
    assert Comment.objects.get().network == "203.0.113.0/24"


def test_page_comment_behind_a_trusted_proxy_takes_the_right_most_entry(
    client, settings
):
    """Behind our proxy the client is the entry the proxy appended (right-most
    untrusted), not the forged first entry."""
    settings.NEWSROOM_TRUSTED_PROXIES = PROXY
    a = f.article("Proxied comment")
    client.defaults.update(
        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, 198.51.100.23"
    )
    assert page_post(client, a).status_code == 303
    assert Comment.objects.get().network == "198.51.100.0/24"


def test_api_comment_takes_the_same_rule(client, settings):
    """The API stores the same network the page would: peer without proxies,
    right-most untrusted entry behind one."""
    a = f.article("API comment")
    settings.NEWSROOM_TRUSTED_PROXIES = ""
    client.defaults["HTTP_X_FORWARDED_FOR"] = FORGED
    assert api_post(client, a, remote_addr="203.0.113.9").status_code == 201
    settings.NEWSROOM_TRUSTED_PROXIES = PROXY
    client.defaults["HTTP_X_FORWARDED_FOR"] = f"{FORGED}, 198.51.100.23"
    assert (
        api_post(client, a, remote_addr=PROXY, body="A second, different comment.")
    ).status_code == 201
    assert list(Comment.objects.order_by("pk").values_list("network", flat=True)) == [
        "203.0.113.0/24",
        "198.51.100.0/24",
    ]


def test_api_rate_limit_cannot_be_escaped_with_a_forged_header(client, settings):
    """Changing X-Forwarded-For on each request does not buy a new budget,
    with or without trusted proxies; behind one, real clients get their own."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "3/60", "write": "3/60"}
    settings.NEWSROOM_TRUSTED_PROXIES = ""
    codes = [
        client.get(
            "/api/v1/tags",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.0.{n}.1",
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    settings.NEWSROOM_TRUSTED_PROXIES = PROXY
    codes = [
        client.get(
            "/api/v1/tags",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"10.0.{n}.1, 198.51.100.23",
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    other = client.get(
        "/api/v1/tags", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.101.5"
    )
    assert other.status_code == 200


def _share(client, article, **extra):
    return client.post(f"/share/copy/{article.pk}/", HTTP_USER_AGENT=UA, **extra)


def _copies(article) -> int:
    row = ShareCount.objects.filter(article=article, network="copy").first()
    return row.count if row else 0


def test_shares_ignore_a_forged_header_without_trusted_proxies(client, settings):
    """One visitor changing X-Forwarded-For is still one visitor."""
    settings.NEWSROOM_TRUSTED_PROXIES = ""
    a = f.article("Shared once")
    for n in range(5):
        _share(client, a, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.{n}.0.1")
    assert _copies(a) == 1


def test_shares_behind_a_trusted_proxy_read_the_header_from_the_right(client, settings):
    """Behind our proxy, the forged left part changes nothing; two real clients
    (the entries our proxy appended) count as two."""
    settings.NEWSROOM_TRUSTED_PROXIES = PROXY
    a = f.article("Shared behind nginx")
    for n in range(5):
        forwarded = f"10.{n}.0.1, 198.51.100.23"
        _share(client, a, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert _copies(a) == 1
    _share(client, a, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.101.5")
    assert _copies(a) == 2
