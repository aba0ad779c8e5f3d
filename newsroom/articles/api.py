"""The articles part of the public API: articles, sections, tags, authors.

Only public articles (``Article.objects.published()``) ever appear here.
Lists are keyset-paginated (see ``newsroom.api.pagination``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from newsroom.api.errors import ApiError
from newsroom.api.pagination import keyset_page
from newsroom.api.types import READ_ERRORS, ArticleId, Cursor, Limit, Slug
from newsroom.core.links import absolute_url
from newsroom.media.describe import api_image

from .models import Article, ArticleNote, ArticleQuerySet, Author, Section, Tag
from .renames import renamed_query

router = Router(tags=["articles"])


class SectionOut(Schema):
    slug: str
    name: str
    url: str

    @staticmethod
    def resolve_url(obj: Section) -> str:
        return absolute_url(obj.get_absolute_url())


class SectionDetailOut(SectionOut):
    description: str


class TagOut(Schema):
    slug: str
    name: str
    url: str

    @staticmethod
    def resolve_url(obj: Tag) -> str:
        return absolute_url(obj.get_absolute_url())


class AuthorOut(Schema):
    slug: str
    name: str
    url: str

    @staticmethod
    def resolve_url(obj: Author) -> str:
        return absolute_url(obj.get_absolute_url())


class AuthorDetailOut(AuthorOut):
    bio: str


class NoteOut(Schema):
    kind: str
    text: str
    noted_at: datetime


class ImageOut(Schema):
    """A picture: text for readers and rendition URLs on our own origin."""

    alt: str = Field(description="Empty when the picture is decorative.")
    caption: str
    credit: str
    width: int = Field(description="The original's width in pixels.")
    height: int
    renditions: dict[str, str] = Field(
        description="By spec: `640w` (width, own ratio), `640x360` (crop)."
    )


class ArticleOut(Schema):
    """An article as lists show it."""

    id: int
    slug: str
    headline: str
    standfirst: str
    dateline: str
    url: str
    api_url: str
    section: SectionOut
    authors: list[AuthorOut]
    tags: list[TagOut]
    published_at: datetime
    updated_at: datetime
    was_updated: bool
    image_url: str = Field(description="Where an imported picture came from.")
    image: ImageOut | None = Field(description="The lead picture, or null.")
    comment_count: int

    @staticmethod
    def resolve_image(obj: Article) -> dict | None:
        return api_image(obj.lead_image) if obj.lead_image_id else None

    @staticmethod
    def resolve_url(obj: Article) -> str:
        return absolute_url(obj.get_absolute_url())

    @staticmethod
    def resolve_api_url(obj: Article) -> str:
        return absolute_url(f"/api/v1/articles/{obj.pk}")

    @staticmethod
    def resolve_authors(obj: Article) -> list[Author]:
        return obj.byline()

    @staticmethod
    def resolve_tags(obj: Article) -> list[Tag]:
        return list(obj.tags.all())


class ArticleDetailOut(ArticleOut):
    """An article with its body (HTML, already sanitised) and notes."""

    body_html: str
    canonical_url: str
    comments_enabled: bool
    notes: list[NoteOut]

    @staticmethod
    def resolve_notes(obj: Article) -> list[ArticleNote]:
        return list(obj.notes.all())


class ArticlePage(Schema):
    items: list[ArticleOut]
    next: str | None = Field(description="URL of the next page; null on the last.")
    cursor: str | None = Field(description="The `cursor` value of the next page.")


class SectionPage(Schema):
    items: list[SectionDetailOut]
    next: str | None
    cursor: str | None


class TagPage(Schema):
    items: list[TagOut]
    next: str | None
    cursor: str | None


class AuthorPage(Schema):
    items: list[AuthorDetailOut]
    next: str | None
    cursor: str | None


def public_articles() -> ArticleQuerySet:
    """Public articles with what ``ArticleOut`` needs, in a fixed query count."""
    return _for_out(Article.objects.published())


def _for_out(qs: ArticleQuerySet) -> ArticleQuerySet:
    return qs.for_listing().prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filter_articles(
    qs: QuerySet[Article],
    *,
    section: str | None,
    tag: str | None,
    author: str | None,
    date_from: date | None,
    date_to: date | None,
) -> QuerySet[Article]:
    if section:
        qs = qs.filter(section__slug=section)
    if tag:
        qs = qs.filter(tags__slug=tag)
    if author:
        qs = qs.filter(authors__slug=author)
    if date_from and date_to and date_from > date_to:
        raise ApiError(
            422,
            "invalid",
            "`from` is after `to`.",
            [{"in": "query", "field": "from", "message": "after `to`"}],
        )
    if date_from:
        qs = qs.filter(published_at__gte=_day_start(date_from))
    if date_to:
        # Up to the end of that day; the last representable day has no "next".
        if date_to < date.max:
            qs = qs.filter(published_at__lt=_day_start(date_to + timedelta(days=1)))
    return qs


@router.get(
    "/articles",
    response={200: ArticlePage, 301: None, **READ_ERRORS},
    summary="List public articles, newest first",
)
def list_articles(
    request: HttpRequest,
    section: Annotated[Slug | None, Query(None, description="Section slug.")],
    tag: Annotated[Slug | None, Query(None, description="Tag slug.")],
    author: Annotated[Slug | None, Query(None, description="Author slug.")],
    date_from: Annotated[
        date | None,
        Query(None, alias="from", description="Published on or after this day."),
    ],
    date_to: Annotated[
        date | None,
        Query(None, alias="to", description="Published on or before this day."),
    ],
    cursor: Cursor,
    limit: Limit,
):
    """Newest first; filters combine with AND. Follow `next` for older pages.
    A `section`, `tag` or `author` slug it had while public (an editor
    changed it since) answers 301 to the same list with the slug it has now."""
    qs = _filter_articles(
        public_articles(),
        section=section,
        tag=tag,
        author=author,
        date_from=date_from,
        date_to=date_to,
    )
    page = keyset_page(
        request,
        qs,
        fields=["published_at", "id"],
        kinds=[datetime, int],
        cursor=cursor,
        limit=limit,
        descending=True,
        # The whole archive: the merged per-status index scans; a filtered
        # list starts from its section's, tag's or author's own rows.
        head=None if (section or tag or author) else _newest_first,
    )
    if not page.items and cursor is None and (section or tag or author):
        moved = _renamed_filters(request)
        if moved is not None:
            return moved
    return page


def _renamed_filters(request: HttpRequest) -> HttpResponse | None:
    """301 to the same list with each filter's slug as it is now
    (``renames.renamed_query``): asked only when the list came back empty."""
    query = renamed_query(request.GET)
    if query is None:
        return None
    return HttpResponsePermanentRedirect(
        absolute_url(f"/api/v1/articles?{query.urlencode()}")
    )


def _newest_first(qs: ArticleQuerySet, size: int) -> list[Article]:
    """The first ``size`` rows of the newest-first list without sorting every
    public row: ids through one index range per status, then rows by key."""
    ids = qs.newest_ids(size)
    # By key alone: with the public filter repeated, SQLite would walk the
    # date index again instead of looking the ids up.
    rows = _for_out(Article.objects.order_by()).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def _one_article(response: HttpResponse, **lookup) -> Article:
    obj = public_articles().public_one(**lookup)
    if obj is None:
        raise ApiError(
            404, "not_found", f"No public article with that {next(iter(lookup))}."
        )
    # No Last-Modified: the answer shows more than this row (its comment
    # count, its section's, tags' and authors' names), and none of those
    # move updated_at. The exact ETag is the validator, as for lists.
    return obj


@router.get(
    "/articles/{id}",
    response={200: ArticleDetailOut, **READ_ERRORS},
    summary="One public article by id",
)
def get_article(request: HttpRequest, response: HttpResponse, id: ArticleId):
    return _one_article(response, pk=id)


@router.get(
    "/articles/by-slug/{slug}",
    response={200: ArticleDetailOut, 301: None, **READ_ERRORS},
    summary="One public article by slug",
)
def get_article_by_slug(
    request: HttpRequest,
    response: HttpResponse,
    slug: Annotated[Slug, Path(description="The article's slug.")],
):
    """A slug the story had while public (an editor changed it since) answers
    301: `Location` is this route with the slug the story has now."""
    obj = public_articles().public_one(slug=slug)
    if obj is not None:
        return obj
    # A slug it had while public, as the page does (web.views): a client
    # holding an old link follows it instead of losing the story.
    moved = Article.objects.moved_from(slug)
    if moved is None:
        raise ApiError(404, "not_found", "No public article with that slug.")
    return HttpResponsePermanentRedirect(
        absolute_url(f"/api/v1/articles/by-slug/{moved}")
    )


@router.get(
    "/sections",
    response={200: SectionPage, **READ_ERRORS},
    summary="Sections, in menu order",
)
def list_sections(request: HttpRequest, cursor: Cursor, limit: Limit):
    return keyset_page(
        request,
        Section.objects.public(),
        fields=["position", "name", "id"],
        kinds=[int, str, int],
        cursor=cursor,
        limit=limit,
    )


@router.get("/tags", response={200: TagPage, **READ_ERRORS}, summary="Tags, by name")
def list_tags(request: HttpRequest, cursor: Cursor, limit: Limit):
    return keyset_page(
        request,
        Tag.objects.public(),
        fields=["name", "id"],
        kinds=[str, int],
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/authors", response={200: AuthorPage, **READ_ERRORS}, summary="Authors, by name"
)
def list_authors(request: HttpRequest, cursor: Cursor, limit: Limit):
    return keyset_page(
        request,
        Author.objects.public(),
        fields=["name", "id"],
        kinds=[str, int],
        cursor=cursor,
        limit=limit,
    )
