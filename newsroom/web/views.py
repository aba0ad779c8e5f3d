"""Reader pages: home, section, tag, author, article, and robots.txt."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from newsroom.articles.desk import curated_ids, open_preview_token
from newsroom.articles.models import Article, Author, Byline, Section, Tag
from newsroom.core.links import absolute_url
from newsroom.shares.counters import share_totals

from . import pagecache
from .context_processors import menu_sections
from .listing import (
    decode_cursor,
    encode_cursor,
    fetch_for_listing,
    keyset_page,
    newest_ids,
    newest_in_sections,
)

HOME_LATEST = 13
SECTION_BLOCK = 4


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Ids first (index range scans, no rows), then every shown row in one
    # query with its byline: 12 queries for 41 cards instead of two per block.
    public = Article.objects.published()
    # The editors' pins lead (position order), then the newest stories.
    pinned = curated_ids()
    newest = [pk for pk in newest_ids(public, HOME_LATEST) if pk not in pinned]
    latest_ids = (pinned + newest)[: max(HOME_LATEST, len(pinned))]
    shown = set(latest_ids)
    sections = menu_sections()
    newest = newest_in_sections(public, [s.pk for s in sections], SECTION_BLOCK + 4)
    block_ids = []
    for section in sections:
        ids = [pk for pk in newest[section.pk] if pk not in shown][:SECTION_BLOCK]
        if ids:
            block_ids.append((section, ids))
    rows = fetch_for_listing(
        Article, latest_ids + [pk for _, ids in block_ids for pk in ids]
    )
    latest = [rows[pk] for pk in latest_ids if pk in rows]
    blocks = [
        (section, items)
        for section, ids in block_ids
        if (items := [rows[pk] for pk in ids if pk in rows])
    ]
    return pagecache.render(
        request,
        "web/home.html",
        {
            "canonical_url": absolute_url("/"),
            "lead": latest[0] if latest else None,
            "lead_list": latest[:1],
            "top": latest[1:5],
            "latest": latest[5:],
            "blocks": blocks,
            "share_totals": share_totals(rows),
        },
    )


def _listing(
    request: HttpRequest,
    queryset,
    title: str,
    kind: str,
    obj,
    description="",
    pinned: list[int] | None = None,
) -> HttpResponse:
    # A cursor that is garbage is the first page, pins and all.
    position = decode_cursor(request.GET.get("before"))
    first_page = position is None
    curated = []
    if pinned and first_page:
        rows = fetch_for_listing(Article, pinned)
        curated = [rows[pk] for pk in pinned if pk in rows]
        queryset = queryset.exclude(pk__in=pinned)
    listed = keyset_page(queryset.for_listing(), request.GET.get("before"))
    # One address per page whatever the query string (?utm_…, a cursor spelt
    # otherwise): the one this page's own links write.
    canonical = obj.get_absolute_url()
    if position is not None:
        when, pk = position  # as the page writes it: in UTC
        canonical += "?" + urlencode(
            {"before": encode_cursor(when.astimezone(UTC), pk)}
        )
    if curated:
        listed.items = curated + list(listed.items)
    return pagecache.render(
        request,
        "web/listing.html",
        {
            "title": title,
            "kind": kind,
            "object": obj,
            "description": description() if callable(description) else description,
            "page": listed,
            "first_page": first_page,
            "canonical_url": absolute_url(canonical),
            "share_totals": share_totals(a.pk for a in listed.items),
        },
    )


@require_safe
def section(request: HttpRequest, slug: str) -> HttpResponse:
    # Public only while it has a published article (not the menu's copy,
    # kept for a minute: a section emptied since is a 404 at once).
    obj = Section.objects.public().filter(slug=slug).first()
    if obj is None:
        return _renamed_or_404(request, Section, "section", slug)
    return _listing(
        request,
        Article.objects.published().filter(section=obj),
        obj.name,
        "section",
        obj,
        lambda: obj.description,
        pinned=curated_ids(obj.pk),
    )


@require_safe
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    obj = Tag.objects.public().filter(slug=slug).first()
    if obj is None:
        return _renamed_or_404(request, Tag, "tag", slug)
    return _listing(
        request, Article.objects.published().filter(tags=obj), obj.name, "tag", obj
    )


@require_safe
def author(request: HttpRequest, slug: str) -> HttpResponse:
    obj = Author.objects.public().filter(slug=slug).first()
    if obj is None:
        return _renamed_or_404(request, Author, "author", slug)
    return _listing(
        request,
        Article.objects.published().filter(authors=obj),
        obj.name,
        "author",
        obj,
        obj.bio,
    )


def _renamed_or_404(
    request: HttpRequest, model: type[Section | Tag | Author], kind: str, slug: str
) -> HttpResponse:
    """A slug a public section, tag or author had before an editor changed
    it: 301 to its page now (the query string kept: a later page of the
    listing), else 404."""
    moved = model.objects.moved_from(slug)
    if moved is None:
        raise Http404(f"No such {kind}")
    return _moved_to(request, f"web:{kind}", moved)


def _moved_to(request: HttpRequest, url_name: str, slug: str) -> HttpResponse:
    """301 to the page at ``slug`` with this request's query string (a
    listing's later page, a story's comment thread)."""
    query = request.GET.urlencode()
    url = reverse(url_name, args=[slug])
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def article_context(article: Article) -> dict:
    """An article page's context: the article with its byline, tags and notes."""
    prefetch_related_objects(
        [article],
        Prefetch(
            "byline_set",
            queryset=Byline.objects.select_related("author", "author__photo").order_by(
                "position", "id"
            ),
        ),
    )
    return {
        "article": article,
        "tags": list(article.tags.all()),
        "notes": list(article.notes.all()),
    }


@require_safe
def article(request: HttpRequest, slug: str) -> HttpResponse:
    # The Markdown source is not shown (body_html is): not read.
    obj = (
        Article.objects.select_related("section", "lead_image")
        .defer("body")
        .public_one(slug=slug)
    )
    if obj is None:
        return _moved_or_404(request, slug)
    return pagecache.render(
        request, "web/article.html", article_context(obj), read_article=obj.pk
    )


def _moved_or_404(request: HttpRequest, slug: str) -> HttpResponse:
    """A slug a public story had before an editor changed it: 301 to where
    the story is now (if it is still public), else 404."""
    moved = Article.objects.moved_from(slug)
    if moved is None:
        raise Http404("No such article")
    return _moved_to(request, "web:article", moved)


def _preview_response(request: HttpRequest, obj: Article) -> HttpResponse:
    context = article_context(obj)
    context["preview"] = True
    response = HttpResponse(render_to_string("web/article.html", context, request))
    # Never indexed, never cached, never leaking the link onwards.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def render_article(
    request: HttpRequest, article: Article, extra: dict, status: int = 200
) -> HttpResponse:
    """The article page with ``extra`` in its context, rendered for this request.

    Registered as ``registry.pages["article"]``: the comments app shows the
    page again with a refused form through it, without importing web.
    """
    context = article_context(article)
    context.update(extra)
    return render(request, "web/article.html", context, status=status)


@staff_member_required
@require_safe
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff see a draft or scheduled article exactly as readers will: editors
    any story, a reporter only their own."""
    obj = get_object_or_404(Article.objects.with_byline(), pk=pk)
    user = request.user
    if not user.has_perm("articles.view_article") or not (
        user.has_perm("articles.edit_others_article") or obj.created_by_id == user.pk
    ):
        raise PermissionDenied("This story is not yours to preview.")
    return _preview_response(request, obj)


@require_safe
def shared_preview(request: HttpRequest, token: str) -> HttpResponse:
    """A draft shown to someone without an account, through a signed link that
    expires and can be revoked."""
    link = open_preview_token(token)
    if link is None:
        response = HttpResponse(
            render_to_string("web/preview_refused.html", {}, request), status=403
        )
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
        return response
    obj = Article.objects.with_byline().get(pk=link.article_id)
    return _preview_response(request, obj)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked for by every browser whatever the page says."""
    response = HttpResponsePermanentRedirect(static("newsroom/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /share/",
        f"Sitemap: {absolute_url('/sitemap.xml')}",
        f"Sitemap: {absolute_url('/sitemap-news.xml')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain")
