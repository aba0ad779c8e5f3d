"""The media library in the admin: upload one or several, search, focal point."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from . import renditions
from .checks import CleanImage, clean_upload, content_hash
from .library import prepare
from .models import Image


def _stored(image: Image) -> bool:
    """Save a prepared picture; False when the same file was stored by another
    upload since the form's duplicate check (its original is deleted).

    Only PostgreSQL gets here: SQLite's IMMEDIATE transactions make the
    check and the save one step. There, a race on a later file of a
    several-file upload can still end in a deadlock PostgreSQL breaks (the
    other upload waits on this one's content-version bump while this one
    waits on its row): one of the two uploads fails and can be sent again."""
    try:
        with transaction.atomic():
            image.save()
    except IntegrityError:
        if not Image.objects.filter(content_hash=image.content_hash).exists():
            raise  # another constraint: a real fault
        image.file.delete(save=False)
        return False
    return True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class ImageAddForm(forms.ModelForm):
    """Upload: one picture, or several at once (then alt text comes after)."""

    upload = MultipleImageField(
        label="Pictures",
        help_text="JPEG, PNG, WebP or GIF (first frame). Several files at once: "
        "the caption and credit go to each; write each one's alt text after.",
    )

    class Meta:
        model = Image
        fields = ["upload", "alt", "decorative", "caption", "credit", "source_url"]

    def clean(self):
        data = super().clean()
        files = data.get("upload") or []
        if not files:  # the field said why (an empty file, none chosen)
            return data
        checked: list[tuple[str, CleanImage]] = []
        self.duplicates: list[Image] = []
        errors = []
        self.repeated = 0  # the same new file selected twice in this upload
        hashes: set[str] = set()
        for f in files:
            raw = f.read()
            digest = content_hash(raw)
            if digest in hashes:
                self.repeated += 1
                continue
            hashes.add(digest)
            existing = Image.objects.filter(content_hash=digest).first()
            if existing is not None:
                self.duplicates.append(existing)
                continue
            try:
                checked.append((f.name, clean_upload(raw, f.name)))
            except ValidationError as exc:
                errors.append(f"{f.name}: {' '.join(exc.messages)}")
        if errors:
            raise ValidationError({"upload": errors})
        if len(files) == 1 and self.duplicates:
            found = self.duplicates[0]
            raise ValidationError(
                {
                    "upload": format_html(
                        'This picture is already in the library: <a href="{}">'
                        "use the existing one</a>.",
                        reverse("admin:media_image_change", args=[found.pk]),
                    )
                }
            )
        if not checked:
            raise ValidationError({"upload": "Every file is already in the library."})
        self.checked = checked
        if len(checked) == 1 and not data.get("decorative") and not data.get("alt"):
            self.add_error("alt", "Describe the picture, or mark it decorative.")
        return data

    def _post_clean(self):
        pass  # the model's checks run per picture in save_model


class FocalPointWidget(forms.NumberInput):
    """A number input the focal point picker (media/focal.js) fills on click."""

    def __init__(self, attrs=None):
        super().__init__({"step": "0.01", "min": "0", "max": "1", **(attrs or {})})


class ImageChangeForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = [
            "alt",
            "decorative",
            "caption",
            "credit",
            "source_url",
            "focal_x",
            "focal_y",
        ]
        widgets = {"focal_x": FocalPointWidget(), "focal_y": FocalPointWidget()}


def _lock(images) -> None:
    list(images.select_for_update().order_by("pk").values_list("pk", flat=True))


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "__str__", "credit", "size", "uploaded_at"]
    list_display_links = ["thumbnail", "__str__"]
    search_fields = ["caption", "alt", "credit"]
    list_filter = ["decorative", "uploaded_at"]
    readonly_fields = ["focal_picker", "size", "content_hash", "uploaded_at"]
    list_per_page = 50

    class Media:
        js = ["media/focal.js"]
        css = {"all": ["media/focal.css"]}

    # --- deleting: the rows first, then what points at them -------------
    # Locked before Django collects what refers to them: a save that chose
    # the picture (and locked it) commits first, and the collection then
    # sees it and clears the reference; without the lock it missed that
    # save, whose COMMIT then broke the foreign key.
    def delete_model(self, request, obj: Image) -> None:
        with transaction.atomic():
            _lock(Image.objects.filter(pk=obj.pk))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            _lock(Image.objects.filter(pk__in=queryset.values("pk")))
            super().delete_queryset(request, queryset)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ImageChangeForm if obj else ImageAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ImageAddForm.Meta.fields})]
        return [
            (None, {"fields": ["focal_picker", "alt", "decorative", "caption"]}),
            ("Credit", {"fields": ["credit", "source_url"]}),
            ("Focal point", {"fields": ["focal_x", "focal_y"]}),
            ("File", {"fields": ["size", "content_hash", "uploaded_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def log_addition(self, request, obj, message):
        if getattr(obj, "already_stored", False):
            return None  # another upload added it (and logged it)
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "already_stored", False):
            return HttpResponseRedirect(
                reverse("admin:media_image_change", args=[obj.pk])
            )
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="")
    def thumbnail(self, obj: Image):
        # The thumbnail is a link to the picture: its alt is the link's name,
        # the same words as the row's other link (never an empty link).
        return format_html(
            '<img src="{}" width="80" height="80" alt="{}" loading="lazy">',
            renditions.url(obj, "160x160"),
            str(obj),
        )

    @admin.display(description="Size")
    def size(self, obj: Image) -> str:
        return f"{obj.width} × {obj.height} px"

    @admin.display(
        description="Picture (click it, or use the arrow keys on it, to set the "
        "focal point)"
    )
    def focal_picker(self, obj: Image):
        # media/focal.js moves the point by click or arrow keys and writes
        # where it is in the status line, which a screen reader reads.
        return format_html(
            '<div class="focal-picker" data-focal-x="{}" data-focal-y="{}" '
            'tabindex="0" role="application" '
            'aria-roledescription="focal point picker" '
            'aria-label="Focal point: arrow keys move it, Shift and an arrow in '
            'small steps" aria-describedby="focal-picker-where">'
            '<img src="{}" alt="" width="{}" height="{}">'
            '<span class="focal-picker__dot" aria-hidden="true"></span></div>'
            '<p class="focal-picker__where" id="focal-picker-where" role="status">'
            "</p>",
            obj.focal_x,
            obj.focal_y,
            renditions.url(obj, "640w"),
            *renditions.output_size(obj, renditions.SPECS["640w"]),
        )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {
            k: form.cleaned_data[k]
            for k in ("alt", "decorative", "caption", "credit", "source_url")
        }
        (_first_name, first), *rest = form.checked
        for name, value in fields.items():
            setattr(obj, name, value)
        added, landed = 0, 0
        if _stored(prepare(first, obj)):
            added += 1
        else:  # the upload's page is the picture already stored
            found = Image.objects.get(content_hash=first.content_hash)
            for field in Image._meta.concrete_fields:
                setattr(obj, field.attname, getattr(found, field.attname))
            obj._state.adding, obj._state.db = False, found._state.db
            obj.already_stored = True
            landed += 1
        for _name, clean in rest:
            if _stored(prepare(clean, **fields)):
                added += 1
            else:
                landed += 1
        form.repeated += landed
        if form.duplicates or form.repeated:
            messages.warning(
                request,
                f"{len(form.duplicates) + form.repeated} file(s) were already in "
                "the library or sent twice and were not added again.",
            )
        if added > 1:
            messages.info(
                request,
                f"{added} pictures added: write the alt text of each "
                "(the list's search finds them by caption).",
            )
