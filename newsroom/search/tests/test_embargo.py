"""Nothing unpublished leaks through search: the index holds only what is
public now, scheduled articles join it when due, and hits are checked against
the database so a lagging index never shows a withdrawn story."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search.backends.base import SearchRequest
from newsroom.search.indexer import Indexer, rebuild
from newsroom.search.query import parse

pytestmark = pytest.mark.django_db


def found(backend, text: str) -> list[int]:
    return [h.id for h in backend.search(SearchRequest(parse(text), limit=50)).hits]


def scheduled(headline: str, seconds: float = 3600, **fields) -> Article:
    return f.article(
        headline,
        status="scheduled",
        published_at=timezone.now() + timedelta(seconds=seconds),
        **fields,
    )


def release(article: Article) -> None:
    """Its time comes now: no save, so no outbox row (as when the clock
    moves on; the index has swept for due articles up to an earlier time)."""
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now())


def test_suggest_and_did_you_mean_never_offer_an_embargoed_word(
    client, search_backend, index_now
):
    """A word found only in a scheduled article is offered neither by
    /search/suggest nor by "did you mean"/respelling on the page or in the
    API; once the article comes due and the indexer runs, it is offered."""
    f.article("Orchestra plays in the park", body="Music for everyone.")
    embargoed = scheduled("Symphony premiere announced", body="A new symphony.")
    index_now()
    data = client.get("/search/suggest", {"q": "symph"}).json()
    assert data["terms"] == [] and data["headlines"] == []
    html = client.get("/search/", {"q": "symphny"}).content.decode()
    assert "symphony" not in html.lower()
    api = client.get("/api/v1/search", {"q": "symphny"}).json()
    assert "symphony" not in str(api).lower()
    assert search_backend.document_ids() == {a.pk for a in Article.objects.published()}

    release(embargoed)
    index_now()
    assert client.get("/search/suggest", {"q": "symph"}).json()["terms"] == ["symphony"]
    html = client.get("/search/", {"q": "symphny"}).content.decode()
    assert "<strong>symphony</strong>" in html
    # Another typo: the API keeps answers for a few seconds per URL.
    api = client.get("/api/v1/search", {"q": "symphonu"}).json()
    assert api["respelled"] == "symphony" and api["total"] == 1


def test_facets_and_counts_never_count_a_scheduled_article(
    client, search_backend, index_now
):
    """Facet values and totals on the page and in the API count only public
    articles: a tag used only by a scheduled story is not a facet value."""
    f.article("Harbour cranes idle", tags=("Ports",))
    scheduled("Harbour strike ends", tags=("Secret deal",))
    index_now()
    api = client.get("/api/v1/search", {"q": "harbour"}).json()
    assert api["total"] == 1
    assert [v["key"] for v in api["facets"]["tag"]] == ["ports"]
    html = client.get("/search/", {"q": "harbour"}).content.decode()
    assert "Secret deal" not in html and "<strong>1</strong> result " in html


def test_a_running_indexer_adds_a_scheduled_article_when_it_comes_due(
    search_backend,
):
    """The indexer keeps no scheduled article in the index and wakes at its
    time: the same running indexer adds it once due, with no new outbox row."""
    soon = scheduled("Glacier survey results", seconds=1.5)
    ix = Indexer(search_backend)
    ix.open(wait=5)
    try:
        ix.catch_up()
        assert found(search_backend, "glacier") == []
        assert soon.pk not in search_backend.document_ids()
        assert ix.next_due == Article.objects.get(pk=soon.pk).published_at
        deadline = time.monotonic() + 10
        while soon.pk not in search_backend.document_ids():
            assert time.monotonic() < deadline, "never indexed when due"
            ix.step()
            time.sleep(0.2)
        assert found(search_backend, "glacier") == [soon.pk]
        assert ix.next_due is None
    finally:
        ix.close()


def test_a_due_article_is_added_after_a_restart(search_backend, index_now):
    """An article that came due while no indexer ran is added by the next one
    (the index records up to when due articles were added)."""
    later = scheduled("Comet flyby tonight")
    index_now()
    assert found(search_backend, "comet") == []
    release(later)
    index_now()
    assert found(search_backend, "comet") == [later.pk]


def test_a_rebuild_skips_scheduled_articles_until_due(search_backend, index_now):
    """rebuild_search_index writes only what is public; the indexer adds a
    scheduled article after its time."""
    out = f.article("Volcano quiet again")
    later = scheduled("Volcano erupts")
    rebuild(search_backend, wait=10)
    assert search_backend.document_ids() == {out.pk}
    release(later)
    index_now()
    assert set(found(search_backend, "volcano")) == {out.pk, later.pk}


def test_rescheduling_a_public_article_takes_it_out_until_due(
    search_backend, index_now
):
    """An article moved to a later time leaves the index (its words too) and
    comes back when the new time passes."""
    a = f.article("Bridge opening ceremony")
    index_now()
    assert found(search_backend, "bridge") == [a.pk]
    a.status = Article.Status.SCHEDULED
    a.published_at = timezone.now() + timedelta(hours=2)
    a.save()
    index_now()
    assert found(search_backend, "bridge") == []
    release(a)
    index_now()
    assert found(search_backend, "bridge") == [a.pk]


def test_a_withdrawn_story_is_hidden_while_the_index_lags(
    client, search_backend, index_now
):
    """Withdrawn in the database but still in the index (the indexer has not
    run): the results page and the API do not show it, and their totals
    count only what they show."""
    keep = f.article("Flood defences hold", body="The river rose.")
    gone = f.article("Flood warning issued", body="The river rose.")
    index_now()
    Article.objects.filter(pk=gone.pk).update(status=Article.Status.DRAFT)
    html = client.get("/search/", {"q": "flood"}).content.decode()
    assert "warning issued" not in html
    assert "defences hold" in html and "<strong>1</strong> result " in html
    api = client.get("/api/v1/search", {"q": "flood"}).json()
    assert [h["id"] for h in api["hits"]] == [keep.pk] and api["total"] == 1
    Article.objects.filter(pk=keep.pk).update(status=Article.Status.DRAFT)
    api = client.get("/api/v1/search", {"q": "flood"}).json()
    assert api["hits"] == [] and api["total"] == 0
    html = client.get("/search/", {"q": "flood"}).content.decode()
    assert "defences hold" not in html
