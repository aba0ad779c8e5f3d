"""The article form of the editors' admin (admin.py): the desk's rules for
a save (allowed states, a real time for a schedule, no save over a newer
version, nothing named that was deleted meanwhile) and the byline rows'."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from newsroom.db.holds import hold
from newsroom.media.models import Image

from .forms import CleanTextForm, body_max_chars
from .models import Article, Author, Byline, Section, Tag
from .names import lock_names

# ``image:42``: a library picture the body places (rendering._library_images).
_PLACED = re.compile(r"\bimage:(\d{1,18})\b")


def can_publish(user) -> bool:
    return user.has_perm("articles.publish_article")


def can_edit_others(user) -> bool:
    return user.has_perm("articles.edit_others_article")


class BylineForm(forms.ModelForm):
    class Meta:
        model = Byline
        fields = ["author", "position"]

    def clean_author(self) -> Author:
        author = self.cleaned_data["author"]
        if not hold(Author, [author.pk]):
            raise forms.ValidationError(
                "This author was deleted meanwhile; choose another (the rest "
                "of your changes are kept)."
            )
        return author


class ArticleForm(CleanTextForm):
    """The article form, with the desk's rules: allowed states, a real time
    for a schedule, one kind of line ending, and no save over a newer one."""

    based_on = forms.CharField(widget=forms.HiddenInput, required=False)
    workflow_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Saved with a change of state: why it was sent back, "
        "what to check, what changed.",
    )

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 - the admin narrows them by fieldsets

    user = None  # set per request by ArticleAdmin.get_form

    def __init__(self, *args, **kwargs) -> None:
        # The History page's revert form holds an old version: it brings
        # back that version's words, on the story as it is now (REVERTED).
        instance = kwargs.get("instance")
        self._version = None
        if instance is not None and instance.pk and hasattr(instance, "_history"):
            self._version = instance._history
            _words_of_the_version_on_the_story_now(instance)
        # CleanTextForm cleans while converting, so "changed?" compares
        # cleaned text: a browser's CRLF line endings are not an edit.
        super().__init__(*args, **kwargs)
        if self._version is not None and "tags" in self.fields:
            # The form would read the story's tags as they are now; the
            # version's are kept beside it (those not deleted since).
            held = [row.tag_id for row in self._version.tags.all()]
            self.initial["tags"] = list(Tag.objects.filter(pk__in=held))
        when = self.fields.get("published_at")
        if when is not None and hasattr(when.widget, "widgets"):
            date, time = when.widget.widgets
            date.attrs["aria-label"] = "Publication date"
            time.attrs["aria-label"] = "Publication time"
        if self.instance.pk and self.instance.updated_at:
            # A revert's too: its instance has the story's stamp as it is now.
            self.fields["based_on"].initial = self.instance.updated_at.isoformat()
        status = self.fields.get("status")
        if status is not None and self.user is not None and not can_publish(self.user):
            status.choices = [
                (Article.Status.DRAFT.value, Article.Status.DRAFT.label),
                (Article.Status.REVIEW.value, Article.Status.REVIEW.label),
            ]
        if status is not None:
            status.help_text = (
                "Scheduled needs a publication time in the future; Published "
                "with no time goes live now."
            )

    def clean_body(self) -> str:
        # Rendering is linear, but a body this long is a mistake (a paste of
        # a whole archive), and every save renders it again.
        body = self.cleaned_data.get("body") or ""
        limit = body_max_chars()
        if len(body) > limit:
            raise forms.ValidationError(
                f"The body is {len(body):,} characters long; the most a story "
                f"may have is {limit:,}. Split it into parts, or trim it."
            )
        return body

    def clean(self):
        data = super().clean()
        if self._takes_a_slug():
            # The slugs' lock before any row of the story's: an import takes
            # it to choose its new stories' slugs and then updates the
            # stories it brings again. Taken after this story's row (in
            # validate_unique), an import updating this story made a
            # deadlock PostgreSQL broke by failing one of the two (the
            # editor's Save, a 500).
            lock_names(Article)
        status = data.get("status")
        when = data.get("published_at")
        if status == Article.Status.SCHEDULED and (not when or when <= timezone.now()):
            self.add_error(
                "published_at",
                "A scheduled story needs a publication time in the future. "
                "Set the time, or choose Published to go live now.",
            )
        # The library pictures the story names, held until it is saved
        # (hold), before the story's row, in the order a deletion takes
        # them: the lead picture when chosen (a revert's form starts from
        # the version's, which may not be the story's now), and those the
        # body places (the save records them, pictures.py). A deletion
        # committed first left the lead picture's foreign key broken at
        # COMMIT (a 500, the editor's text lost); one that came second
        # waits for the save, then clears the lead picture. One statement,
        # in id order: two saves holding pictures never wait on each other.
        lead = data.get("lead_image")
        if lead is not None and not (
            "lead_image" in self.changed_data or self._version is not None
        ):
            lead = None  # the story's own: held by its foreign key already
        placed = {int(pk) for pk in _PLACED.findall(data.get("body") or "")}
        there = hold(Image, placed | ({lead.pk} if lead is not None else set()))
        if lead is not None and lead.pk not in there:
            self.add_error(
                "lead_image",
                "This picture was deleted from the library meanwhile; "
                "choose another (the rest of your changes are kept).",
            )
        self._hold_named(data)
        if self.instance.pk:
            # The admin saves inside one transaction: locking the row here
            # makes a second save based on the same version wait for the
            # first and then see that it is stale (PostgreSQL; SQLite's
            # IMMEDIATE transactions already serialise the two).
            stored = self._kept_as_stored()
            row = (
                Article.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values("updated_at", "status", "created_by_id", *stored)
                .first()
            )
            if row is None:
                # Django's save would find no row to update and insert the
                # story again under its old id, without its comments.
                raise forms.ValidationError(
                    "This story was deleted while you edited it. Nothing was "
                    "saved: your text is still in the form below. Copy what "
                    "you need and write it as a new story."
                )
            current, status = row["updated_at"], row["status"]
            created_by = row["created_by_id"]
            # What the form does not set is saved as it is stored now, read
            # under the lock: the comment count the comments app keeps (a
            # comment approved since the story was read was counted out
            # again), and for a revert whatever its version held that is
            # not the text (a reporter's revert wrote back its time).
            for name in stored:
                setattr(self.instance, name, row[name])
            if (
                self.user is not None
                and not can_edit_others(self.user)
                and (status != Article.Status.DRAFT or created_by != self.user.pk)
            ):
                # The admin checked the role on the story as it was read,
                # before this lock: an editor who published (or took) it
                # meanwhile made it the desk's, and the save wrote the
                # reporter's draft back over it. The 403 page keeps the text.
                raise PermissionDenied(
                    "This story was submitted or published while you edited "
                    "it: it is the desk's now, and only an editor may change it."
                )
            if self.user is not None and not hold(User, [self.user.pk]):
                # Its revision and log entry would name an account that is
                # gone: a broken foreign key at COMMIT (a 500, the text lost).
                raise forms.ValidationError(
                    "Your account was removed while you edited this story. "
                    "Nothing was saved: your text is still in the form below. "
                    "Copy what you need and ask an administrator for access."
                )
            if not data.get("based_on"):
                # A page from before the marker existed, a script, a crafted
                # POST: nothing says which version it was made from, so it
                # could write over a newer save in silence.
                raise forms.ValidationError(
                    "This page did not say which version of the story it was "
                    "opened on, so it could overwrite a save made after it "
                    "was opened. Nothing was saved: your text is still in the "
                    "form below. Copy what you need, reload the story and "
                    "apply your changes again."
                )
            if current.isoformat() != data["based_on"]:
                raise forms.ValidationError(
                    "Someone saved this story after you opened it (at "
                    f"{timezone.localtime(current):%H:%M:%S}). Nothing was saved: "
                    "your text is still in the form below. Copy what you need, "
                    "reload the story and apply your changes again."
                )
        return data

    def _kept_as_stored(self) -> list[str]:
        """The story's columns this form does not set (its count, who wrote
        it, a reporter's publication time): saved as they are stored."""
        made_at_save = {"id", "updated_at", "body_html"}
        return [
            f.attname
            for f in Article._meta.concrete_fields
            if f.name not in self.fields and f.attname not in made_at_save
        ]

    def _hold_named(self, data: dict) -> None:
        """Hold the section and tags the story names until it is saved (see
        hold): one deleted meanwhile is the form's error."""
        section = data.get("section")
        if section is not None and not hold(Section, [section.pk]):
            self.add_error(
                "section",
                "This section was deleted meanwhile; choose another (the rest "
                "of your changes are kept).",
            )
        tags = list(data.get("tags") or [])
        gone = {t.pk for t in tags} - hold(Tag, [t.pk for t in tags])
        if gone:
            names = ", ".join(t.name for t in tags if t.pk in gone)
            self.add_error(
                "tags",
                f"These tags were deleted meanwhile: {names}. Take them off "
                "(the rest of your changes are kept).",
            )

    def validate_unique(self) -> None:
        # Django's check is a SELECT: two stories saved with one slug at once
        # both passed it (PostgreSQL). The slugs' lock makes the second wait
        # for the first's commit, then see its row: the form's error.
        if self._takes_a_slug():
            lock_names(Article)  # taken in clean() already: held, no wait
        super().validate_unique()

    def _takes_a_slug(self) -> bool:
        """Whether this save gives the story a slug (new, or changed)."""
        slug = self.cleaned_data.get("slug")
        return bool(slug) and (not self.instance.pk or "slug" in self.changed_data)

    def has_changed(self) -> bool:
        # The hidden version stamp and an empty note are not edits.
        return bool(set(self.changed_data) - {"based_on", "workflow_note"}) or bool(
            (self.cleaned_data or {}).get("workflow_note")
        )


# What a revert (the History page) brings back from an old version: the
# story's words and what is shown with them (its section, tags and lead
# picture; pictures in the body are in its words). The rest stays as it is
# now: the address (slug), the state and publication time (the desk's; an
# editor may still change them in the revert form, as in any Save), the
# comments' settings and count (the count is the comments app's: a revert
# to a version from before the first comment hid them all), provenance and
# bookkeeping.
REVERTED = frozenset(
    {"headline", "standfirst", "body", "dateline", "section", "lead_image", "tags"}
)


def _words_of_the_version_on_the_story_now(old: Article) -> None:
    """Turn the version ``old`` (an instance built from a historical row)
    into the story as it is now with the version's REVERTED fields; a
    section or picture deleted since gives way to the story's own now."""
    now = Article.objects.filter(pk=old.pk).first()
    if now is None:
        return  # deleted meanwhile: the form's clean() says so
    for field in Article._meta.concrete_fields:
        if field.name not in REVERTED:
            setattr(old, field.attname, getattr(now, field.attname))
    if not Section.objects.filter(pk=old.section_id).exists():
        old.section_id = now.section_id
    if (
        old.lead_image_id is not None
        and not Image.objects.filter(pk=old.lead_image_id).exists()
    ):
        old.lead_image_id = now.lead_image_id
