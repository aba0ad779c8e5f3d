"""The editors' admin: write, review, schedule, preview, correct and restore.

Who may do what is decided here by model permissions (see roles.py), never
only hidden in templates: a reporter's form offers Draft and In review only,
and a crafted POST with another status is refused by the form; a reporter
sees and edits only their own stories, and only while they are drafts.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from newsroom.core.text import clean_text
from newsroom.db.deletes import delete_whole
from newsroom.media.admin import ImageAdmin
from newsroom.media.models import Image
from newsroom.numbers import is_int

from . import admin_desk  # noqa: F401 - registers the desk's own admins
from .admin_desk import ArticleActionForm, bulk_actions, create_preview_link
from .admin_forms import ArticleForm, BylineForm, can_edit_others, can_publish
from .desk import Transition, mark_editing, others_editing
from .forms import CleanTextForm, UniqueNamesForm, body_max_chars
from .models import (
    Article,
    ArticleNote,
    Author,
    BodyPicture,
    Byline,
    Section,
    Tag,
)
from .rendering import render_markdown

PUBLISHING = {Article.Status.PUBLISHED, Article.Status.SCHEDULED}


class LockedDelete:
    """A deletion locks its rows before Django collects what refers to them
    (the delete page and 'Delete selected' alike): a save that named one
    (and holds it) commits first, and the collection then sees it; without
    the lock it missed that save, whose COMMIT then broke the foreign key."""

    def get_deleted_objects(self, objs, request):
        if request.method == "POST":  # inside the deletion's transaction
            pks = [obj.pk for obj in objs]
            rows = self.model.objects.filter(pk__in=pks)  # type: ignore[attr-defined]
            list(rows.select_for_update().order_by("pk").values_list("pk"))
        return super().get_deleted_objects(objs, request)  # type: ignore[misc]

    def response_action(self, request, queryset):
        # The delete page runs in one transaction; an action, as 'Delete
        # selected', does too, so the lock lasts until its deletion commits.
        with transaction.atomic():
            return super().response_action(request, queryset)  # type: ignore[misc]


class BylineInline(admin.TabularInline):
    model = Byline
    form = BylineForm
    extra = 1
    autocomplete_fields = ["author"]


class ArticleNoteInline(admin.StackedInline):
    model = ArticleNote
    form = CleanTextForm
    extra = 0
    fields = ["kind", "text", "noted_at"]


class StateFilter(admin.SimpleListFilter):
    """Draft / in review / scheduled (still waiting) / live, against now."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("review", "Waiting for review"),
            ("scheduled", "Scheduled"),
            ("published", "Live"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "draft":
            return queryset.filter(status=Article.Status.DRAFT)
        if self.value() == "review":
            return queryset.filter(status=Article.Status.REVIEW)
        if self.value() == "scheduled":
            return queryset.filter(status__in=PUBLISHING, published_at__gt=now)
        if self.value() == "published":
            return queryset.published(now)
        return queryset


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = ArticleForm
    action_form = ArticleActionForm
    actions = bulk_actions
    list_display = [
        "headline",
        "state_label",
        "section",
        "when",
        "preview_link",
    ]
    list_display_links = ["headline"]
    list_filter = [
        StateFilter,
        "section",
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = ["headline", "standfirst", "slug"]
    date_hierarchy = "published_at"
    list_select_related = ["section"]
    autocomplete_fields = ["tags", "lead_image"]
    prepopulated_fields = {"slug": ["headline"]}
    inlines = [BylineInline, ArticleNoteInline]
    readonly_fields = ["workflow_history"]
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over a million rows is slow
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "headline",
                    "slug",
                    "standfirst",
                    "body",
                    "dateline",
                    "based_on",
                ],
                "classes": ["desk-writing"],
            },
        ),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "workflow_note",
                    "workflow_history",
                    "published_at",
                    "section",
                    "tags",
                    "lead_image",
                ],
                "description": "Reporters submit a draft for review (the desk sets "
                "its time); editors "
                "publish it now, or schedule it with a time in the future "
                "(a time in the past, a late entry, is kept). "
                "The lead picture comes from the media library (type a word of "
                'its caption); in the body, <code>![alt](image:42 "caption")</code> '
                "places library picture 42.",
            },
        ),
        ("Comments", {"fields": ["comments_enabled", "comment_moderation"]}),
        (
            "Provenance",
            {
                "fields": ["source", "source_id", "canonical_url", "image_url"],
                "classes": ["collapse"],
            },
        ),
    ]

    class Media:
        css = {"all": ["articles/admin-desk.css"]}
        js = ["articles/admin-writing.js", "articles/admin-a11y.js"]

    # --- who sees and edits what ----------------------------------------
    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        if can_edit_others(request.user):
            return qs
        return qs.filter(created_by=request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or can_edit_others(request.user):
            return True
        # A reporter edits their own story while it is a draft; once it is
        # submitted or published it belongs to the desk.
        return obj.created_by_id == request.user.pk and obj.status == "draft"

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return (
            obj is None
            or can_edit_others(request.user)
            or obj.created_by_id == request.user.pk
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history lets anyone who may *view* the old version post its
        # form, and saves it: a revert changes the story as it is now, so it
        # needs the change permission on the current row (a reporter's own
        # draft, not the story the desk has since published).
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        # One transaction, as Django's own change view: the form's version
        # check locks the row (SELECT ... FOR UPDATE), which PostgreSQL
        # refuses outside one, and the revert is saved whole or not at all.
        with transaction.atomic():
            return super().history_form_view(
                request, object_id, version_id, extra_context
            )

    def revert_disabled(self, request, obj=None) -> bool:
        current = self.get_object(request, str(obj.pk)) if obj is not None else None
        return super().revert_disabled(request, obj) or (
            current is not None and not self.has_change_permission(request, current)
        )

    def get_readonly_fields(self, request, obj=None):
        # The publication time is the desk's: a reporter's draft goes out
        # when an editor publishes it, not at a time she typed (a date last
        # month slipped it into the archive, below the front page and out of
        # the news sitemap). Read-only, so a crafted POST's time is ignored.
        fields = list(super().get_readonly_fields(request, obj))
        if not can_publish(request.user):
            fields.append("published_at")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_publish(request.user):
            for name in ("publish", "unpublish", "move_to_section", "add_tag"):
                actions.pop(name, None)
        return actions

    # --- deleting: with what was added meanwhile (a reader's comment) ----
    def delete_model(self, request, obj: Article) -> None:
        pk = obj.pk

        def delete() -> None:
            obj.pk = pk  # a try that rolled back had cleared it
            super(ArticleAdmin, self).delete_model(request, obj)

        delete_whole(delete)

    def delete_queryset(self, request, queryset) -> None:
        delete_whole(
            lambda: super(ArticleAdmin, self).delete_queryset(request, queryset)
        )

    # --- saving: permissions, transitions, no empty revisions -----------
    def save_model(self, request, obj: Article, form, change: bool) -> None:
        before = (
            Article.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if change
            else None
        )
        if obj.status in PUBLISHING and not can_publish(request.user):
            raise PermissionDenied("Only editors publish or schedule stories.")
        # A revert's form compares against the old version it holds, not the
        # story as it is now: it always saves.
        reverting = hasattr(obj, "_history")
        if change and not form.has_changed() and not reverting:
            return  # nothing changed: no save, so no revision that changes nothing
        if not change:
            obj.created_by = request.user
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = obj.status
            if before is None and after == Article.Status.DRAFT:
                return
            if before != after:
                Transition.objects.create(
                    article=obj,
                    from_status=before or "new",
                    to_status=after,
                    user=request.user,
                    note=form.cleaned_data.get("workflow_note", ""),
                )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Only someone who may edit a story that exists "has it open": a
        # missing id is the admin's message (not a foreign-key error), and a
        # reader refused the story leaves no trace in the editors' warning.
        obj = (
            self.get_object(request, object_id)
            if request.method == "GET" and str(object_id).isdigit()
            else None
        )
        if obj is not None and self.has_change_permission(request, obj):
            others = others_editing(obj.pk, request.user)
            if others:
                messages.warning(
                    request,
                    f"{', '.join(others)} also has this story open. Saves based "
                    "on an older version are refused, so coordinate before saving.",
                )
            mark_editing(obj.pk, request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Workflow history")
    def workflow_history(self, obj: Article) -> str:
        """Each move of the story: who, when, and the note they left."""
        if not obj or not obj.pk:
            return "—"
        moves = list(obj.transitions.select_related("user")[:50])
        if not moves:
            return "No moves yet."
        return format_html_join(
            "",
            '<p class="desk-move"><strong>{}</strong> by {} on {}{}</p>',
            (
                (
                    m.label,
                    m.user or "someone",
                    timezone.localtime(m.at).strftime("%d %b %Y %H:%M"),
                    f": {m.note}" if m.note else "",
                )
                for m in moves
            ),
        )

    # --- list columns ----------------------------------------------------
    @admin.display(description="Published", ordering="published_at")
    def when(self, obj: Article) -> str:
        if not obj.published_at:
            return "—"
        moment = timezone.localtime(obj.published_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            moment.isoformat(),
            moment.strftime("%d %b %Y, %H:%M"),
            moment.strftime("%d %b %Y"),
        )

    @admin.display(description="State")
    def state_label(self, obj: Article) -> str:
        return obj.state

    @admin.display(description="Preview")
    def preview_link(self, obj: Article) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">preview</a>',
            reverse("web:preview", args=[obj.pk]),
        )

    def view_on_site(self, obj: Article) -> str:
        return reverse("web:preview", args=[obj.pk])

    # --- the writing view's live preview --------------------------------
    def get_urls(self):
        urls = super().get_urls()
        render = self.admin_site.admin_view(require_POST(self.render_view))
        shared = self.admin_site.admin_view(require_POST(self.share_view))
        return [
            path("render/", render, name="articles_article_render"),
            path("<int:pk>/share-preview/", shared, name="articles_article_share"),
            *urls,
        ]

    def render_view(self, request: HttpRequest) -> JsonResponse:
        """Markdown to the sanitised HTML readers will see (same renderer), up
        to the longest body a story may have; past it, ``too_long`` says so."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        body = clean_text(request.POST.get("body", ""))
        limit = body_max_chars()
        # The page sends at most its first 500,000 characters (more may be
        # past what a request carries) and the whole body's length beside.
        said = request.POST.get("length", "")
        length = max(len(body), min(int(said), 10**12) if is_int(said) else 0)
        too_long = ""
        if length > limit:
            # What the Save will refuse, said while the editor writes.
            too_long = (
                f"The body is {length:,} characters long; the most a story "
                f"may have is {limit:,}, so a Save will be refused. The preview "
                f"shows the first {limit:,}."
            )
        return JsonResponse(
            {"html": render_markdown(body[:limit]), "too_long": too_long}
        )

    def share_view(self, request: HttpRequest, pk: int):
        from django.shortcuts import get_object_or_404, redirect

        obj = get_object_or_404(Article, pk=pk)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        url = create_preview_link(request, obj)
        if url is None:
            raise Http404("This story was deleted meanwhile.")
        messages.success(
            request,
            f"Preview link (no account needed, expires in 7 days, revocable under "
            f"Preview links): {url}",
        )
        return redirect(reverse("admin:articles_article_change", args=[pk]))


@admin.register(Section)
class SectionAdmin(LockedDelete, admin.ModelAdmin):
    form = UniqueNamesForm
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(LockedDelete, admin.ModelAdmin):
    form = UniqueNamesForm
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(LockedDelete, admin.ModelAdmin):
    form = UniqueNamesForm
    list_display = ["name", "slug", "email"]
    search_fields = ["name"]
    autocomplete_fields = ["photo"]
    prepopulated_fields = {"slug": ["name"]}


class AccountAdmin(LockedDelete, UserAdmin):
    """Django's accounts page; deleting an account waits for a save that
    holds it (ArticleForm.clean), then takes what that save recorded."""


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)


class DeskImageAdmin(ImageAdmin):
    """The library, with the desk's rule: a picture a published or scheduled
    story shows (its lead picture, or a figure in its body) is part of it,
    so only those who edit others' stories change its caption, alt text,
    credit or crop."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or can_edit_others(request.user):
            return True
        public = Article.objects.filter(status__in=PUBLISHING)
        return not (
            public.filter(lead_image=obj).exists()
            or public.showing_pictures([obj]).exists()
        )

    def get_deleted_objects(self, objs, request):
        """Django's list of what a delete takes with it, and what protects
        the pictures: a published or scheduled story leading with one (its
        lead picture would be set to nothing in silence) or showing one in
        its body (the live page's figure lost its files at once, and the
        figure itself at the story's next save). Listed as protected, the
        admin names the stories and deletes nothing; a draft only loses its
        lead picture, or a figure."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        pictures = list(objs)
        public = Article.objects.filter(status__in=PUBLISHING).order_by("-published_at")
        leading = public.filter(lead_image__in=pictures).select_related("lead_image")
        protected = [
            *protected,
            *(
                format_html(
                    "{} leads the {} story “{}”",
                    story.lead_image,
                    story.get_status_display().lower(),
                    story.headline,
                )
                for story in leading[:50]
            ),
        ]
        showing = (
            BodyPicture.objects.filter(
                image__in=pictures, article__status__in=PUBLISHING
            )
            .select_related("image", "article")
            .order_by("-article__published_at")
        )
        protected += [
            format_html(
                "{} is in the body of the {} story “{}”",
                shown.image,
                shown.article.get_status_display().lower(),
                shown.article.headline,
            )
            for shown in showing[:50]
        ]
        return deleted, counts, perms_needed, protected


admin.site.unregister(Image)
admin.site.register(Image, DeskImageAdmin)
