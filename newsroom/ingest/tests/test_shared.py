"""The shared files: the seed page, the real WordPress export, the corpora.

Each test skips with a reason when ../shared is absent.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from xml.dom import minidom

import pytest
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.comments.models import Comment
from newsroom.ingest.sources import list_files

from .conftest import index_agrees

pytestmark = pytest.mark.django_db

SEED_HEADLINE = "US-backed forces breach wall in Syria ISIS stronghold Raqqa"


def test_seed_page_imports_as_one_clean_article(seed_page, run_import, tmp_path):
    """The crawled seed page becomes one article: its headline, every prose
    paragraph and quote of the page, and none of the site chrome around it."""
    (tmp_path / "seed.txt").write_text(seed_page, encoding="utf-8")
    run = run_import(tmp_path / "seed.txt")
    assert "1 created" in run.out
    article = Article.objects.get()
    assert article.headline == SEED_HEADLINE
    lines = [line.strip() for line in seed_page.splitlines() if line.strip()]
    prose = [line for line in lines if len(line.split()) >= 8 and line != SEED_HEADLINE]
    text = article.body.replace("\\", "")
    for paragraph in prose:
        assert paragraph in text, paragraph[:60]
    assert article.body_html.count("<p>") == len(prose)
    assert text.count('"') == sum(p.count('"') for p in prose)  # quotes kept whole
    chrome = [line for line in lines if line not in prose and line != SEED_HEADLINE]
    assert len(chrome) >= 5  # the page does carry chrome to remove
    for line in chrome:
        assert line not in text, line


def test_seed_reimport_adds_nothing(seed_page, run_import, tmp_path):
    """A crawled page has no id: its text is its identity, so a re-run skips it."""
    (tmp_path / "seed.txt").write_text(seed_page, encoding="utf-8")
    run_import(tmp_path / "seed.txt")
    assert "1 unchanged" in run_import(tmp_path / "seed.txt").out
    assert Article.objects.count() == 1


def repeated_posts(export) -> int:
    """Posts whose headline and body repeat an earlier post (read with minidom,
    independently of the importer): the corpus behind the export has some."""
    seen, repeats = set(), 0
    for item in minidom.parse(gzip.open(export)).getElementsByTagName("item"):
        texts = []
        for tag in ("title", "content:encoded"):
            node = item.getElementsByTagName(tag)[0].firstChild
            texts.append(" ".join((node.data if node else "").split()).casefold())
        repeats += tuple(texts) in seen
        seen.add(tuple(texts))
    return repeats


def test_real_wordpress_export(shared_data, run_import, fresh_index):
    """WordPress 6.1's own export: 176 posts (174 published, 1 draft, 1
    scheduled) of which a few repeat another post word for word and are
    skipped as duplicates (reported one line each); categories and tags
    (R&D, Net cafés), 36 comments with their states; comment counts are the
    approved comments; the index agrees with the database; a re-run adds
    nothing."""
    export = shared_data / "wordpress-export" / "export.wxr.gz"
    if not export.exists():
        pytest.skip(f"{export} is absent")
    repeats = repeated_posts(export)
    run = run_import(export)
    assert f"176 read, {176 - repeats} created" in run.out
    assert f"{repeats} duplicates" in run.out and "36 comments" in run.out
    assert not run.bad_lines
    assert len(run.duplicate_lines) == repeats
    wp = Article.objects.filter(source__startswith="wordpress:")
    assert wp.count() == 176 - repeats
    assert wp.filter(status=Article.Status.DRAFT).count() == 1
    # The "future" post (2026-11-30 09:00 UTC) is scheduled until its time comes.
    future = wp.get(published_at=datetime(2026, 11, 30, 9, tzinfo=UTC))
    assert future.status == (
        Article.Status.SCHEDULED
        if future.published_at > timezone.now()
        else Article.Status.PUBLISHED
    )
    assert (
        wp.filter(
            status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED]
        ).count()
        == 175 - repeats
    )
    tags = set(wp.values_list("tags__name", flat=True))
    assert {"R&D", "Net cafés"} <= tags
    assert wp.filter(tags__slug="net-cafes").exists()
    assert set(wp.values_list("section__slug", flat=True)) == {"tech"}
    states = Comment.objects.values_list("status", flat=True)
    assert sorted(set(states)) == ["approved", "pending", "removed"]
    assert list(states).count("approved") == 26
    assert list(states).count("pending") == 7
    assert list(states).count("removed") == 3
    assert Comment.objects.filter(parent__isnull=False).count() == 12
    for article in wp.filter(comments__isnull=False).distinct():
        assert (
            article.comment_count
            == article.comments.filter(status=Comment.Status.APPROVED).count()
        )
    in_index, expected = index_agrees(fresh_index)
    assert in_index == expected and len(expected) == 175 - repeats
    again = run_import(export)
    assert f"0 created, 0 updated, {176 - repeats} unchanged" in again.out
    assert Comment.objects.count() == 36


def test_shared_corpus_jsonl_gz(shared_data, run_import):
    """A shared corpus file (gzip JSON Lines) imports; Reuters' untitled items
    are reported as bad records with their line numbers, never fatal."""
    path = shared_data / "reuters21578" / "articles.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    run = run_import(path, "--limit", "1500")
    created = int(re.search(r"(\d+) created", run.out).group(1))
    bad = int(re.search(r"(\d+) bad", run.out).group(1))
    assert created > 1300 and bad == len(run.bad_lines)
    assert all(
        re.match(r"bad record articles\.jsonl\.gz:\d+: ", b) for b in run.bad_lines
    )
    assert Article.objects.count() == created


def test_benchmark_pages_import_with_metadata(shared_data, run_import, tmp_path):
    """A few pages of the extraction benchmark import through the HTML reader
    with a headline and a body of real length."""
    html_dir = shared_data / "article-extraction-benchmark" / "html"
    if not html_dir.is_dir():
        pytest.skip(f"{html_dir} is absent")
    for path in list_files(html_dir)[:5]:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    run = run_import(tmp_path)
    assert "5 read, 5 created" in run.out
    for article in Article.objects.all():
        assert article.headline and len(article.body.split()) > 50
