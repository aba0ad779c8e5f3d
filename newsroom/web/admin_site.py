"""The admin site: Django's, with optional TOTP two-factor sign-in.

``NEWSROOM_ADMIN_TOTP`` (read per request, never at import) makes the admin
ask staff for a one-time code from an enrolled authenticator (django-otp's
TOTP devices; ``manage.py enrol_totp``) besides the password: a session
signed in with the password alone is not let in. Off, it is Django's admin.
Repeated failures are locked out by django-axes (settings ``AXES_*``), per
account and per client network (``newsroom.net``), whatever this setting.

A form sent by a session that is no longer let in (signed out in another tab,
its account removed or switched off while the page was open) is not answered
with Django's redirect to the sign-in page, which drops what was sent: a 403
page says that nothing was saved and shows the text typed, to copy. So is a
form refused because the account may not make the change (its role changed
meanwhile), which was the site's bare "You can't open this page".
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django_otp import devices_for_user

from .conf import conf


def totp_required() -> bool:
    return bool(conf.NEWSROOM_ADMIN_TOTP)


class TOTPLoginForm(AdminAuthenticationForm):
    """The admin's login form plus the current code of an enrolled device.

    A wrong code after a right password is a failed sign-in like a wrong
    password (``user_login_failed``, so django-axes counts it), and each
    device throttles its own wrong codes (django-otp).
    """

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "bad_code": "That code is not right (or was used already). Enter the "
        "current code from your authenticator app.",
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        token = (cleaned.get("otp_token") or "").strip()
        if user is not None and token:
            # Rows locked: one code is spent once, even by two requests at
            # once; a wrong code's throttle step is committed, not rolled back.
            with transaction.atomic():
                devices = devices_for_user(user, confirmed=True, for_verify=True)
                matched = next(
                    (
                        d
                        for d in devices
                        if d.verify_is_allowed()[0] and d.verify_token(token)
                    ),
                    None,
                )
            if matched is not None:
                # django_otp's login signal keeps it in the session.
                user.otp_device = matched  # type: ignore[attr-defined]
                return cleaned
        user_login_failed.send(
            sender=__name__,
            credentials={"username": cleaned.get("username", "")},
            request=self.request,
        )
        raise forms.ValidationError(self.error_messages["bad_code"], code="bad_code")


# Fields of an admin form that are not anyone's text.
IGNORED = frozenset({"csrfmiddlewaretoken", "based_on", "action", "select_across"})
# Fields never shown again, whatever form sent them: a password typed into
# "change password", a one-time code, a token.
SECRET_PARTS = ("password", "secret", "token", "otp")
FORMSET = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
SIGNED_OUT = "you are no longer signed in"
OTHER_ACCOUNT = (
    "This page was opened by another account than the one signed in now (someone "
    "signed in in another tab). Sign in as the account that opened it, or open "
    "the page again as this one, and paste the text."
)
NOT_ALLOWED = (
    "Your account may not make this change: its role may have changed while "
    "the page was open."
)


class NewsroomAdminSite(AdminSite):
    site_header = "Newsroom editors"
    site_title = "Newsroom"

    # Read per request: the setting may change under a running test.
    @property
    def login_form(self) -> Any:  # type: ignore[override]
        return TOTPLoginForm if totp_required() else None

    @property
    def login_template(self) -> str | None:  # type: ignore[override]
        return "admin/login_totp.html" if totp_required() else None

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        def keeping_the_text(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (
                request.method == "POST"
                and not self.has_permission(request)
                and request.path != reverse("admin:logout", current_app=self.name)
            ):
                return self.not_saved(request)
            opened_as = (
                request.POST.get("_opened_as") if request.method == "POST" else None
            )
            if opened_as and opened_as != str(request.user.pk):
                # The writing view sends the current CSRF token, so a Save
                # after another account signed in in another tab would go
                # through as that account: its work, its rights.
                return self.not_saved(request, OTHER_ACCOUNT)
            try:
                return guarded(request, *args, **kwargs)
            except PermissionDenied as refused:
                if request.method != "POST":
                    raise
                # Signed in, but this account may not (or no longer) make
                # this change: its role changed while the page was open.
                return self.not_saved(request, str(refused) or NOT_ALLOWED)

        return update_wrapper(keeping_the_text, guarded)

    def not_saved(self, request: HttpRequest, refused: str = "") -> HttpResponse:
        """A 403 page for a form that was not saved, with the text it sent,
        to copy: sent by a session no longer let in, or ``refused`` (why
        this account may not make the change)."""
        sent = [
            (name, value)
            for name, values in request.POST.lists()
            if not (
                name in IGNORED
                or name.startswith(("_", "initial-"))
                or any(part in name.lower() for part in SECRET_PARTS)
                or name.endswith(FORMSET)
                or "__prefix__" in name  # an inline's empty template row
            )
            for value in values
            if value.strip() and not value.strip().isdigit()  # ids, positions
        ]
        login = reverse("admin:login", current_app=self.name)
        response = TemplateResponse(
            request,
            "admin/not_saved.html",
            {
                **self.each_context(request),
                "title": "Not saved: "
                + (
                    "another account opened this page"
                    if refused == OTHER_ACCOUNT
                    else "your account may not do this"
                    if refused
                    else SIGNED_OUT
                ),
                "refused": refused,
                "sent": sent,
                "login_url": f"{login}?{urlencode({'next': request.path})}",
            },
            status=403,
        )
        # Why, for a script that sent it (the writing view's preview).
        response["X-Not-Saved"] = "not-allowed" if refused else "signed-out"
        add_never_cache_headers(response)
        return response

    def has_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_permission(request)
        if allowed and totp_required():
            # django_otp's middleware says whether this session gave a code.
            verified = getattr(request.user, "is_verified", None)
            return bool(verified and verified())
        return allowed
