"""Pruning the outbox removes only rows the index has applied and that are old."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search.models import IndexChange

pytestmark = pytest.mark.django_db


def test_prune_keeps_unapplied_and_recent_rows(search_backend, index_now, monkeypatch):
    """Old applied rows go; rows not yet applied, or recent, stay."""
    # On PostgreSQL earlier tests moved the id sequence on: the ids below
    # this test's first row look like transactions in flight and would hold
    # the watermark back for HOLE_GRACE seconds. None is in flight here.
    monkeypatch.setattr("newsroom.search.indexer.HOLE_GRACE", 0.0)
    for n in range(3):
        f.article(f"Applied story {n}")
    index_now()
    applied = search_backend.last_outbox_id()
    assert applied > 0
    IndexChange.objects.filter(id__lte=applied).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    f.article("Not yet applied")  # a row past the watermark
    unapplied = IndexChange.objects.filter(id__gt=applied).count()
    assert unapplied >= 1
    IndexChange.objects.filter(id__gt=applied).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    call_command("prune_search_outbox", "--days", "7")
    assert not IndexChange.objects.filter(id__lte=applied).exists()
    assert IndexChange.objects.filter(id__gt=applied).count() == unapplied
    # Applied but recent: survives.
    index_now()  # the old rows are applied now
    before = set(IndexChange.objects.values_list("id", flat=True))
    f.article("Fresh story")
    index_now()
    call_command("prune_search_outbox", "--days", "7")
    left = set(IndexChange.objects.values_list("id", flat=True))
    assert left and not left & before  # old applied rows gone, fresh ones kept
    assert min(left) > max(before)


def test_prune_refuses_a_negative_age(search_backend):
    with pytest.raises(CommandError):
        call_command("prune_search_outbox", "--days", "-1")
