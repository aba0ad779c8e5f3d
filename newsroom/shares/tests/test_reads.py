"""Read counts: no write per view, one per visitor-day, capped per network,
batched flushes that add up exactly."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.shares import reads
from newsroom.shares.models import ReadCount, ShareVisit

from .conftest import UA

pytestmark = pytest.mark.django_db


def _writes(ctx) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    sql = [q["sql"].lstrip() for q in ctx.captured_queries]
    return [q for q in sql if q.startswith(verbs)]


def test_an_article_view_writes_nothing_to_the_database(reader):
    """Viewing an article buffers the read in memory; no INSERT/UPDATE runs."""
    a = f.article()
    with CaptureQueriesContext(connection) as ctx:
        assert reader.get(a.get_absolute_url()).status_code == 200
    assert _writes(ctx) == []
    assert reads.buffer.pending() == 1
    assert not ReadCount.objects.exists()


def visitor(n: int) -> Client:
    """Another browser in the reader's /24."""
    return Client(HTTP_USER_AGENT=f"{UA} v{n}", REMOTE_ADDR=f"203.0.113.{n}")


def test_flush_adds_buffered_views_to_hourly_rows(reader):
    """A flush writes the batch; a later flush adds to the same hour's row."""
    a, b = f.article(), f.article()
    for n in range(3):
        visitor(n).get(a.get_absolute_url())
    reader.get(b.get_absolute_url())
    assert reads.flush() == 4
    assert reads.buffer.pending() == 0
    visitor(9).get(a.get_absolute_url())
    assert reads.flush() == 1
    counts = dict(ReadCount.objects.values_list("article_id", "count"))
    assert counts == {a.pk: 4, b.pk: 1}
    assert ReadCount.objects.get(article=a).hour == reads.hour_of(timezone.now())
    assert reads.flush() == 0  # nothing waiting, nothing written


def test_the_batch_size_triggers_a_flush(reader, settings):
    """With no flusher thread, reaching NEWSROOM_READS_FLUSH_EVERY flushes."""
    settings.NEWSROOM_READS_FLUSH_EVERY = 3
    a = f.article()
    visitor(1).get(a.get_absolute_url())
    visitor(2).get(a.get_absolute_url())
    assert not ReadCount.objects.exists()
    visitor(3).get(a.get_absolute_url())
    assert ReadCount.objects.get(article=a).count == 3


def test_bots_prefetches_previews_and_heads_are_not_reads(reader, admin_client):
    """Only a person's GET of the public page counts."""
    a = f.article()
    Client(HTTP_USER_AGENT="Googlebot/2.1").get(a.get_absolute_url())
    reader.get(a.get_absolute_url(), HTTP_SEC_PURPOSE="prefetch")
    reader.get(a.get_absolute_url(), HTTP_SEC_PURPOSE="prefetch;prerender")
    reader.get(a.get_absolute_url(), HTTP_PURPOSE="prefetch")
    reader.get(a.get_absolute_url(), HTTP_X_MOZ="prefetch")
    reader.get(a.get_absolute_url(), HTTP_X_PURPOSE="preview")
    reader.head(a.get_absolute_url())
    admin_client.get(f"/preview/{a.pk}/", HTTP_USER_AGENT=UA)
    assert reads.buffer.pending() == 0


def test_views_of_deleted_articles_are_dropped_not_retried(reader):
    """A flush skips articles deleted since their view, and keeps the rest."""
    a, gone = f.article(), f.article()
    reader.get(a.get_absolute_url())
    reader.get(gone.get_absolute_url())
    gone.delete()
    assert reads.flush() == 1
    assert reads.buffer.pending() == 0
    assert list(ReadCount.objects.values_list("article_id", flat=True)) == [a.pk]


@pytest.mark.django_db(transaction=True)
def test_an_article_deleted_while_its_reads_are_written_spoils_no_flush(
    reader, monkeypatch
):
    """A story deleted after the flush has accepted its views and before it
    writes them: its reads go with it, the others' are written. The write
    broke the foreign key at COMMIT, and every later flush of the process
    tried the same rows again: no read of any story was written until the
    worker ended, and then they were lost."""
    a, gone = f.article(), f.article()
    reader.get(a.get_absolute_url())
    reader.get(gone.get_absolute_url())
    real_accept, gone_pk = reads._accept, gone.pk

    def deleted_meanwhile(views):
        accepted = real_accept(views)
        # An editor's request, between the two transactions.
        Article.objects.filter(pk=gone_pk).delete()
        return accepted

    monkeypatch.setattr(reads, "_accept", deleted_meanwhile)
    assert reads.flush() == 1
    assert reads.buffer.pending() == 0
    assert dict(ReadCount.objects.values_list("article_id", "count")) == {a.pk: 1}
    visitor(5).get(a.get_absolute_url())
    assert reads.flush() == 1
    assert ReadCount.objects.get(article=a).count == 2


def test_old_buckets_and_visits_are_pruned(settings):
    """Rows older than NEWSROOM_STATS_KEEP_DAYS go; recent ones stay."""
    settings.NEWSROOM_STATS_KEEP_DAYS = 8
    a = f.article()
    now = timezone.now()
    old, recent = now - timedelta(days=9), now - timedelta(days=6)
    ReadCount.objects.create(article=a, hour=reads.hour_of(old), count=5)
    ReadCount.objects.create(article=a, hour=reads.hour_of(recent), count=2)
    ShareVisit.objects.create(key="a" * 64, article=a, network="x", created_at=old)
    ShareVisit.objects.create(key="b" * 64, article=a, network="x", created_at=recent)
    assert reads.prune_stats(now) == (1, 1)
    assert ReadCount.objects.get().count == 2
    assert ShareVisit.objects.get().key == "b" * 64


@pytest.mark.django_db(transaction=True)
def test_the_flusher_thread_writes_views_in_the_background(reader, settings):
    """With NEWSROOM_READS_FLUSH_SECONDS set, views reach the database without
    any request writing them, and the thread stops when switched off."""
    import time

    a = f.article()
    settings.NEWSROOM_READS_FLUSH_SECONDS = 1
    try:
        with CaptureQueriesContext(connection) as ctx:
            visitor(1).get(a.get_absolute_url())
            visitor(2).get(a.get_absolute_url())
        assert _writes(ctx) == []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = ReadCount.objects.filter(article=a).first()
            if row and row.count == 2:
                break
            time.sleep(0.1)
        assert ReadCount.objects.get(article=a).count == 2
    finally:
        settings.NEWSROOM_READS_FLUSH_SECONDS = 0
        reads.buffer.stop()
    assert reads.buffer._thread is None


def test_a_visitor_counts_once_a_day_across_flushes_and_processes(reader):
    """Reloads and repeat views (inside 30 minutes, or later that day) are one
    read, even when another flush (as another worker would) sees them; the
    same visitor's view of another article is its own read."""
    a, b = f.article(), f.article()
    for _ in range(5):
        reader.get(a.get_absolute_url())
    assert reads.buffer.pending() == 1
    assert reads.flush() == 1
    reader.get(a.get_absolute_url())  # a later view, as another process sees it
    reader.get(b.get_absolute_url())
    assert reads.flush() == 1
    counts = dict(ReadCount.objects.values_list("article_id", "count"))
    assert counts == {a.pk: 1, b.pk: 1}


def test_one_network_adds_at_most_the_daily_cap_whatever_its_agents(settings):
    """25 'visitors' (user agents) from one /24 add 20 reads to an article;
    another /24 and another article are counted apart; 0 lifts the cap."""
    settings.NEWSROOM_READS_PER_NETWORK_DAY = 20
    a, b = f.article(), f.article()
    for n in range(25):
        visitor(n).get(a.get_absolute_url())
    visitor(0).get(b.get_absolute_url())
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.1").get(a.get_absolute_url())
    assert reads.flush() == 22
    counts = dict(ReadCount.objects.values_list("article_id", "count"))
    assert counts == {a.pk: 21, b.pk: 1}
    settings.NEWSROOM_READS_PER_NETWORK_DAY = 0
    visitor(99).get(a.get_absolute_url())
    assert reads.flush() == 1


def test_nothing_about_the_reader_is_kept_in_the_database(reader):
    """After a flush the database holds numbers and hashes: no address, no
    user agent."""
    from newsroom.core.models import RateCounter, SpentToken

    a = f.article()
    reader.get(a.get_absolute_url())
    reads.flush()
    stored = " ".join(
        str(list(m.objects.values()))
        for m in (ReadCount, SpentToken, RateCounter, ShareVisit)
    )
    assert "Firefox" not in stored and "203.0.113.7" not in stored


def test_a_repeat_view_across_midnight_inside_30_minutes_is_one_read():
    """The visitor key changes with the day, so without more a view at 23:50
    and the same reader's reload at 00:05 were two reads. Repeat views inside
    30 minutes never count, midnight or not; a view 40 minutes into the new
    day is that day's read."""
    from django.test import RequestFactory

    a = f.article()
    request = RequestFactory().get(
        a.get_absolute_url(), HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.9"
    )
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    assert reads.record_read(request, a.pk, now=midnight - timedelta(minutes=10))
    assert reads.flush() == 1
    assert reads.record_read(request, a.pk, now=midnight + timedelta(minutes=5))
    assert reads.flush() == 0
    # Another reader at the same minutes is their own read.
    other = RequestFactory().get(
        a.get_absolute_url(), HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.7"
    )
    assert reads.record_read(other, a.pk, now=midnight + timedelta(minutes=5))
    assert reads.flush() == 1
    # The first reader, well into the new day: the new day's one read.
    later = RequestFactory().get(
        a.get_absolute_url(), HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.9"
    )
    assert reads.record_read(later, a.pk, now=midnight + timedelta(minutes=40))
    assert reads.flush() == 1


def test_a_flush_writes_its_rows_in_one_order_every_process_shares():
    """A flush inserts and updates its hourly rows in (article, hour) order:
    two workers' flushes of the same rows then lock them in the same order
    and cannot deadlock on PostgreSQL. The inserts went in the buffer's
    order (the order readers came), the updates sorted."""
    import re

    stories = [f.article(f"Story {n}") for n in range(4)]
    for n, story in enumerate(reversed(stories)):  # read newest first
        visitor(n).get(story.get_absolute_url())
    with CaptureQueriesContext(connection) as ctx:
        assert reads.flush() == 4
    inserts = [q for q in _writes(ctx) if q.startswith("INSERT") and "readcount" in q]
    assert len(inserts) == 1, inserts
    sql = inserts[0]
    if "UNNEST" in sql:  # PostgreSQL: one array per column, article ids first
        ids = [int(n) for n in re.search(r"'\{([\d,]+)\}'", sql).group(1).split(",")]
    else:  # the article id leads each row's values
        ids = [int(n) for n in re.findall(r"\((\d+),", sql.split("VALUES", 1)[1])]
    assert ids == sorted(s.pk for s in stories), ids


@pytest.fixture
def limits_in_a_shared_cache(settings):
    """Spends and caps in a cache every process would share (as with Redis),
    so a flush's first step writes nothing to the database."""
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "reads-shared-limits",
        },
    }
    settings.NEWSROOM_LIMITS_STORE = "shared"
    caches["shared"].clear()


def _read_counts_refused(on: bool) -> None:
    """The database refuses to write read counts: read-only on PostgreSQL (a
    failover to a replica); on SQLite, where even the flush's first step
    takes the write lock, a trigger refuses the read-count rows."""
    table = ReadCount._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute(
                f"SET default_transaction_read_only = {'on' if on else 'off'}"
            )
        elif on:
            for verb in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"CREATE TEMP TRIGGER refuse_{verb.lower()} BEFORE {verb} "
                    f"ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
        else:
            cursor.execute("DROP TRIGGER temp.refuse_insert")
            cursor.execute("DROP TRIGGER temp.refuse_update")


@pytest.mark.django_db(transaction=True)
def test_reads_kept_after_a_failed_write_survive_a_story_deleted_meanwhile(
    limits_in_a_shared_cache,
):
    """A flush whose write the database refused keeps the reads it accepted
    for the next one; a story deleted meanwhile loses its own, and the rest
    are written. (The next write failed on the deleted story's foreign key,
    and so did every later one: that process never wrote a read again.)"""
    a, b = f.article(), f.article()
    visitor(1).get(a.get_absolute_url())
    visitor(2).get(b.get_absolute_url())
    _read_counts_refused(True)
    try:
        assert reads.flush() == 0
    finally:
        _read_counts_refused(False)
    assert reads.buffer.pending() == 2
    b.delete()
    assert reads.flush() == 1
    assert dict(ReadCount.objects.values_list("article_id", "count")) == {a.pk: 1}
    assert reads.buffer.pending() == 0


FETCHERS = [
    "Mastodon/4.2.8 (http.rb/5.1.1; +https://mastodon.social/)",
    "http.rb/5.1.1 (Mastodon/4.2.8; +https://fosstodon.org/)",
    "Pleroma 2.6.2; https://pleroma.example <admin@pleroma.example>",
    "Akkoma 3.10.2; https://akkoma.example <admin@akkoma.example>",
    "Misskey/2024.2.0 (https://misskey.io)",
    "Friendica 'Yellow Archangel' 2023.12-1541; https://friendica.example",
    "Bluesky Cardyb/1.1",
    "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "Discourse Forum Onebox v3.2.0",
    "axios/1.6.7",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "undici",
    "PostmanRuntime/7.36.0",
    "Mediapartners-Google",
]


def test_link_previews_of_social_servers_and_scripted_fetchers_are_not_reads():
    """A story posted on the fediverse is fetched by every server whose users
    see the post, each from its own network, to draw its preview card; those
    fetches (and other preview and script clients) are no reader. Each one
    counted a read, one per server, past any network's cap."""
    a = f.article()
    for n, agent in enumerate(FETCHERS):
        Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=f"198.51.{n}.20").get(
            a.get_absolute_url()
        )
    assert reads.buffer.pending() == 0
    visitor(1).get(a.get_absolute_url())  # a person still counts
    assert reads.buffer.pending() == 1


def test_the_read_cap_is_a_rolling_day_not_one_that_ends_at_midnight(
    settings, monkeypatch
):
    """20 reads from one network at 23:59 UTC and 20 more at 00:01 added 40
    in two minutes; the cap is now over the last 24 hours."""
    from newsroom.core import limits

    settings.NEWSROOM_READS_PER_NETWORK_DAY = 20
    day = 86_400
    # 23:59 UTC tonight: near the real clock, which prunes spent windows.
    now = [(limits.time.time() // day + 1) * day - 60.0]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    a = f.article()
    for n in range(20):
        visitor(n).get(a.get_absolute_url())
    assert reads.flush() == 20
    now[0] += 120  # 00:01
    for n in range(20, 40):
        visitor(n).get(a.get_absolute_url())
    assert reads.flush() == 0
    assert ReadCount.objects.get(article=a).count == 20
