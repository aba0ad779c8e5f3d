"""The comment form, with the confirmation code and the invisible checks."""

from __future__ import annotations

import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import MaxLengthValidator

from .confirmation import Challenge, get_backend
from .text import mailbox

FORM_SALT = "newsroom.comments.form"
FORM_MAX_AGE = 86400  # a form left open longer than a day is sent again
CODE_MESSAGES = {
    "missing": (
        "Type the code from the image, or let the automatic check "
        "below the code finish."
    ),
    "wrong": "That code was not right. Here is a new one: please try again.",
    "expired": "That code has expired (codes last 10 minutes). Here is a new one.",
    "invalid": "The code could not be checked. Here is a new one.",
    "used": "That code was already used. Here is a new one.",
}

ADDRESS_MESSAGE = (
    "Enter an address such as name@example.org: letters, digits and . _ - + "
    "before the @, and a domain with a dot after it."
)


def form_stamp(article_id: int) -> str:
    """When the form was shown, signed; the nonce makes each one single-use."""
    value = f"{article_id}:{int(time.time())}:{secrets.token_urlsafe(9)}"
    return signing.Signer(salt=FORM_SALT).sign(value)


def stamp_age(value: str, article_id: int) -> float | None:
    """Seconds since the form was first shown, or None when forged."""
    try:
        article, issued, _nonce = (
            signing.Signer(salt=FORM_SALT).unsign(value).split(":")
        )
        int(issued)
    except (signing.BadSignature, ValueError):
        return None
    if article != str(article_id):
        return None
    return time.time() - int(issued)


class CommentForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        strip=True,
        error_messages={"required": "Please give a name (any name you like)."},
    )
    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={"invalid": ADDRESS_MESSAGE},
        help_text=(
            "Optional, never shown; used only for the notifications you ask for."
        ),
    )
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=True,
        error_messages={"required": "Please write a comment."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    notify_replies = forms.BooleanField(
        required=False, label="Email me when someone replies"
    )
    code = forms.CharField(required=False, max_length=40, label="Confirmation code")
    token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    stamp = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    # The honeypot: hidden from people (and from assistive technology); bots
    # that fill every field fill this one too.
    homepage = forms.CharField(required=False, max_length=200, label="Leave this empty")

    def __init__(self, *args, article_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.article_id = article_id
        limit = settings.NEWSROOM_COMMENTS_LIMITS["BODY_MAX"]
        self.fields["body"].max_length = limit
        self.fields["body"].widget.attrs["maxlength"] = str(limit)
        self.fields["body"].validators.append(MaxLengthValidator(limit))
        self.fields["body"].error_messages["max_length"] = (
            f"The comment is too long: at most {limit} characters."
        )
        self.refusal = ""  # why the form was refused, for the page and the bench

    def clean_email(self) -> str:
        value = self.cleaned_data["email"]
        if not value:
            return ""
        try:
            # Stored as mail goes to it: one form for bans, data requests
            # and the address's confirmation.
            return mailbox(value)
        except ValueError:
            raise forms.ValidationError(ADDRESS_MESSAGE, code="invalid") from None

    def clean_homepage(self) -> str:
        if self.cleaned_data["homepage"]:
            self.refusal = "honeypot"
            # People never see the field (autofill may fill it): say what to do.
            raise forms.ValidationError(
                "Your comment could not be accepted as sent; please send it again."
            )
        return ""

    def clean_stamp(self) -> str:
        value = self.cleaned_data["stamp"]
        age = stamp_age(value, self.article_id)
        if age is None or age > FORM_MAX_AGE:
            self.refusal = "stamp"
            raise forms.ValidationError(
                "This form was open too long or could not be checked; "
                "please send it again."
            )
        if age < settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS:
            self.refusal = "too_fast"
            raise forms.ValidationError(
                "That was quick! Please check your comment and send it again."
            )
        return value

    def stamp_used(self) -> None:
        """The stamp was spent by an earlier post: the form is shown anew."""
        self.refusal = self.refusal or "stamp_used"
        self.add_error(
            "stamp", "This form was already sent once; please check and send it again."
        )
        self.data = self.data.copy()
        self.data["stamp"] = ""  # render_state mints a fresh one

    def code_error(self, reason: str) -> None:
        self.refusal = self.refusal or f"code_{reason}"
        self.add_error("code", CODE_MESSAGES.get(reason, CODE_MESSAGES["invalid"]))

    def render_state(self) -> tuple[str, Challenge]:
        """The stamp to keep (the first one, when still good) and a fresh code."""
        value = self.data.get("stamp", "") if self.is_bound else ""
        age = stamp_age(value, self.article_id) if value else None
        if age is None or age > FORM_MAX_AGE:
            value = form_stamp(self.article_id)
        return value, get_backend().issue()
