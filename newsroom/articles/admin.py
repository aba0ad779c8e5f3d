"""The editors' admin: write, schedule, preview, correct and restore articles."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .models import Article, ArticleNote, Author, Byline, Section, Tag


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]


class ArticleNoteInline(admin.StackedInline):
    model = ArticleNote
    extra = 0
    fields = ["kind", "text", "noted_at"]


class StateFilter(admin.SimpleListFilter):
    """Draft / scheduled (still waiting) / live, computed against now."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Live")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "draft":
            return queryset.filter(status=Article.Status.DRAFT)
        if self.value() == "scheduled":
            return queryset.exclude(status=Article.Status.DRAFT).filter(
                published_at__gt=now
            )
        if self.value() == "published":
            return queryset.published(now)
        return queryset


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = [
        "headline",
        "section",
        "state_label",
        "published_at",
        "updated_at",
        "comment_count",
        "preview_link",
    ]
    list_filter = [
        StateFilter,
        "status",
        "section",
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = ["headline", "standfirst", "slug"]
    date_hierarchy = "published_at"
    list_select_related = ["section"]
    autocomplete_fields = ["tags"]
    prepopulated_fields = {"slug": ["headline"]}
    inlines = [BylineInline, ArticleNoteInline]
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over a million rows is slow
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "body", "dateline"]}),
        (
            "Publishing",
            {
                "fields": ["status", "published_at", "section", "tags", "image_url"],
                "description": "Set status to Published with a time in the future to "
                "schedule: the article appears at that time by itself.",
            },
        ),
        ("Comments", {"fields": ["comments_enabled", "comment_moderation"]}),
        (
            "Provenance",
            {
                "fields": ["source", "source_id", "canonical_url"],
                "classes": ["collapse"],
            },
        ),
    ]

    @admin.display(description="State")
    def state_label(self, obj: Article) -> str:
        return obj.state

    @admin.display(description="Preview")
    def preview_link(self, obj: Article) -> str:
        return format_html(
            '<a href="{}" target="_blank">preview</a>',
            reverse("web:preview", args=[obj.pk]),
        )

    def view_on_site(self, obj: Article) -> str:
        return reverse("web:preview", args=[obj.pk])


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
