"""Most read, most shared and most commented lists over 24 hours and 7 days."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.shares import popular, reads
from newsroom.shares.models import ReadCount, ShareVisit

pytestmark = pytest.mark.django_db


def _reads(article, n, hours_ago=0):
    hour = reads.hour_of(timezone.now() - timedelta(hours=hours_ago))
    ReadCount.objects.create(article=article, hour=hour, count=n)


def test_most_read_ranks_by_views_within_each_window():
    """Today's list counts the last 24 h only; the week's list sums 7 days."""
    hot, steady, old = f.article("Hot today"), f.article("Steady"), f.article("Old")
    _reads(hot, 50)
    _reads(steady, 30)
    _reads(steady, 40, hours_ago=48)
    _reads(old, 500, hours_ago=24 * 9)
    day = popular.most("read", "24h")
    week = popular.most("read", "7d")
    assert [a.headline for a in day] == ["Hot today", "Steady"]
    assert [a.score for a in day] == [50, 30]
    assert [a.headline for a in week] == ["Steady", "Hot today"]
    assert "Old" not in [a.headline for a in week]


def test_lists_hold_only_public_articles_and_respect_the_section():
    """An unpublished article never appears; a section's list is its own."""
    world = f.article("World story", section_name="World")
    sport = f.article("Sport story", section_name="Sport")
    hidden = f.article("Now a draft", section_name="World")
    for a in (world, sport, hidden):
        _reads(a, 10)
    hidden.status = "draft"
    hidden.save()
    assert {a.headline for a in popular.most("read")} == {"World story", "Sport story"}
    in_world = popular.most("read", section=world.section)
    assert [a.headline for a in in_world] == ["World story"]


def test_most_shared_counts_counted_shares_in_the_window():
    """Shares counted within the window rank articles; older ones drop out."""
    a, b = f.article("Shared a lot"), f.article("Shared once")
    now = timezone.now()
    for i in range(3):
        ShareVisit.objects.create(key=f"a{i}".ljust(64, "0"), article=a, network="x")
    ShareVisit.objects.create(key="b".ljust(64, "0"), article=b, network="x")
    ShareVisit.objects.create(
        key="c".ljust(64, "0"),
        article=b,
        network="email",
        created_at=now - timedelta(days=3),
    )
    assert [(x.headline, x.score) for x in popular.most("shared", "24h")] == [
        ("Shared a lot", 3),
        ("Shared once", 1),
    ]
    assert [x.score for x in popular.most("shared", "7d")] == [3, 2]


def test_most_commented_counts_approved_comments():
    """Approved comments of the window rank articles; others do not count."""
    try:
        comment = apps.get_model("comments", "Comment")
    except LookupError:
        pytest.skip("newsroom.comments has no Comment model yet")
    a, b = f.article("Much discussed"), f.article("Quiet")
    approved = comment.Status.APPROVED
    pending = getattr(comment.Status, "PENDING", None)
    for i in range(3):
        comment.objects.create(article=a, name=f"R{i}", body="Yes.", status=approved)
    comment.objects.create(article=b, name="R", body="Hm.", status=approved)
    if pending:
        for i in range(5):
            comment.objects.create(article=b, name=f"P{i}", body="?", status=pending)
    ranked = popular.most("commented", "24h")
    scores = [(x.headline, x.score) for x in ranked]
    assert scores == [("Much discussed", 3), ("Quiet", 1)]


def test_home_and_section_pages_show_the_lists(client):
    """The home page and a section page carry the popular lists."""
    a = f.article("The most read story", section_name="Science")
    _reads(a, 12)
    ShareVisit.objects.create(key="k".ljust(64, "0"), article=a, network="x")
    home = client.get("/").content.decode()
    assert "Most read" in home and "Most shared" in home
    assert 'data-most="read-24h"' in home and "(12 reads)" in home
    assert 'data-most="shared-7d"' in home and "(1 share)" in home
    section = client.get("/section/science/").content.decode()
    assert "Popular in Science" in section and "(12 reads)" in section
    other = f.article("Elsewhere", section_name="Sport")
    assert "Popular in" not in client.get("/section/sport/").content.decode()
    assert other.pk


def test_unknown_lists_are_refused():
    """A list kind or window that does not exist is a clear error."""
    with pytest.raises(ValueError):
        popular.most("liked")
    with pytest.raises(ValueError):
        popular.most("read", "1y")
