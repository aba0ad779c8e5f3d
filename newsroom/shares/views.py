"""Share buttons: count on a POST, then send the reader on to the network's dialog.

Each button is a small form that posts with its CSRF token, so a count needs
the reader's own press on our page: a GET of a share URL (a link, a crawler,
an ``<img>`` on someone else's page) only redirects and counts nothing, and a
cross-site POST without the token is refused by CSRF.
"""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.views.decorators.http import require_http_methods, require_POST

from newsroom.articles.models import Article
from newsroom.numbers import is_int

from .counters import record_share, share_counts
from .models import Network
from .networks import public_url, share_target


class ShareRedirect(HttpResponseRedirect):
    # The email button leaves for the reader's mail program.
    allowed_schemes = ["http", "https", "mailto"]


def _public_article(ref: str) -> Article:
    public = Article.objects.only("id", "slug", "headline")
    article = public.public_one(pk=int(ref)) if is_int(ref) else None
    return article or public.public_or_404(slug=ref)


@require_http_methods(["GET", "HEAD", "POST"])
def share(request: HttpRequest, network: str, ref: str) -> HttpResponse:
    """POST: count a share (once per visitor-day, within the network's daily
    cap) and 303 to the network. GET: only the redirect, nothing counted."""
    if network not in Network.values or network == Network.COPY:
        raise Http404("No such network")
    article = _public_article(ref)
    if request.method == "POST":
        record_share(request, article, network)
    url = public_url(article)
    response = ShareRedirect(share_target(network, url, article.headline))
    if request.method == "POST":
        response.status_code = 303  # see other: the network's page, by GET
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "fetch"
    )


@require_POST
def copy_link(request: HttpRequest, ref: str) -> HttpResponse:
    """The copy-link button: counts through a POST (CSRF-checked).

    The page's script asks for JSON and updates the counter in place; without
    script the form posts here and the reader lands back on the article.
    """
    article = _public_article(ref)
    counted = record_share(request, article, Network.COPY)
    url = public_url(article)
    if _wants_json(request):
        count = share_counts(article.pk)[Network.COPY]
        return JsonResponse({"counted": counted, "count": count, "url": url})
    return HttpResponseRedirect(f"{article.get_absolute_url()}#share", status=303)
