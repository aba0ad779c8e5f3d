"""Share counts in the public API (first-party counts, see shares.counters)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from newsroom.api.caching import set_max_age
from newsroom.api.errors import ApiError
from newsroom.api.types import READ_ERRORS, ArticleId
from newsroom.articles.models import Article

from .counters import share_counts
from .models import Network

router = Router(tags=["shares"])


class NetworkCount(Schema):
    network: str
    label: str
    count: int


class SharesOut(Schema):
    article_id: int
    total: int
    networks: list[NetworkCount] = Field(description="Every network, zeros too.")


@router.get(
    "/articles/{id}/shares",
    response={200: SharesOut, **READ_ERRORS},
    summary="Share counts of a public article, per network",
)
def article_shares(request: HttpRequest, response: HttpResponse, id: ArticleId):
    """Counted through the site's own share links: at most one per visitor,
    article, network and day."""
    if not Article.objects.published().filter(pk=id).exists():  # no row needed
        raise ApiError(404, "not_found", "No public article with that id.")
    counts = share_counts(id)
    # The counts are cached for NEWSROOM_SHARES_CACHE_SECONDS already.
    set_max_age(
        response,
        min(
            settings.NEWSROOM_SHARES_CACHE_SECONDS, settings.NEWSROOM_API_CACHE_SECONDS
        ),
    )
    labels = dict(Network.choices)
    networks = [
        {"network": key, "label": labels.get(key, key), "count": n}
        for key, n in counts.items()
    ]
    return {"article_id": id, "total": sum(counts.values()), "networks": networks}
