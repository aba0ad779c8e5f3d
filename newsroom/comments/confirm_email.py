"""An email address confirmed by a signed link: the second way to be trusted.

"First-time" moderation publishes at once only what the site can check
(issue 11 item 5). Besides the cookie of an earlier approved comment, a
reader may prove they read an address's mail: when a comment with an email
waits for first-time moderation, that address gets one signed link, valid for
:data:`MAX_AGE`. Opening it shows a button (mail scanners follow GETs, so a
GET changes nothing); pressing it puts a keyed tag of the address in a signed
cookie of that browser. Later posts from that browser *with that address*
skip first-time moderation; the address alone, or the cookie with another
address, changes nothing.

The answer to a post never says whether an address is known or was mailed:
the mail goes out after the answer (on commit), at most once per address per
day, and the reader sees the same thank-you either way.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac

from newsroom.core import limits
from newsroom.core.links import absolute_url

from .text import address_key

log = logging.getLogger(__name__)

SALT = "newsroom.comments.confirm_email"
COOKIE = "nr_confirmed"
MAX_AGE = 3 * 86400  # how long a mailed link works
KEEP = 5  # addresses one browser may hold confirmed


def tag(email: str) -> str:
    """A keyed tag of an address: the cookie never carries the address."""
    return salted_hmac(f"{SALT}.tag", email.strip().lower()).hexdigest()[:24]


def make_token(email: str) -> str:
    return signing.dumps({"e": email.strip().lower()}, salt=SALT, compress=True)


def read_token(token: str) -> str | None:
    """The address a link confirms, or None when forged or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        return None
    return data["e"] or None


def confirmed_tags(request: HttpRequest) -> list[str]:
    value = request.get_signed_cookie(COOKIE, default="", salt=COOKIE) or ""
    return [t for t in value.split(",") if t][-KEEP:]


def is_confirmed(request: HttpRequest, email: str) -> bool:
    """True when this browser confirmed this very address."""
    email = address_key(email or "")
    return bool(email) and tag(email) in confirmed_tags(request)


def remember(response: HttpResponse, request: HttpRequest, email: str) -> None:
    tags = [t for t in confirmed_tags(request) if t != tag(email)] + [tag(email)]
    response.set_signed_cookie(
        COOKIE,
        ",".join(tags[-KEEP:]),
        salt=COOKIE,
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def send_link(email: str) -> bool:
    """Mail the address its link, at most once a day; False when not sent."""
    email = email.strip().lower()
    if not email or not limits.spend_once(
        f"comments.confirm_mail:{tag(email)}", 86400, durable=True
    ):
        return False
    link = absolute_url(reverse("comments:confirm_email", args=[make_token(email)]))
    body = (
        f"Someone, we hope you, posted a comment on {settings.SITE_NAME} with this "
        "address. It waits for a moderator, as a first comment does.\n\n"
        "If it was you, open this link and press the button there: later "
        "comments from the same browser with this address will be published "
        f"at once.\n\n{link}\n\nThe link works for {MAX_AGE // 86400} days. "
        "If it was not you, ignore this email: nothing changes.\n"
    )
    try:
        return bool(
            send_mail(
                f"[{settings.SITE_NAME}] Confirm your address", body, None, [email]
            )
        )
    except Exception:  # a mail outage must never lose the comment
        log.exception("could not send an address confirmation link")
        return False
