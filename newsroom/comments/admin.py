"""The moderation queue, reported comments, bans, and data requests."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join

from newsroom.db.deletes import delete_whole

from . import privacy
from .models import Ban, Comment, PendingComment, ReportedComment
from .moderation import recount, set_status


def _status_action(status: str, label: str):
    def action(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
        n = set_status(list(queryset.values_list("pk", flat=True)), status)
        modeladmin.message_user(request, f"{n} comment(s) marked {label.lower()}.")

    action.__name__ = f"mark_{status}"
    action.short_description = f"{label} selected comments"
    action.allowed_permissions = ("change",)
    return action


approve = _status_action(Comment.Status.APPROVED, "Approve")
reject = _status_action(Comment.Status.REJECTED, "Reject")
spam = _status_action(Comment.Status.SPAM, "Mark as spam:")
remove = _status_action(Comment.Status.REMOVED, "Remove")


@admin.action(
    description="Ban the email addresses of selected comments", permissions=["ban"]
)
def ban_emails(modeladmin, request, queryset) -> None:
    emails = {e for e in queryset.values_list("email", flat=True) if e}
    for email in emails:
        Ban.objects.get_or_create(
            kind=Ban.Kind.EMAIL,
            value=email,
            defaults={"reason": "from the moderation queue"},
        )
    modeladmin.message_user(request, f"Banned {len(emails)} email address(es).")


@admin.action(description="Ban the networks of selected comments", permissions=["ban"])
def ban_networks(modeladmin, request, queryset) -> None:
    networks = {n for n in queryset.values_list("network", flat=True) if n}
    for network in networks:
        Ban.objects.get_or_create(
            kind=Ban.Kind.NETWORK,
            value=network,
            defaults={"reason": "from the moderation queue"},
        )
    modeladmin.message_user(request, f"Banned {len(networks)} network(s).")


@admin.action(
    description="Dismiss the reports on selected comments", permissions=["change"]
)
def dismiss_reports(modeladmin, request, queryset) -> None:
    n = queryset.update(report_count=0)
    modeladmin.message_user(request, f"Dismissed the reports on {n} comment(s).")


@admin.action(
    description="Export everything stored about these commenters' emails",
    permissions=["change"],
)
def export_data(modeladmin, request, queryset) -> HttpResponse:
    emails = sorted({e for e in queryset.values_list("email", flat=True) if e})
    data = [privacy.export(e) for e in emails]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="comment-data.json"'
    return response


@admin.action(
    description="Delete everything stored about these commenters' emails",
    permissions=["delete"],
)
def delete_data(modeladmin, request, queryset) -> None:
    emails = {e for e in queryset.values_list("email", flat=True) if e}
    total = sum(privacy.delete(e)["comments"] for e in emails)
    modeladmin.message_user(
        request,
        f"Deleted {total} comment(s) for {len(emails)} address(es).",
        messages.WARNING,
    )


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = [
        "short_body",
        "name",
        "article",
        "status",
        "reasons_shown",
        "report_count",
        "network",
        "created_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["name", "email", "body", "network"]
    raw_id_fields = ["article", "parent"]
    readonly_fields = ["network", "reasons", "created_at", "moderated_at", "body_html"]
    actions = [
        approve,
        reject,
        spam,
        remove,
        ban_emails,
        ban_networks,
        dismiss_reports,
        export_data,
        delete_data,
    ]
    list_select_related = ["article"]
    date_hierarchy = "created_at"

    # Comments come from readers (the form, the API): an add form would let
    # staff write one under any reader's name, on any article id, a draft's
    # included (its raw-id field named the draft's headline). A comment stays
    # on the story, and under the comment, it was written on.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*self.readonly_fields, "article", "parent"]

    # Each action says which permission it needs (Django runs any action
    # without one for whoever may view the list, e.g. an editor).
    def has_ban_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("comments.add_ban")

    @admin.display(description="comment")
    def short_body(self, obj: Comment) -> str:
        return obj.body[:80] + ("…" if len(obj.body) > 80 else "")

    @admin.display(description="guard reasons")
    def reasons_shown(self, obj: Comment) -> str:
        if not obj.reasons:
            return "—"
        return format_html_join("", "<div>{}</div>", ((r,) for r in obj.reasons))

    def delete_model(self, request, obj) -> None:
        # The approved count is stored on the article: recount what it loses.
        # A reply committed meanwhile is kept, with no parent (delete_whole).
        pk = obj.pk

        def delete() -> None:
            obj.pk = pk  # a try that rolled back had cleared it
            super(CommentAdmin, self).delete_model(request, obj)
            recount([obj.article_id])

        delete_whole(delete)

    def delete_queryset(self, request, queryset) -> None:
        def delete() -> None:
            articles = set(queryset.values_list("article_id", flat=True))
            super(CommentAdmin, self).delete_queryset(request, queryset)
            recount(articles)

        delete_whole(delete)

    def save_model(self, request, obj, form, change) -> None:
        # A status edited by hand goes through set_status, so counts stay right.
        new_status = obj.status
        if change and "status" in form.changed_data:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if obj.status != new_status:
            set_status([obj], new_status)
            obj.status = new_status
        elif not change:
            recount([obj.article_id])


@admin.register(PendingComment)
class PendingCommentAdmin(CommentAdmin):
    list_filter = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Comment.Status.PENDING)


@admin.register(ReportedComment)
class ReportedCommentAdmin(CommentAdmin):
    list_filter = ["status"]
    ordering = ["-report_count", "-created_at"]

    def get_queryset(self, request):
        return Comment.objects.reported().select_related("article")


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "reason", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "reason"]
