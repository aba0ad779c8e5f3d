"""Reader pages: home, section, tag, author, article, and robots.txt."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_safe

from newsroom.articles.models import Article, Author, Byline, Section, Tag

from . import pagecache
from .context_processors import menu_sections
from .listing import keyset_page, newest

HOME_LATEST = 13
SECTION_BLOCK = 4


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return pagecache.serve(request, "home", lambda: _home_html(request), {})


def _home_html(request: HttpRequest) -> str:
    public = Article.objects.published()
    latest = newest(public, HOME_LATEST)
    shown = {a.pk for a in latest}
    blocks = []
    for section in menu_sections():
        items = [a for a in public.for_listing().filter(section=section)[
            : SECTION_BLOCK + 4] if a.pk not in shown][:SECTION_BLOCK]
        if items:
            blocks.append((section, items))
    return render_to_string("web/home.html", {
        "lead": latest[0] if latest else None,
        "top": latest[1:5],
        "latest": latest[5:],
        "blocks": blocks,
    }, request)


def _listing(request: HttpRequest, queryset, title: str, kind: str, obj,
             description="") -> HttpResponse:
    def page() -> str:
        listed = keyset_page(queryset.for_listing(), request.GET.get("before"))
        return render_to_string("web/listing.html", {
            "title": title,
            "kind": kind,
            "object": obj,
            "description": description() if callable(description) else description,
            "page": listed,
            "first_page": not request.GET.get("before"),
        }, request)

    return pagecache.serve(request, f"{kind}:{obj.pk}", page, {})


@require_safe
def section(request: HttpRequest, slug: str) -> HttpResponse:
    # The menu's cached sections first: a cached section page then needs no
    # query at all (a section created since is still found in the database).
    obj = next((s for s in menu_sections() if s.slug == slug), None)
    if obj is None:
        obj = get_object_or_404(Section, slug=slug)
    return _listing(request, Article.objects.published().filter(section=obj),
                    obj.name, "section", obj, lambda: obj.description)


@require_safe
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    obj = get_object_or_404(Tag, slug=slug)
    return _listing(request, Article.objects.published().filter(tags=obj),
                    obj.name, "tag", obj)


@require_safe
def author(request: HttpRequest, slug: str) -> HttpResponse:
    obj = get_object_or_404(Author, slug=slug)
    return _listing(request, Article.objects.published().filter(authors=obj),
                    obj.name, "author", obj, obj.bio)


def _article_context(article: Article) -> dict:
    prefetch_related_objects([article], Prefetch(
        "byline_set",
        queryset=Byline.objects.select_related("author").order_by("position", "id"),
    ))
    return {
        "article": article,
        "tags": list(article.tags.all()),
        "notes": list(article.notes.all()),
    }


@require_safe
def article(request: HttpRequest, slug: str) -> HttpResponse:
    # The row is read on every request, cached page or not: an unpublished or
    # edited article is seen at once. Body and byline load only when the page
    # is rendered.
    obj = (Article.objects.published().select_related("section")
           .defer("body").filter(slug=slug).first())
    if obj is None:
        raise Http404("No such article")
    key = f"article:{obj.pk}:{obj.updated_at.timestamp()}:{obj.comment_count}"

    def page() -> str:
        context = _article_context(obj)
        context["live_marks"] = pagecache.cacheable(request)
        return render_to_string("web/article.html", context, request)

    return pagecache.serve(request, key, page, {"article": obj})


@staff_member_required
@require_GET
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Editors see a draft or scheduled article exactly as readers will."""
    obj = get_object_or_404(Article.objects.with_byline(), pk=pk)
    context = _article_context(obj)
    context["preview"] = True
    return HttpResponse(render_to_string("web/article.html", context, request))


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    base = settings.SITE_URL.rstrip("/")
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /share/",
        f"Sitemap: {base}/sitemap.xml",
        f"Sitemap: {base}/sitemap-news.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain")
