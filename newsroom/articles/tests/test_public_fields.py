"""The comment intake's article lookup, compiled once (newsroom.db.prepared)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from newsroom.articles.models import Article, public_fields
from newsroom.db.prepared import Prepared

from . import factories as f

pytestmark = pytest.mark.django_db

FIELDS = ("id", "slug", "status", "published_at", "comments_enabled")


def test_public_fields_answers_as_the_orm_does_for_every_kind_of_article():
    """Published, due and future scheduled, draft, in review, missing, 0 and
    past 64 bits: the prepared lookup finds exactly the articles the ORM's
    ``public_one`` finds, with the same values, converted (an aware datetime,
    a bool)."""
    now = timezone.now()
    closed = f.article("Open story, comments closed", comments_enabled=False)
    due = f.article("Due", status="scheduled", published_at=now - timedelta(seconds=5))
    future = f.article(
        "Later", status="scheduled", published_at=now + timedelta(hours=1)
    )
    draft = f.article("Draft", status="draft")
    review = f.article("Review", status="review")
    ids = [closed.pk, due.pk, future.pk, draft.pk, review.pk, 0, 10**9, 2**63]
    for pk in ids:
        want = Article.objects.only(*FIELDS).public_one(pk=pk) if pk < 2**63 else None
        got = public_fields(pk, FIELDS)
        assert (got is None) == (want is None), pk
        if want is not None:
            assert got is not None
            for name in FIELDS:
                assert getattr(got, name) == getattr(want, name), (pk, name)
    got = public_fields(closed.pk, FIELDS)
    assert got is not None
    assert got.comments_enabled is False
    assert isinstance(got.published_at, datetime) and got.published_at.tzinfo
    assert got.headline == "Open story, comments closed"  # deferred, loaded on use


def test_a_withdrawn_article_is_not_found_at_once():
    """No cache between the lookup and the database: the next lookup after a
    withdrawal (in any process) finds nothing."""
    story = f.article("Soon withdrawn")
    assert public_fields(story.pk, FIELDS) is not None
    Article.objects.filter(pk=story.pk).update(status="draft")  # no signal
    assert public_fields(story.pk, FIELDS) is None


def test_prepared_refuses_a_value_that_is_not_a_whole_parameter():
    """A value the SQL only holds part of (inside LIKE) cannot be swapped in:
    the query is refused when first built, not run with the sample."""
    query = Prepared(
        lambda text: Article.objects.filter(headline__icontains=text).values_list("pk"),
        text=str,
    )
    with pytest.raises(ValueError, match="not whole SQL parameters"):
        query.rows(text="x")


def test_prepared_shape_is_part_of_the_key():
    """The shape (here the LIMIT) builds its own SQL; values change per run."""
    for n in range(3):
        f.article(f"Shape {n}", section_name="Shapes")
    query = Prepared(
        lambda count, name: (
            Article.objects.filter(section__name=name)
            .order_by("pk")
            .values_list("headline", flat=True)[:count]
        ),
        name=str,
    )
    assert len(query.rows(1, name="Shapes")) == 1
    assert len(query.rows(3, name="Shapes")) == 3
    assert query.rows(3, name="Nowhere") == []
