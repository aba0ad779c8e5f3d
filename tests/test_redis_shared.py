"""With REDIS_URL set, what used to be per process holds across processes:
rate limits, single-use spends and the front cache's invalidation.

Against the real Redis at 127.0.0.1:6379 (database 11, a key prefix of this
run's own; nothing is flushed). Skipped with the reason when no Redis
answers; in CI a missing Redis fails (.ci/run starts one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from newsroom.settings.base import caches_from_url

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("NEWSROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL} in CI ({exc}): .ci/run starts one")
        pytest.skip(f"no Redis answers at {REDIS_URL} ({exc})")
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    return f"newsroom-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def shared_cache(settings, redis_url, prefix):
    """This process's default cache is the shared Redis one, as REDIS_URL makes it."""
    settings.CACHES = caches_from_url(redis_url, prefix)
    settings.NEWSROOM_LIMITS_STORE = ""
    yield
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_redis_url_makes_djangos_redis_cache_the_default():
    """REDIS_URL set: Django's built-in Redis backend (made to fail soft,
    tests/test_redis_outage.py), shared; unset: per process."""
    from django.core.cache.backends.redis import RedisCache
    from django.utils.module_loading import import_string

    shared = caches_from_url("redis://cache.internal:6379/0", "newsroom")["default"]
    assert shared["BACKEND"] == "newsroom.core.cache.ResilientRedisCache"
    assert issubclass(import_string(shared["BACKEND"]), RedisCache)
    assert shared["LOCATION"] == "redis://cache.internal:6379/0"
    alone = caches_from_url("", "newsroom")["default"]
    assert alone["BACKEND"].endswith("LocMemCache")
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/11"}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings.prod"
    env["SECRET_KEY"] = "x" * 50
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from newsroom.core import limits; "
            "from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'], limits.store())",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.split() == [
        "newsroom.core.cache.ResilientRedisCache",
        "default",
    ], out.stderr


CHILD = textwrap.dedent(
    """
    import json, sys, time
    import django
    from django.conf import settings
    django.setup()
    from newsroom.core import limits
    start, scope, token = float(sys.argv[1]), sys.argv[2], sys.argv[3]
    while time.time() < start:
        time.sleep(0.001)
    allowed = sum(limits.hit(scope, "net", 15, 60).allowed for _ in range(10))
    print(json.dumps({"allowed": allowed, "spent": limits.spend_once(token, 60)}))
    """
)


def children_settings(tmp_path: Path, redis_url: str, prefix: str) -> dict:
    (tmp_path / "redis_child_settings.py").write_text(
        "from newsroom.settings.test import *  # noqa\n"
        "from newsroom.settings.base import caches_from_url\n"
        f"CACHES = caches_from_url({redis_url!r}, {prefix!r})\n"
        "NEWSROOM_LIMITS_STORE = ''\n"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "redis_child_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }


def test_a_rate_limit_and_a_spend_hold_across_processes(tmp_path, redis_url, prefix):
    """Four processes, released at one instant, send 40 hits against a limit
    of 15 and each spends the same code: exactly 15 are allowed in all, and
    exactly one spend succeeds (per process, it would be 40 and 4)."""
    env = children_settings(tmp_path, redis_url, prefix)
    (tmp_path / "child.py").write_text(CHILD)
    start = time.time() + 6
    scope, token = f"test-{uuid.uuid4().hex}", f"code-{uuid.uuid4().hex}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "child.py"), str(start), scope, token],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["allowed"] for r in results) == 15
    assert sum(r["spent"] for r in results) == 1


@pytest.mark.django_db
def test_an_edit_empties_every_process_front_cache(shared_cache, settings):
    """Two front caches (two processes) keep a page; an article saved through
    either empties both within a second, long before the page's TTL."""
    from django.core import signals
    from django.db import close_old_connections

    from newsroom.articles.tests import factories as f
    from newsroom.web import front
    from newsroom.web.tests.test_front import Django, call

    settings.NEWSROOM_PAGE_CACHE_SECONDS = 60
    art = f.article("Kept headline")
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        one, two = front.FrontCache(Django()), front.FrontCache(Django())
        path = f"/article/{art.slug}/"
        for cache in (one, two):
            assert "Kept headline" in call(cache, path).html
            assert not call(cache, path).from_django  # kept
        art.headline = "Changed headline"
        art.save()  # through the model: post_save bumps the shared version
        time.sleep(front.VERSION_CHECK + 0.1)
        for cache in (one, two):
            assert "Changed headline" in call(cache, path).html
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=True)
def test_a_post_retried_after_database_is_locked_is_not_taken_for_a_replay(
    shared_cache, client, monkeypatch, settings
):
    """With spends in Redis, the intake's retry after "database is locked"
    stores the comment: the first try's stamp spend, which the rolled-back
    transaction cannot undo, is not counted against it. The stamp stays
    single-use: posting the same form again is refused."""
    from django.db import OperationalError

    from newsroom.articles.tests import factories as f
    from newsroom.comments.models import Comment
    from newsroom.comments.tests.helpers import form_data
    from newsroom.core import limits

    assert limits.store() == "default"
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0
    article = f.article()
    real_save, calls = Comment.save, []

    def locked_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Comment, "save", locked_once)
    data = form_data(client, article)
    response = client.post(f"/comments/post/{article.pk}/", data)
    assert response.status_code == 303, response.get("X-Comment-Refusal")
    assert len(calls) == 2
    assert Comment.objects.filter(article=article).count() == 1
    again = form_data(
        client, article, stamp=data["stamp"], body="Other words, the same form."
    )
    replay = client.post(f"/comments/post/{article.pk}/", again)
    assert replay.status_code == 400
    assert replay["X-Comment-Refusal"] == "stamp_used"
    assert Comment.objects.filter(article=article).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_feed_read_while_a_withdrawal_commits_is_not_kept_past_it(
    shared_cache, client
):
    """An editor withdraws a story; a reader asks for the feed after the
    save's signal moved the shared version but before the save committed.
    That reader's feed still lists the story, and it was kept under the new
    version, so every node served the withdrawn story for the feed's whole
    lifetime (60 s; the related lists 600 s). The version moves again at the
    commit, so the next reader gets the feed without it."""
    import threading

    from django.db import connections, transaction

    from newsroom.articles.models import Article
    from newsroom.articles.tests import factories as f
    from newsroom.core import versions

    story = f.article("A story about to be withdrawn")
    assert story.slug in client.get("/feeds/rss/").content.decode()
    bumped, read = threading.Event(), threading.Event()

    def withdraw() -> None:
        try:
            with transaction.atomic():
                story.status = Article.Status.DRAFT
                story.save()  # post_save bumps the shared version
                bumped.set()
                read.wait(timeout=30)  # the rest of the admin's transaction
        finally:
            connections.close_all()

    writer = threading.Thread(target=withdraw)
    writer.start()
    assert bumped.wait(timeout=30)
    versions.current(fresh=True)
    during = client.get("/feeds/rss/").content.decode()
    read.set()
    writer.join(timeout=30)
    assert story.slug in during  # not committed yet: the reader still sees it
    versions.current(fresh=True)
    assert story.slug not in client.get("/feeds/rss/").content.decode()


@pytest.mark.django_db
def test_an_unspent_durable_token_can_be_spent_again(shared_cache):
    """A durable spend is in Redis and in the database; ``unspend`` clears
    both (a confirmation mail the relay refused), so the next spend is the
    first again, and then spent as before."""
    from newsroom.core import limits
    from newsroom.core.models import SpentToken

    assert limits.spend_once("mail:ada", 60, durable=True)
    assert not limits.spend_once("mail:ada", 60, durable=True)
    limits.unspend("mail:ada")
    assert not SpentToken.objects.exists()
    assert limits.spend_once("mail:ada", 60, durable=True)
    assert not limits.spend_once("mail:ada", 60, durable=True)
