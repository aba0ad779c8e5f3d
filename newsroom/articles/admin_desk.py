"""The desk's admin: bulk actions, the review queue, front-page pins and
shareable preview links."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from newsroom.db.holds import hold

from .desk import Pin, PreviewLink, Transition, create_preview_link
from .models import Article, ReviewQueue, Section, Tag


class ArticleActionForm(ActionForm):
    """The action bar, with the section or tag a bulk move or tag needs."""

    section = forms.ModelChoiceField(
        Section.objects.all(), required=False, label="Section"
    )
    tag = forms.ModelChoiceField(Tag.objects.all(), required=False, label="Tag")


def _require_publish(request) -> None:
    if not request.user.has_perm("articles.publish_article"):
        raise PermissionDenied("Only editors publish, unpublish or move stories.")


def _editable(modeladmin, request, queryset):
    """Only the rows this user may change (a crafted POST can name any id),
    locked and read afresh: call it inside the action's transaction.

    Each row is saved whole, so it must be the row as it is once ours: read
    before the lock, another editor's save committed meanwhile was written
    back with the old text, and two editors publishing the same stories at
    once both saw them as drafts and both recorded the move (PostgreSQL;
    SQLite's IMMEDIATE transactions already serialise the two)."""
    rows = (
        Article.objects.select_for_update()
        .filter(pk__in=queryset.values("pk"))
        .order_by("pk")
    )
    return [a for a in rows if modeladmin.has_change_permission(request, a)]


def _move(request, article: Article, status: str, note: str) -> None:
    before = article.status
    article.status = status
    if status == Article.Status.PUBLISHED and (
        article.published_at is None or article.published_at > timezone.now()
    ):
        article.published_at = timezone.now()
    article.save()
    if before != article.status:
        Transition.objects.create(
            article=article,
            from_status=before,
            to_status=article.status,
            user=request.user,
            note=note,
        )


def _bulk_move(modeladmin, request, queryset, status: str, verb: str) -> None:
    _require_publish(request)
    with transaction.atomic():
        rows = _editable(modeladmin, request, queryset)
        for article in rows:
            _move(request, article, status, f"bulk {verb}")
    messages.success(request, f"{verb.capitalize()}ed {len(rows)} stories.")


@admin.action(description="Publish selected stories now")
def publish(modeladmin, request, queryset) -> None:
    _bulk_move(modeladmin, request, queryset, Article.Status.PUBLISHED, "publish")


@admin.action(description="Unpublish selected stories (back to draft)")
def unpublish(modeladmin, request, queryset) -> None:
    _bulk_move(modeladmin, request, queryset, Article.Status.DRAFT, "unpublish")


def _chosen(request, name: str):
    """The section or tag picked in the action bar; None when none or junk."""
    field = ArticleActionForm().fields[name]
    try:
        return field.clean(request.POST.get(name) or None)
    except ValidationError:
        return None


def _gone(kind: str, obj) -> str:
    return f"The {kind} “{obj}” was deleted meanwhile; no story was changed."


@admin.action(description="Move selected stories to the section chosen")
def move_to_section(modeladmin, request, queryset) -> None:
    _require_publish(request)
    section = _chosen(request, "section")
    if section is None:
        messages.error(request, "Choose a section in the action bar first.")
        return
    with transaction.atomic():
        if not hold(Section, [section.pk]):
            messages.error(request, _gone("section", section))
            return
        rows = _editable(modeladmin, request, queryset)
        for article in rows:
            article.section = section
            article.save()
    messages.success(request, f"Moved {len(rows)} stories to {section}.")


@admin.action(description="Add the tag chosen to selected stories")
def add_tag(modeladmin, request, queryset) -> None:
    _require_publish(request)
    tag = _chosen(request, "tag")
    if tag is None:
        messages.error(request, "Choose a tag in the action bar first.")
        return
    with transaction.atomic():
        if not hold(Tag, [tag.pk]):
            messages.error(request, _gone("tag", tag))
            return
        rows = _editable(modeladmin, request, queryset)
        for article in rows:
            article.tags.add(tag)
            article.save()  # a revision and an outbox row, as any edit
    messages.success(request, f"Tagged {len(rows)} stories “{tag}”.")


@admin.action(description="Make a shareable preview link")
def share_preview(modeladmin, request, queryset) -> None:
    for article in queryset[:20]:
        if modeladmin.has_view_permission(request, article):
            url = create_preview_link(request, article)
            if url is not None:  # None: deleted meanwhile
                messages.success(request, f"{article}: {url}")


bulk_actions = [publish, unpublish, move_to_section, add_tag, share_preview]


@admin.register(ReviewQueue)
class ReviewQueueAdmin(admin.ModelAdmin):
    list_display = ["headline", "section", "submitted_by", "submitted_at", "open"]
    list_select_related = ["section"]
    ordering = ["updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Article.Status.REVIEW)

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm("articles.publish_article")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("articles.publish_article")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _submission(self, obj):
        return obj.transitions.filter(to_status="review").first()

    @admin.display(description="Submitted by")
    def submitted_by(self, obj) -> str:
        move = self._submission(obj)
        return str(move.user) if move and move.user else "—"

    @admin.display(description="Submitted")
    def submitted_at(self, obj):
        move = self._submission(obj)
        return move.at if move else obj.updated_at

    @admin.display(description="")
    def open(self, obj) -> str:
        return format_html(
            '<a href="{}">Review</a>',
            reverse("admin:articles_article_change", args=[obj.pk]),
        )


class PinForm(forms.ModelForm):
    """A pin's own page. It carries the version of the pin it was opened on
    (``based_on``); a Save from a page someone saved the pin after is
    refused, where it wrote the values it had loaded back in silence."""

    based_on = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Pin
        fields = "__all__"  # noqa: DJ007 - the admin's own fields

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The pin as stored now (the History page's form holds an old
            # version: its revert is based on the pin as it is).
            self.fields["based_on"].initial = pin_version(self.instance.pk)

    def clean(self):
        # The story and section held until the pin is saved (see hold): a
        # deletion waits and takes the pin; one that came first is an error.
        data = super().clean()
        for name, model, what in (
            ("article", Article, "story"),
            ("section", Section, "section"),
        ):
            chosen = data.get(name)
            if chosen is not None and not hold(model, [chosen.pk]):
                self.add_error(name, f"This {what} was deleted meanwhile.")
        # Locked until the Save commits: a second Save from the same version
        # waits for this one, then sees the pin changed.
        if self.instance.pk and (
            pin_version(self.instance.pk, lock=True) != data.get("based_on")
        ):
            raise ValidationError(
                "Someone changed this pin after you opened it; nothing was "
                "saved. Reload the page and apply your change again."
            )
        return data


def pin_version(pk: int, *, lock: bool = False) -> str | None:
    """A word naming a pin's stored values (None: no such pin); with
    ``lock``, the row stays locked until the transaction ends."""
    rows = Pin.objects.filter(pk=pk)
    if lock:
        rows = rows.select_for_update()
    row = rows.values_list("article_id", "section_id", "position", "expires_at")
    values = row.first()
    if values is None:
        return None
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


class PinListForm(forms.ModelForm):
    """A row of the pins' list (its position and expiry editable in place).

    The page carries the values each row had when it was opened (hidden);
    a row counts as changed against those, not against the row as it is
    now, and a changed row that someone saved meanwhile is refused. A Save
    wrote back every row whose stored values differed from the page's: the
    order another editor had set was undone in silence."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.show_hidden_initial = True

    def clean(self):
        data = super().clean()
        names = list(self._meta.fields or [])  # list_editable, not the id
        if self.instance.pk and self.has_changed():
            row = (
                Pin.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values(*names)
                .first()
            )
            if row is None or any(
                self._opened_with(n) != _to_the_second(row[n]) for n in names
            ):
                raise ValidationError(
                    "Someone changed this pin after you opened the list; "
                    "nothing of this row was saved. Reload the list and "
                    "apply your change again."
                )
        return data

    def _opened_with(self, name: str):
        """The value the row had when the page was opened (its hidden copy)."""
        field = self.fields[name]
        raw = field.hidden_widget().value_from_datadict(
            self.data, self.files, self.add_initial_prefix(name)
        )
        try:
            return _to_the_second(field.clean(raw))
        except ValidationError:
            return object()  # unreadable: never equal, so refused


def _to_the_second(value):
    """A time as the page shows it (to the second): an expiry set in code
    carries microseconds the page's copy cannot."""
    return value.replace(microsecond=0) if isinstance(value, datetime) else value


@admin.register(Pin)
class PinAdmin(SimpleHistoryAdmin):
    """Front-page curation: the lead and the top stories, with expiry."""

    form = PinForm

    list_display = ["article", "where", "position", "expires_at", "active"]
    list_editable = ["position", "expires_at"]
    list_filter = ["section"]
    autocomplete_fields = ["article"]
    ordering = ["section", "position"]

    @admin.display(description="Front")
    def where(self, obj: Pin) -> str:
        return obj.section.name if obj.section_id else "Home"

    @admin.display(boolean=True)
    def active(self, obj: Pin) -> bool:
        return obj.expires_at is None or obj.expires_at > timezone.now()

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", PinListForm)
        return super().get_changelist_form(request, **kwargs)

    def changelist_view(self, request, extra_context=None):
        # A Save of the list in one transaction: ``PinListForm`` locks each
        # changed row while the formset validates, which Django runs before
        # its own transaction around the saves (outside one, PostgreSQL's
        # FOR UPDATE is an error: every Save of a change was a 500).
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        with transaction.atomic(using=router.db_for_write(Pin)):
            return super().changelist_view(request, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert is a Save of the pin's form, whose version check locks the
        # row: in one transaction, as Django's own change view.
        with transaction.atomic(using=router.db_for_write(Pin)):
            return super().history_form_view(
                request, object_id, version_id, extra_context
            )

    def save_model(self, request, obj: Pin, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PreviewLink)
class PreviewLinkAdmin(admin.ModelAdmin):
    list_display = ["article", "created_by", "created_at", "expires_at", "revoked"]
    list_editable = ["revoked"]
    readonly_fields = ["key", "article", "created_by", "created_at", "expires_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # made from the article, where the URL is shown once

    def get_queryset(self, request):
        # A reporter sees (and revokes) only the links to their own stories:
        # the rest name other people's drafts.
        qs = super().get_queryset(request)
        if request.user.has_perm("articles.edit_others_article"):
            return qs
        return qs.filter(article__created_by=request.user)

    @admin.action(description="Revoke selected links")
    def revoke(self, request, queryset) -> None:
        queryset.update(revoked=True)
