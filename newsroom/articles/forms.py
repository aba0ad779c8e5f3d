"""Admin forms for sections, tags, authors and notes: text cleaned as imports clean it.

The article form itself lives in admin.py (the desk's rules); it cleans its
text fields with the same ``clean_text`` and checks the body's size with
:func:`body_max_chars`.
"""

from __future__ import annotations

from django import forms

from newsroom.core.text import clean_text

from .conf import conf
from .names import lock_names

ONE_LINE = frozenset({"headline", "dateline", "name", "slug", "source", "source_id"})


def body_max_chars() -> int:
    return conf.NEWSROOM_ARTICLE_BODY_MAX_CHARS


def _cleaning(to_python, multiline: bool):
    def clean_then_convert(value):
        if isinstance(value, str):
            value = clean_text(value, multiline=multiline)
        return to_python(value)

    return clean_then_convert


class CleanTextForm(forms.ModelForm):
    """Every text field is cleaned (control characters, line endings, NFC)
    before Django's own validation sees it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField) and not isinstance(
                field, forms.URLField | forms.EmailField
            ):
                field.to_python = _cleaning(  # type: ignore[method-assign]
                    field.to_python, multiline=name not in ONE_LINE
                )


class UniqueNamesForm(CleanTextForm):
    """Sections, tags and authors: their names and slugs are unique. Two
    editors adding the same one at once both passed Django's check (a
    SELECT, before either committed) and the second INSERT was a 500. The
    check takes a lock per table first (PostgreSQL; the admin saves inside
    one transaction, so it is held until the save commits): the second waits,
    then sees the first's row and says so. SQLite's IMMEDIATE transactions
    already serialise the two."""

    def validate_unique(self) -> None:
        lock_names(self._meta.model)
        super().validate_unique()
