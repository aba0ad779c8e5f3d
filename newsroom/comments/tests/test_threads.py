"""Comments come a page of whole threads at a time, on the page and in the API."""

from __future__ import annotations

import base64
import html as htmlmod
import json
import re
from datetime import timedelta
from urllib.parse import quote, urljoin

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments import moderation, threads
from newsroom.comments.models import Comment, ReplyConsent

from .helpers import post

pytestmark = pytest.mark.django_db

API = "/api/v1"
T0 = timezone.now() - timedelta(days=30)
IDS = re.compile(r'<li id="comment-(\d+)" class="comment comment--depth-(\d)"')
NEXT = re.compile(r'class="comments__next" rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'class="comments__previous" rel="prev" href="([^"]+)"')
MORE = re.compile(r'class="comments__more-replies[^"]*"><a href="([^"]+)"')


def comment(article, n: int, parent=None, minutes: float = 0, **fields) -> Comment:
    return Comment(
        article=article,
        parent=parent,
        name=f"Reader {n}",
        body=f"Comment {n}",
        body_html=f"<p>Comment {n}</p>",
        body_hash=f"h{n}",
        status=fields.pop("status", Comment.Status.APPROVED),
        created_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def build(article: Article, count: int = 120) -> dict[int, list[int]]:
    """``count`` threads, one a minute, with 0-3 replies each (some nested);
    returns each thread's comment ids in reading order."""
    roots = Comment.objects.bulk_create(
        [comment(article, i, minutes=i) for i in range(count)]
    )
    first = Comment.objects.bulk_create(
        [
            comment(article, 1000 + i, parent=r, minutes=i + 0.1)
            for i, r in enumerate(roots)
            if i % 3
        ]
    )
    nested = Comment.objects.bulk_create(
        [
            comment(article, 2000 + n, parent=c, minutes=c.created_at.minute + 0.2)
            for n, c in enumerate(first)
            if n % 2
        ]
    )
    # The reply to a reply was written later than its parent's sibling below.
    late = Comment.objects.bulk_create(
        [
            comment(article, 3000 + i, parent=r, minutes=i + 0.5)
            for i, r in enumerate(roots)
            if i % 3 == 2
        ]
    )
    moderation.recount([article.pk])
    kids: dict[int, list[int]] = {}
    for c in sorted(first + nested + late, key=lambda c: (c.created_at, c.pk)):
        kids.setdefault(c.parent_id, []).append(c.pk)
    out = {}
    for r in roots:
        order, stack = [], [r.pk]
        while stack:
            pk = stack.pop()
            order.append(pk)
            stack.extend(reversed(kids.get(pk, [])))
        out[r.pk] = order
    return out


def read_pages(client, url: str) -> list[list[int]]:
    """Follow the page's "more comments" link: each page's comment ids."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        pages.append([int(pk) for pk, _ in IDS.findall(page)])
        link = NEXT.search(page)
        url = href(url, link) if link else ""
        assert len(pages) < 20
    return pages


def href(base: str, match) -> str:
    """A link's target as the browser resolves it against the page's URL."""
    return urljoin(base, htmlmod.unescape(match.group(1)))


def split_threads(ids: list[int], by_root: dict[int, list[int]]) -> list[list[int]]:
    """The page's ids cut into threads; fails if a thread is cut short."""
    out, n = [], 0
    while n < len(ids):
        whole = by_root[ids[n]]  # the first id of a thread is its root
        assert ids[n : n + len(whole)] == whole, "a thread split or out of order"
        out.append(whole)
        n += len(whole)
    return out


def test_120_threads_make_pages_of_50_50_and_20_whole_threads(client):
    """Page 1 holds 50 whole threads, page 2 50, page 3 the last 20, oldest
    first; each reply follows its thread, and every comment shows once."""
    a = f.article()
    by_root = build(a)
    pages = read_pages(client, a.get_absolute_url())
    split = [split_threads(p, by_root) for p in pages]
    assert [len(p) for p in split] == [50, 50, 20]
    assert [t[0] for p in split for t in p] == list(by_root)
    seen = [pk for p in pages for pk in p]
    assert sorted(seen) == sorted(pk for t in by_root.values() for pk in t)
    assert len(seen) == len(set(seen))
    page3 = client.get(a.get_absolute_url()).content.decode()
    assert f"Total Comments ({a.__class__.objects.get(pk=a.pk).comment_count})" in page3


def test_newest_first_pages_and_the_way_back(client):
    """Newest first pages the threads in reverse; the "Newer comments" link
    leads back over the same pages, and page 3 says the total of all comments."""
    a = f.article()
    by_root = build(a)
    pages = read_pages(client, a.get_absolute_url() + "?comments=newest")
    split = [split_threads(p, by_root) for p in pages]
    assert [len(p) for p in split] == [50, 50, 20]
    assert [t[0] for p in split for t in p] == list(reversed(by_root))
    # Back from page 3 to page 2, then to page 1.
    url = a.get_absolute_url() + "?comments=newest"
    second = href(url, NEXT.search(client.get(url).content.decode()))
    third = href(url, NEXT.search(client.get(second).content.decode()))
    html3 = client.get(third).content.decode()
    total = Article.objects.get(pk=a.pk).comment_count
    assert f"Total Comments ({total})" in html3 and total > 120
    back = href(url, PREVIOUS.search(html3))
    assert "Newer comments" in html3
    assert [int(pk) for pk, _ in IDS.findall(client.get(back).content.decode())] == (
        pages[1]
    )
    html2 = client.get(back).content.decode()
    first = href(url, PREVIOUS.search(html2))
    assert "comments_from" not in first
    assert [int(pk) for pk, _ in IDS.findall(client.get(first).content.decode())] == (
        pages[0]
    )


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_a_comment_arriving_between_page_loads_moves_nothing(client, order):
    """A new thread and a new reply posted after page 1 was read: following
    the pages repeats nothing and loses nothing that was there."""
    a = f.article()
    by_root = build(a)
    url = a.get_absolute_url() + f"?comments={order}"
    page1 = client.get(url).content.decode()
    nxt = href(url, NEXT.search(page1))
    roots = list(by_root)
    target = roots[60]  # on page 2 either way
    reply = comment(a, 9000, parent=Comment.objects.get(pk=target), minutes=1)
    reply.created_at = timezone.now()
    reply.save()
    fresh = comment(a, 9001)
    fresh.created_at = timezone.now()
    fresh.save()
    moderation.recount([a.pk])
    rest = read_pages(client, nxt)
    seen = [int(pk) for pk, _ in IDS.findall(page1)] + [pk for p in rest for pk in p]
    assert len(seen) == len(set(seen)), "a comment repeated"
    assert set(pk for t in by_root.values() for pk in t) <= set(seen)
    assert reply.pk in seen
    where = next(p for p in rest if reply.pk in p)
    assert where.index(reply.pk) == where.index(target) + len(by_root[target])
    assert (fresh.pk in seen) == (order == "oldest")  # newest: it is on page 1


def test_long_threads_show_their_first_replies_then_more_a_window_at_a_time(
    client, settings
):
    """With REPLIES_PER_THREAD 3, a thread of 9 replies shows 3 and a "6 more
    replies" link; the thread's own view pages through the rest (4 at a time),
    each once, in order, and leads back to the thread's page."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLIES_PER_THREAD": 3,
        "REPLIES_PER_VIEW": 4,
        "THREADS_PER_PAGE": 2,
    }
    a = f.article()
    by_root = build(a, 6)
    long_root = Comment.objects.get(pk=list(by_root)[2])
    chain = [long_root]
    assert len(by_root[long_root.pk]) == 4  # the root and 3 replies
    for i in range(6):  # 3 + 6 = 9 replies, some nested
        parent = chain[-1] if i % 2 else long_root
        c = comment(a, 5000 + i, parent=parent, minutes=2 + (i + 1) / 10)
        c.save()
        chain.append(c)
    moderation.recount([a.pk])
    whole = threads.thread(a.pk, long_root.pk, 0, replies=100)
    expected = [c.pk for c, _ in whole.rows]
    assert len(expected) == 10
    base = a.get_absolute_url()
    page2 = read_pages(client, base)[1]
    html = client.get(
        href(base, NEXT.search(client.get(base).content.decode()))
    ).content.decode()
    assert page2[:4] == expected[:4]
    assert "6 more replies" in html
    seen = list(expected[:4])
    url = href(base, MORE.search(html))
    views = 0
    while url:
        views += 1
        view = client.get(url).content.decode()
        ids = [int(pk) for pk, _ in IDS.findall(view)]
        assert ids[0] == long_root.pk
        seen += ids[1:]
        more = MORE.search(view)
        url = href(base, more) if more else ""
    assert seen == expected and views == 2
    back = href(base, re.search(r'<a href="([^"]+)">Back to all comments</a>', view))
    shown = [int(pk) for pk, _ in IDS.findall(client.get(back).content.decode())]
    assert long_root.pk in shown


def test_a_reply_posted_to_a_later_page_lands_on_that_page(client, settings):
    """After posting a reply to a thread on page 3, the redirect shows page 3
    with the new reply in its thread."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    a = f.article()
    by_root = build(a)
    target = list(by_root)[110]
    response = post(client, a, parent=str(target))
    assert response.status_code == 303
    location = response["Location"]
    assert "comments_from=" in location
    new = int(response["X-Comment-Id"])
    assert location.endswith(f"#comment-{new}")
    shown = client.get(location.split("#")[0]).content.decode()
    ids = [int(pk) for pk, _ in IDS.findall(shown)]
    assert new in ids and ids.index(new) == ids.index(target) + len(by_root[target])


def test_a_reply_past_the_shown_ones_lands_on_its_thread_view(client, settings):
    """A reply that is not among the replies a page shows under its thread
    redirects to the thread's own view, which shows it."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    a = f.article()
    by_root = build(a, 3)
    target = list(by_root)[0]
    for i in range(6):
        comment(a, 700 + i, parent=Comment.objects.get(pk=target), minutes=0.3).save()
    response = post(client, a, parent=str(target))
    location, new = response["Location"], int(response["X-Comment-Id"])
    assert f"comments_thread={target}" in location
    ids = [int(pk) for pk, _ in IDS.findall(client.get(location).content.decode())]
    assert ids[0] == target and new in ids
    first_page = client.get(a.get_absolute_url()).content.decode()
    assert new not in [int(pk) for pk, _ in IDS.findall(first_page)]


CRAFTED = [
    "2026-02-30T00:00~1",
    "9999-12-31T23:59:59-14:00~1",
    "0001-01-01T00:00+14:00~1",
    "2026-01-01T00:00~99999999999999999999999",
    "2026-01-01T00:00~¹",
    "\x00~1",
    "%ED%A0%80~1",  # a lone surrogate, as a client can send it
    "~",
    "",
]


@pytest.mark.parametrize("value", CRAFTED)
@pytest.mark.parametrize(
    "name",
    ["comments_from", "comments_thread", "comments_skip", "comments_after", "reply"],
)
def test_crafted_comment_parameters_give_the_first_page(client, name, value):
    """A page parameter the helpers do not accept is the first page: 200."""
    a = f.article()
    by_root = build(a, 60)
    safe = "%" if value.startswith("%") else ""
    response = client.get(f"{a.get_absolute_url()}?{name}={quote(value, safe=safe)}")
    assert response.status_code == 200
    ids = [int(pk) for pk, _ in IDS.findall(response.content.decode())]
    assert ids[: len(by_root[list(by_root)[0]])] == by_root[list(by_root)[0]]


def test_a_thread_id_that_is_a_reply_or_elsewhere_gives_the_page(client):
    """``comments_thread`` naming a reply, another article's comment or no
    comment shows the ordinary first page."""
    a, b = f.article(), f.article()
    by_root = build(a, 3)
    other = build(b, 1)
    first = list(by_root)[0]
    for value in [by_root[list(by_root)[1]][1], list(other)[0], 10**12]:
        html = client.get(a.get_absolute_url(), {"comments_thread": value})
        assert html.status_code == 200
        assert int(IDS.findall(html.content.decode())[0][0]) == first


@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "comments",
                "comments_from",
                "comments_thread",
                "comments_skip",
                "comments_after",
                "reply",
            ]
        ),
        st.one_of(
            st.text(max_size=40),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
            st.datetimes().map(lambda d: f"{d.isoformat()}~{d.microsecond}"),
        ),
    )
)
@hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_comment_parameters_never_give_a_500(client, params):
    """Whatever a stranger writes in the comment parameters, the page answers
    below 500 (the test client re-raises a view's exception)."""
    a = Article.objects.filter(comment_count__gt=0).first() or f.article()
    if not a.comment_count:
        build(a, 3)
    clean = {k: v.replace("\x00", "") for k, v in params.items()}
    assert client.get(a.get_absolute_url(), clean).status_code < 500


def test_a_page_costs_the_same_queries_whatever_the_comment_count(
    client, django_assert_max_num_queries
):
    """Rendering a page of threads takes a fixed number of queries, and shows
    50 threads, with 120 threads on the article as with 3."""
    small, big = f.article(), f.article()
    build(small, 3)
    build(big, 120)
    client.get(small.get_absolute_url())  # the kept form and the like, once
    client.get(big.get_absolute_url())
    with django_assert_max_num_queries(12) as counted:
        client.get(small.get_absolute_url())
    few = len(counted.captured_queries)
    with django_assert_max_num_queries(few):
        html = client.get(big.get_absolute_url()).content.decode()
    assert len(re.findall(r'class="comment comment--depth-0"', html)) == 50


def test_the_first_page_is_still_offered_to_the_front_cache(client, settings):
    """The canonical article URL (page 1) is still kept by the front cache;
    a later page (a query string) is not."""
    from newsroom.web import pagecache

    settings.NEWSROOM_PAGE_CACHE_SECONDS = 60
    a = f.article()
    build(a)
    first = client.get(a.get_absolute_url())
    assert pagecache.ENVIRON_KEY in first.wsgi_request.META
    nxt = href(a.get_absolute_url(), NEXT.search(first.content.decode()))
    assert pagecache.ENVIRON_KEY not in client.get(nxt).wsgi_request.META


# --- the API -----------------------------------------------------------------


def api_pages(client, url: str) -> list[dict]:
    pages = []
    while url:
        data = client.get(url).json()
        pages.append(data)
        url = data["next"]
        assert len(pages) < 20
    return pages


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_api_pages_hold_50_whole_threads_with_a_next_cursor(client, order):
    """The API pages the same way: 50, 50 and 20 whole threads, every comment
    once, `next` and `cursor` null on the last page, `count` all of them."""
    a = f.article()
    by_root = build(a)
    pages = api_pages(client, f"{API}/articles/{a.pk}/comments?order={order}")
    assert pages[-1]["next"] is None and pages[-1]["cursor"] is None
    split = [split_threads([c["id"] for c in p["items"]], by_root) for p in pages]
    assert [len(p) for p in split] == [50, 50, 20]
    roots = [t[0] for p in split for t in p]
    assert roots == (list(by_root) if order == "oldest" else list(reversed(by_root)))
    total = sum(len(t) for t in by_root.values())
    assert all(p["count"] == total for p in pages)
    depths = {c["id"]: c["depth"] for p in pages for c in p["items"]}
    assert all(depths[root] == 0 for root in by_root)


def test_api_thread_pages_through_replies_past_the_cap(client, settings):
    """A thread longer than REPLIES_PER_THREAD says `more_replies` on its
    top-level comment, and `thread`/`skip` (its `next`) give the rest."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLIES_PER_THREAD": 2,
        "REPLIES_PER_VIEW": 2,
    }
    a = f.article()
    root = comment(a, 1)
    root.save()
    for i in range(5):
        comment(a, 10 + i, parent=root, minutes=i + 1).save()
    data = client.get(f"{API}/articles/{a.pk}/comments").json()
    assert len(data["items"]) == 3 and data["items"][0]["more_replies"] == 3
    seen = [c["id"] for c in data["items"]]
    pages = api_pages(client, f"{API}/articles/{a.pk}/comments?thread={root.pk}&skip=2")
    assert len(pages) == 2
    for p in pages:
        assert p["items"][0]["id"] == root.pk
        seen += [c["id"] for c in p["items"][1:]]
    assert seen == [root.pk] + list(
        Comment.objects.filter(parent=root)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    missing = client.get(f"{API}/articles/{a.pk}/comments?thread={seen[1]}")
    assert missing.status_code == 404


def test_api_thread_and_after_are_read_only_in_plain_digits(client):
    """`thread` and `after` are comment ids as `next` writes them: "01",
    "+1", " 1" and "1.0" answered the same page as "1", a second address
    (and cached copy) of every page; they are a 422 `invalid` naming the
    parameter, as a word is."""
    a = f.article()
    root = comment(a, 1)
    root.save()
    reply = comment(a, 2, parent=root, minutes=1)
    reply.save()
    base = f"{API}/articles/{a.pk}/comments"
    assert client.get(base, {"thread": root.pk, "after": reply.pk}).status_code == 200
    for odd in (f"0{root.pk}", f"+{root.pk}", f" {root.pk}", f"{root.pk}.0"):
        for name in ("thread", "after"):
            answer = client.get(base, {"thread": root.pk, name: odd})
            assert answer.status_code == 422, (name, odd)
            error = answer.json()["error"]
            assert error["code"] == "invalid" and name in error["message"]


def pack(values) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pack(["2026-02-30T00:00:00", 1]),
        pack(["9999-12-31T23:59:59-14:00", 1]),
        pack(["\ud800", 1]),
        pack(["2026-01-01T00:00:00", 2**64]),
        pack(["2026-01-01T00:00:00", True]),
        pack(["2026-01-01T00:00:00"]),
        pack({"a": 1}),
        "%%%",
        "x" * 500,
    ],
)
def test_api_crafted_cursor_is_400_bad_cursor(client, cursor):
    """A cursor that is not one of ours is 400 with the API's error shape."""
    a = f.article()
    build(a, 3)
    response = client.get(f"{API}/articles/{a.pk}/comments", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


def test_api_overlong_cursor_is_refused_like_on_every_paged_route(client):
    """A cursor longer than the shared `Cursor` type allows is a 422, not a 500."""
    a = f.article()
    response = client.get(f"{API}/articles/{a.pk}/comments", {"cursor": "x" * 600})
    assert response.status_code == 422


def test_reply_link_keeps_the_page_and_names_the_comment(client):
    """ "Reply" on page 2 opens the form replying to that comment, still on
    page 2 (the link keeps the page's start), without scripts."""
    a = f.article()
    by_root = build(a)
    base = a.get_absolute_url()
    page2_url = href(base, NEXT.search(client.get(base).content.decode()))
    page2 = client.get(page2_url).content.decode()
    target = list(by_root)[70]
    link = re.search(rf'class="comment__reply" href="([^"]*reply={target})#', page2)
    shown = client.get(href(page2_url, link)).content.decode()
    assert "comments_from=" in link.group(1)
    assert [int(pk) for pk, _ in IDS.findall(shown)] == [
        int(pk) for pk, _ in IDS.findall(page2)
    ]
    name = Comment.objects.get(pk=target).name
    assert f'Replying to <a href="#comment-{target}">{name}</a>' in shown
    assert f'name="parent" value="{target}"' in shown


def test_a_start_past_the_last_thread_says_so_and_links_back(client):
    """A well-formed start after the last thread is an empty page that says
    so and links to the first page, not "No comments yet"."""
    a = f.article()
    build(a, 3)
    response = client.get(
        a.get_absolute_url(), {"comments_from": "9999-01-01T00:00:00+00:00~1"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and not IDS.findall(html)
    assert "No comments here." in html and "No comments yet." not in html
    assert "Total Comments (" in html


def test_names_are_escaped_in_rows_and_more_replies_links(client, settings):
    """Names that look like markup show as text in every place a row names
    them: the name, "replying to", the hidden labels, "more replies"."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLIES_PER_THREAD": 1,
    }
    a = f.article()
    evil = '<img src=x onerror="alert(1)">'
    root = comment(a, 1)
    root.name = evil
    root.save()
    for i in range(3):
        reply = comment(a, 10 + i, parent=root, minutes=i + 1)
        reply.name = evil
        reply.save()
    moderation.recount([a.pk])
    html = client.get(a.get_absolute_url()).content.decode()
    rows = html.split('<ol class="comments__list">', 1)[1].split("</ol>", 1)[0]
    assert "<img" not in rows and 'onerror="' not in rows
    assert rows.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 5
    assert "2 more replies" in html


def test_feed_and_api_links_land_on_a_page_that_shows_the_comment(client, settings):
    """Each comment of the article's comments feed (RSS and Atom) and of the
    API links to a page that shows it: the first page, the page that starts
    at its thread, or its thread's own view past the replies a page shows,
    as the redirect after posting does. They linked the first page's anchor,
    so once an article had more than a page of threads its newest comments,
    the ones a feed lists, were not on the page a reader was sent to."""
    import feedparser

    settings.SITE_URL = "https://news.example"
    a = f.article()
    by_root = build(a)
    long_thread = Comment.objects.get(pk=list(by_root)[0])
    for i in range(7):  # the newest comments, past the five a page shows
        comment(a, 700 + i, parent=long_thread, minutes=500 + i).save()
    moderation.recount([a.pk])
    shown: dict[str, list[int]] = {}

    def lands(link: str) -> None:
        assert link.startswith("https://news.example/"), link
        url, _, anchor = link.removeprefix("https://news.example").partition("#")
        if url not in shown:
            response = client.get(url)
            assert response.status_code == 200, url
            shown[url] = [int(pk) for pk, _ in IDS.findall(response.content.decode())]
        assert int(anchor.removeprefix("comment-")) in shown[url], link

    for fmt in ("rss", "atom"):
        feed = client.get(f"/feeds/article/{a.slug}/comments/{fmt}/").content
        entries = feedparser.parse(feed).entries
        assert len(entries) == 50
        for entry in entries:
            lands(entry.link)
    for order in ("oldest", "newest"):
        items = client.get(f"{API}/articles/{a.pk}/comments?order={order}").json()
        for item in items["items"]:
            lands(item["url"])
    # The bulk form says what the redirect after posting says, one by one.
    sample = list(Comment.objects.filter(article=a).order_by("pk"))[::9]
    assert threads.links(a.pk, sample) == {c.pk: threads.link(c) for c in sample}


def test_the_link_in_a_reply_email_opens_the_page_that_shows_the_reply(
    client, settings, django_capture_on_commit_callbacks
):
    """A reply email's "Read it" link is a page that shows the reply: the page
    starting at its thread, or the thread's own view for a reply past those a
    page shows. It was the first page's anchor, where a reply to a thread on
    the third page of threads is not shown."""
    settings.SITE_URL = "https://news.example"
    a = f.article()
    by_root = build(a)
    parent = Comment.objects.get(pk=list(by_root)[110])
    Comment.objects.filter(pk=parent.pk).update(
        email="parent@example.org", notify_replies=True, replies_vouched=True
    )
    ReplyConsent.objects.create(email="parent@example.org")
    replies = []
    for i in range(7):  # past the five replies a page shows under a thread
        reply = comment(
            a, 800 + i, parent=parent, minutes=600 + i, status=Comment.Status.PENDING
        )
        reply.save()
        replies.append(reply)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status(replies, Comment.Status.APPROVED)
    links = [re.search(r"Read it: (\S+)", m.body).group(1) for m in mail.outbox]
    assert len(links) == 7
    anchors = set()
    for link in links:
        assert link.startswith("https://news.example/"), link
        url, _, anchor = link.removeprefix("https://news.example").partition("#")
        page = client.get(url)
        assert page.status_code == 200, url
        shown = [int(pk) for pk, _ in IDS.findall(page.content.decode())]
        assert int(anchor.removeprefix("comment-")) in shown, link
        anchors.add(int(anchor.removeprefix("comment-")))
    assert anchors == {r.pk for r in replies}


@pytest.mark.parametrize("meanwhile", ["answered", "removed"])
def test_api_thread_pages_neither_repeat_nor_skip_a_reply_posted_meanwhile(
    client, settings, meanwhile
):
    """The API promises keyset pages: "a comment posted meanwhile never
    shifts or repeats one". A thread's replies were paged by position
    (`skip`), so a nested reply posted between two page loads, earlier in
    reading order, pushed page one's last reply onto page two (seen twice),
    and a reply removed meanwhile pulled page two's first reply back onto
    page one (never seen). `next` now carries `after`, the last reply shown,
    and the next page starts after it."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLIES_PER_THREAD": 2,
        "REPLIES_PER_VIEW": 3,
    }
    a = f.article()
    root = comment(a, 1)
    root.save()
    first = [comment(a, 10 + i, parent=root, minutes=i + 1) for i in range(6)]
    for c in first:
        c.save()
    url = f"{API}/articles/{a.pk}/comments?thread={root.pk}"
    one = client.get(url).json()
    seen = [c["id"] for c in one["items"][1:]]
    assert seen == [c.pk for c in first[:3]]
    expected = [c.pk for c in first]
    if meanwhile == "answered":
        # A reader answers the first reply: in reading order it comes right
        # after it, before what page one showed after that.
        comment(a, 99, parent=first[0], minutes=30).save()
    else:
        Comment.objects.filter(pk=first[1].pk).update(status=Comment.Status.REMOVED)
    nxt = one["next"]
    while nxt:
        page = client.get(nxt).json()
        seen += [c["id"] for c in page["items"][1:]]
        nxt = page["next"]
    assert seen == expected, (meanwhile, seen, expected)


@pytest.mark.parametrize("meanwhile", ["answered", "removed"])
def test_a_threads_own_view_neither_repeats_nor_skips_a_reply_posted_meanwhile(
    client, settings, meanwhile
):
    """The page's "more replies" links paged by position too: a reply posted
    (or removed) earlier in the thread between two views showed a reader
    one reply twice (or never). The link now names the last reply shown
    (``comments_after``) and the next view starts after it."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLIES_PER_THREAD": 2,
        "REPLIES_PER_VIEW": 3,
    }
    a = f.article()
    root = comment(a, 1)
    root.save()
    first = [comment(a, 10 + i, parent=root, minutes=i + 1) for i in range(6)]
    for c in first:
        c.save()
    moderation.recount([a.pk])
    base = a.get_absolute_url()
    html = client.get(base).content.decode()
    seen = [int(pk) for pk, _ in IDS.findall(html)][1:]
    view = client.get(href(base, MORE.search(html))).content.decode()
    seen += [int(pk) for pk, _ in IDS.findall(view)][1:]
    assert seen == [c.pk for c in first[:5]]
    if meanwhile == "answered":
        comment(a, 99, parent=first[0], minutes=30).save()
    else:
        Comment.objects.filter(pk=first[1].pk).update(status=Comment.Status.REMOVED)
    moderation.recount([a.pk])
    more = MORE.search(view)
    while more:
        view = client.get(href(base, more)).content.decode()
        seen += [int(pk) for pk, _ in IDS.findall(view)][1:]
        more = MORE.search(view)
    assert seen == [c.pk for c in first], (meanwhile, seen)
