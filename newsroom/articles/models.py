"""Articles and what a byline, a section page or a tag page is made of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from newsroom.db.prepared import Prepared

from .names import lock_names
from .rendering import render_markdown


class PublicByArticlesQuerySet(models.QuerySet):
    """Sections, tags and authors are public only while a published article
    has them: one made for a draft or a scheduled story (a name still under
    embargo) is unknown to readers, the API, pages and feeds alike."""

    article_field = ""  # the Article lookup that reaches this model

    def public(self, now=None) -> models.QuerySet:
        # Exists() rather than a join: one row each, no DISTINCT.
        articles = Article.objects.published(now).filter(
            **{self.article_field: OuterRef("pk")}
        )
        return self.filter(Exists(articles))

    def moved_from(self, slug: str) -> str | None:
        """The slug now of the public one that had ``slug`` while public (an
        editor changed it since), or None: where an old address leads. A
        public one holding ``slug`` now has the address (one not public
        took it over from nobody: see keep_old_name_slug)."""
        held = self.public().filter(slug=slug)
        return (
            self.public()
            .filter(old_slugs__slug=slug)
            .filter(~Exists(held))
            .values_list("slug", flat=True)
            .first()
        )

    def renamed_from(self, slugs: list[str]) -> dict[str, int]:
        """``{old slug: id}`` for those of ``slugs`` one had while public (an
        editor changed it since): an import naming an old slug means it."""
        return dict(
            self.filter(old_slugs__slug__in=slugs).values_list("old_slugs__slug", "pk")
        )


class KeepsOldSlugs(models.Model):
    """A section, tag or author: its page and feeds live at its slug, so a
    slug it had while public is kept (``old_slugs``) to lead there."""

    slug: str

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic(using=kwargs.get("using")):
            update_fields = kwargs.get("update_fields")
            if update_fields is None or "slug" in update_fields:
                keep_old_name_slug(self)
            super().save(*args, **kwargs)


def keep_old_name_slug(obj: KeepsOldSlugs) -> None:
    """Called before a section, tag or author is written: the slug a public
    one takes is its own again (an old slug of that name, its own or
    another's, no longer leads elsewhere; one not public takes over no
    address); when a public one's slug changes, the slug it had is kept.
    Not public (no published story has it), it had no address."""
    model: Any = type(obj)  # Section, Tag or Author: each has old_slugs
    rel = model._meta.get_field("old_slugs")
    kept, owner = rel.related_model, rel.remote_field.name
    old = None
    if obj.pk is not None:
        # Locked as a deletion locks it (admin.LockedDelete): a rename and a
        # deletion of the same one run one after the other.
        mine = model.objects.select_for_update().filter(pk=obj.pk)
        old = mine.values_list("slug", flat=True).first()
        if old == obj.slug:
            return  # a save that leaves the slug alone costs one query
    public = obj.pk is not None and model.objects.public().filter(pk=obj.pk).exists()
    taken = kept.objects.filter(slug=obj.slug)
    if not public:
        # Not public, it has no page at that slug: another's old address
        # keeps leading there (a reporter's new tag broke it for good).
        taken = taken.filter(**{owner: obj}) if obj.pk is not None else taken.none()
    taken.delete()
    if old is not None and public:
        kept.objects.update_or_create(slug=old, defaults={owner: obj})


class SectionQuerySet(PublicByArticlesQuerySet):
    article_field = "section"


class TagQuerySet(PublicByArticlesQuerySet):
    article_field = "tags"


class AuthorQuerySet(PublicByArticlesQuerySet):
    article_field = "authors"


class Section(KeepsOldSlugs):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(
        default=100, help_text="Order on the home page and in the menu."
    )

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:section", args=[self.slug])


class Tag(KeepsOldSlugs):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:tag", args=[self.slug])


class Author(KeepsOldSlugs):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField(blank=True)
    email = models.EmailField(blank=True, help_text="Never shown to readers.")
    photo = models.ForeignKey(
        "media.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Shown on the author page and beside bylines.",
    )

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:author", args=[self.slug])


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None) -> ArticleQuerySet:
        """The one definition of "public": released and its time has come.

        A scheduled article is public as soon as ``published_at`` passes, with
        no job needed to flip its status.
        """
        now = now or timezone.now()
        return self.filter(
            status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED],
            published_at__lte=now,
        )

    def newest_ids(self, size: int) -> list[int]:
        """Ids of the ``size`` newest rows of this (public) queryset.

        ``published()`` admits two statuses; with ``status IN (…)`` on the
        index's first column SQLite cannot walk the index in date order and
        sorts every public row instead (270 ms at 100,000 articles). One
        ordered range scan per status, merged here, reads only ``size`` index
        entries each. The order is ``-published_at, -id``, as a listing's.
        """
        keys: list[tuple] = []
        for status in (Article.Status.PUBLISHED, Article.Status.SCHEDULED):
            ordered = self.filter(status=status).order_by("-published_at", "-id")
            keys += ordered.values_list("published_at", "pk")[:size]
        return [pk for _, pk in sorted(keys, reverse=True)[:size]]

    def public_one(self, **lookup) -> Article | None:
        """The public article matching ``lookup``, or None.

        The one way a page, feed or API route finds "the public article with
        this slug/id": whatever narrowing (``only``, ``select_related``) the
        caller chained before is kept.
        """
        return self.published().filter(**lookup).order_by().first()

    def moved_from(self, slug: str) -> str | None:
        """The slug now of the public article that had ``slug`` while public
        (an editor changed it since), or None: where an old address leads."""
        return (
            self.published()
            .filter(old_slugs__slug=slug)
            .values_list("slug", flat=True)
            .first()
        )

    def public_or_404(self, **lookup) -> Article:
        """The public article matching ``lookup``; ``Http404`` otherwise."""
        article = self.public_one(**lookup)
        if article is None:
            raise Http404("No such article")
        return article

    def showing_pictures(self, images) -> ArticleQuerySet:
        """The stories whose body shows one of these library pictures
        (``![alt](image:42)``, made a figure when the story was saved)."""
        shown = BodyPicture.objects.filter(image__in=[i.pk for i in images])
        return self.filter(pk__in=shown.values("article_id"))

    def with_byline(self) -> ArticleQuerySet:
        return self.select_related("section", "lead_image").prefetch_related(
            models.Prefetch(
                "byline_set",
                queryset=Byline.objects.select_related("author").order_by(
                    "position", "id"
                ),
            )
        )

    def for_listing(self) -> ArticleQuerySet:
        """What list pages need, in a fixed number of queries."""
        return self.with_byline().defer("body", "body_html")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    class Moderation(models.TextChoices):
        SITE_DEFAULT = "", "Site default"
        NONE = "none", "None: publish at once"
        FIRST_TIME = "first", "First-time commenters"
        ALL = "all", "All comments"

    headline = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    standfirst = models.TextField(
        blank=True, help_text="The summary under the headline."
    )
    body = models.TextField(help_text="Markdown: paragraphs, > quotes, links, lists.")
    body_html = models.TextField(blank=True, editable=False)
    dateline = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="In the future, the article is scheduled."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account that wrote it: a reporter may edit only their own.",
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    authors = models.ManyToManyField(
        Author, through="Byline", blank=True, related_name="articles"
    )
    lead_image = models.ForeignKey(
        "media.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The picture at the top of the story, in its card and share "
        "previews.",
    )
    # Where an imported story's picture came from (never shown: no hot-link).
    image_url = models.URLField(blank=True, max_length=500)
    # Provenance, used by importers to stay idempotent.
    source = models.CharField(max_length=200, blank=True)
    source_id = models.CharField(max_length=200, blank=True)
    canonical_url = models.URLField(blank=True, max_length=500)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Comments: open or closed, and the moderation mode for this article.
    comments_enabled = models.BooleanField(default=True)
    comment_moderation = models.CharField(
        max_length=5, choices=Moderation.choices, blank=True, default=""
    )
    comment_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Approved comments, kept by the comments app.",
    )

    objects = ArticleQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[tags], excluded_fields=["body_html"])

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_public_idx"),
            models.Index(
                fields=["section", "-published_at"], name="article_section_idx"
            ),
        ]
        permissions = [
            ("publish_article", "Can publish, schedule and unpublish articles"),
            ("edit_others_article", "Can edit articles other people wrote"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source_id=""),
                name="article_unique_source_id",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        return reverse("web:article", args=[self.slug])

    @property
    def is_public(self) -> bool:
        return (
            self.status in (self.Status.PUBLISHED, self.Status.SCHEDULED)
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def state(self) -> str:
        """What an editor needs to know: draft, scheduled (still waiting) or live."""
        if self.status == self.Status.DRAFT:
            return "draft"
        if self.status == self.Status.REVIEW:
            return "in review"
        if self.published_at and self.published_at > timezone.now():
            return "scheduled"
        return "published"

    @property
    def was_updated(self) -> bool:
        """Edited after it went out (an import or a late entry is not an update)."""
        if not (self.published_at and self.updated_at):
            return False
        went_out = max(self.published_at, self.created_at or self.published_at)
        return (self.updated_at - went_out).total_seconds() > 600

    def byline(self) -> list[Author]:
        """Authors in byline order (uses ``with_byline()``'s prefetch when present)."""
        return [b.author for b in self.byline_set.all()]

    def save(self, *args, **kwargs) -> None:  # noqa: DJ012 - kept beside delete
        if self.status not in (self.Status.DRAFT, self.Status.REVIEW):
            if self.published_at is None:
                self.published_at = timezone.now()
            # Keep the stored status honest for the admin's filter; publicness
            # itself never depends on this flip (see ArticleQuerySet.published).
            self.status = (
                self.Status.SCHEDULED
                if self.published_at > timezone.now()
                else self.Status.PUBLISHED
            )
        self.body_html = render_markdown(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        # One transaction around the row and whatever post_save receivers
        # write beside it (the search outbox), even outside a view's atomic.
        with transaction.atomic(using=kwargs.get("using")):
            if not self.slug:  # inside: the free slug is held until COMMIT
                self.slug = unique_slug(self.headline)
            if update_fields is None or "slug" in update_fields:
                keep_old_slug(self)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            return super().delete(*args, **kwargs)


def unique_slug(text: str, max_length: int = 180) -> str:
    """The first free slug made from ``text`` ("-2", "-3" on clashes). Call
    it in the transaction that saves the story: the slugs' lock (the one
    the editor's form takes, ``lock_names``) is taken before the check, so
    two stories saved at once with one headline get two slugs, where both
    saw the first free and the second INSERT failed.

    One read of the slugs that start alike, whatever their number: asked
    one by one, the 301st "Briefing" made 301 queries under the lock that
    every editor's new story waits for."""
    base = slugify(text)[:max_length].strip("-") or "article"
    lock_names(Article)
    alike = Article.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-"))
    taken = set(alike.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


class Byline(models.Model):
    """An author on an article, in byline order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique")
        ]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.article_id}"


class BodyPicture(models.Model):
    """A library picture a story's body shows (``![alt](image:42)``, a figure
    in its stored HTML). The stories an edit or a deletion of a picture
    touches are found by index here: a scan of every story's HTML for the
    picture took 30 s at a million stories. Kept by ``pictures.py`` each
    time a story's HTML is written."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="body_pictures"
    )
    image = models.ForeignKey("media.Image", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "image"], name="body_picture_unique"
            )
        ]

    def __str__(self) -> str:
        return f"picture {self.image_id} in the body of story {self.article_id}"


class OldSlug(models.Model):
    """A slug an article had while it was public: its old address answers 301
    to the current one (links shared, indexed and bookmarked stay good)."""

    slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="old_slugs"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.slug} -> {self.article_id}"


class NameSlug(models.Model):
    """A slug a section, tag or author had while public (see OldSlug)."""

    slug: str
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.slug


class SectionOldSlug(NameSlug):
    slug = models.SlugField(max_length=80, unique=True)
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="old_slugs"
    )


class TagOldSlug(NameSlug):
    slug = models.SlugField(max_length=100, unique=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="old_slugs")


class AuthorOldSlug(NameSlug):
    slug = models.SlugField(max_length=120, unique=True)
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="old_slugs"
    )


def keep_old_slug(article: Article) -> None:
    """Called by ``Article.save`` before it writes: when a public article's
    slug changes, keep the one it had (another article's old slug of that
    name passes to this one: the address last led here). A story not public
    takes over no address: the old slug it names still leads to the other."""
    if article.pk is None:
        return
    before = (
        Article.objects.filter(pk=article.pk)
        .values_list("slug", "status", "published_at")
        .first()
    )
    if before is None or before[0] == article.slug:
        return
    old, status, published_at = before
    taken = OldSlug.objects.filter(slug=article.slug)  # its own again
    if article.status != Article.Status.PUBLISHED:
        # Not public, the story has no address at that slug: another's old
        # address keeps leading there (a reporter's draft broke it for good).
        taken = taken.filter(article=article)
    taken.delete()
    public = status in (Article.Status.PUBLISHED, Article.Status.SCHEDULED)
    if public and published_at is not None and published_at <= timezone.now():
        OldSlug.objects.update_or_create(slug=old, defaults={"article": article})


class ArticleNote(models.Model):
    """A dated correction or update note shown at the top of the article."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.CORRECTION
    )
    text = models.TextField()
    noted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-noted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.article}: {self.text[:60]}"


_PUBLIC_BY_PK = Prepared(
    lambda fields, pk, now: (
        Article.objects.published(now=now)
        .filter(pk=pk)
        .order_by()
        .values_list(*fields)[:1]
    ),
    pk=int,
    now=datetime,
)


def public_fields(pk: int, fields: tuple[str, ...]) -> Article | None:
    """The public article with this id, only ``fields`` loaded, or None.

    The same question as ``Article.objects.only(*fields).public_one(pk=pk)``
    (one definition of public: ``ArticleQuerySet.published``), compiled once
    per thread (``newsroom.db.prepared``): the comment intake asks it twice a
    post, and building it through the ORM cost 0.8 ms each time.
    """
    if not 0 < pk < 2**63:  # no such id (and none the database could take)
        return None
    names = tuple(
        f.attname
        for f in Article._meta.concrete_fields
        if f.attname in fields or f.name in fields or f.primary_key
    )
    rows = _PUBLIC_BY_PK.rows(names, pk=pk, now=timezone.now())
    return Article.from_db(DEFAULT_DB_ALIAS, list(names), rows[0]) if rows else None


# The desk's models live beside the article (see desk.py).
from .desk import EditSession, Pin, PreviewLink, Transition  # noqa: E402, F401


class ReviewQueue(Article):
    """Stories waiting for an editor: the desk's inbox (see admin_desk.py)."""

    class Meta:
        proxy = True
        verbose_name = "story waiting for review"
        verbose_name_plural = "Waiting for review"
