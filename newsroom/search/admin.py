"""Alias groups and what readers search for, for the roles given them (roles.py)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from . import aliases, analytics
from .models import AliasGroup, SearchQuery

PERIODS = [
    (1, "Today"),
    (7, "Last 7 days"),
    (30, "Last 30 days"),
    (365, "Last year"),
]


@admin.register(AliasGroup)
class AliasGroupAdmin(admin.ModelAdmin):
    list_display = ["__str__", "note", "enabled", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["terms", "note"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        aliases.clear()


@admin.register(SearchQuery)
class SearchQueryAdmin(admin.ModelAdmin):
    """The changelist is a report: top and zero-result queries for a period."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # Django's list checks this; the report replaces it: without the
        # check, any staff account (a reporter, a comment moderator) read it.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        analytics.flush()
        try:
            days = int(request.GET.get("days", 7))
        except ValueError:
            days = 7
        if days not in dict(PERIODS):
            days = 7
        context = {
            **self.admin_site.each_context(request),
            "title": "What readers search for",
            "opts": self.model._meta,
            "periods": PERIODS,
            "days": days,
            "total": analytics.total(days),
            "top": analytics.top_queries(days),
            "zero": analytics.zero_result_queries(days),
        }
        return TemplateResponse(
            request, "admin/search/searchquery/report.html", context
        )
