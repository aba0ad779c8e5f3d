"""Reader pages: home, section, tag, author, article, and robots.txt."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from newsroom.articles.models import Article, Author, Section, Tag

from .context_processors import menu_sections
from .listing import keyset_page

HOME_LATEST = 13
SECTION_BLOCK = 4


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    public = Article.objects.published().for_listing()
    latest = list(public[:HOME_LATEST])
    shown = {a.pk for a in latest}
    blocks = []
    for section in menu_sections():
        items = [a for a in public.filter(section=section)[: SECTION_BLOCK + 4]
                 if a.pk not in shown][:SECTION_BLOCK]
        if items:
            blocks.append((section, items))
    return render(request, "web/home.html", {
        "lead": latest[0] if latest else None,
        "top": latest[1:5],
        "latest": latest[5:],
        "blocks": blocks,
    })


def _listing(request: HttpRequest, queryset, title: str, kind: str, obj,
             description: str = "") -> HttpResponse:
    page = keyset_page(queryset.for_listing(), request.GET.get("before"))
    return render(request, "web/listing.html", {
        "title": title,
        "kind": kind,
        "object": obj,
        "description": description,
        "page": page,
        "first_page": not request.GET.get("before"),
    })


@require_GET
def section(request: HttpRequest, slug: str) -> HttpResponse:
    obj = get_object_or_404(Section, slug=slug)
    return _listing(request, Article.objects.published().filter(section=obj),
                    obj.name, "section", obj, obj.description)


@require_GET
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    obj = get_object_or_404(Tag, slug=slug)
    return _listing(request, Article.objects.published().filter(tags=obj),
                    obj.name, "tag", obj)


@require_GET
def author(request: HttpRequest, slug: str) -> HttpResponse:
    obj = get_object_or_404(Author, slug=slug)
    return _listing(request, Article.objects.published().filter(authors=obj),
                    obj.name, "author", obj, obj.bio)


def _article_context(article: Article) -> dict:
    return {
        "article": article,
        "tags": list(article.tags.all()),
        "notes": list(article.notes.all()),
    }


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    obj = (Article.objects.published().with_byline().filter(slug=slug).first())
    if obj is None:
        raise Http404("No such article")
    return render(request, "web/article.html", _article_context(obj))


@staff_member_required
@require_GET
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Editors see a draft or scheduled article exactly as readers will."""
    obj = get_object_or_404(Article.objects.with_byline(), pk=pk)
    context = _article_context(obj)
    context["preview"] = True
    return render(request, "web/article.html", context)


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
