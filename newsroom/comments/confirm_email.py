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

The same link is the address's yes to reply emails (double opt-in): a
comment whose "email me when someone replies" box is ticked mails its
address a link (in the same mail when it also waits), and no reply email
goes to the address until the button behind it is pressed, which stores a
:class:`~newsroom.comments.models.ReplyConsent`. Anyone can type anyone's
address; only who reads its mail can say yes for it. The yes is for the
comments of who pressed it (``Comment.replies_vouched``): the comment the
link was mailed for, the address's comments posted after it until the
press, and later ones from the browser that pressed it. A comment ticked
under the address from any other browser mails the address a link again
(once a day), even after a yes: a stranger's comment under someone's
address never gets its replies mailed to them.

The answer to a post never says whether an address is known or was mailed:
the mail goes out after the answer (on commit), at most once per address per
day for each purpose, and the reader sees the same thank-you either way. A
mail the relay refused (or that never reached it) spends neither the day's
link nor a place under ``ADDRESS_MAILS``: the next comment tries again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import cast

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from newsroom.core import limits
from newsroom.core.links import absolute_url

from . import relay
from .models import Comment, ReplyConsent
from .text import address_key

log = logging.getLogger(__name__)

SALT = "newsroom.comments.confirm_email"
COOKIE = "nr_confirmed"
MAX_AGE = 3 * 86400  # how long a mailed link works
KEEP = 5  # addresses one browser may hold confirmed


def tag(email: str) -> str:
    """A keyed tag of an address: the cookie never carries the address."""
    return salted_hmac(f"{SALT}.tag", email.strip().lower()).hexdigest()[:24]


@dataclass(frozen=True)
class Link:
    """What a mailed link confirms: the address, and its yes to reply emails."""

    email: str
    replies: bool = False
    comment: int | None = None  # the comment the link was mailed for


def make_token(email: str, replies: bool = False, comment: int | None = None) -> str:
    data: dict[str, object] = {"e": email.strip().lower()}
    if replies:
        data["r"] = 1
    if comment is not None:
        data["c"] = comment
    return signing.dumps(data, salt=SALT, compress=True)


def read_token(token: str) -> Link | None:
    """What a link confirms, or None when forged or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        return None
    if not data["e"]:
        return None
    comment = data.get("c")
    if not (isinstance(comment, int) and not isinstance(comment, bool)):
        comment = None
    return Link(data["e"], replies=data.get("r") == 1, comment=comment)


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


ADDRESS_MAILS = (200, 3600)  # default: addresses mailed a link per seconds


def address_mails() -> tuple[int, int]:
    limit = cast(
        "tuple[int, int]",
        settings.NEWSROOM_COMMENTS_LIMITS.get("ADDRESS_MAILS") or ADDRESS_MAILS,
    )
    return int(limit[0]), int(limit[1])


def consented(email: str) -> bool:
    """True when the address's owner said yes to reply emails."""
    return ReplyConsent.objects.filter(email=address_key(email)).exists()


def consent(
    email: str,
    comment: int | None = None,
    own: Iterable[int] = (),
    token: str = "",
) -> int:
    """Store the address's yes, and vouch for the comments of who said it:
    the address's comments that asked for reply emails, from the one the
    link was mailed for (or, for a link that names none, from the link's
    oldest possible time) until now, and those of ``own`` (the comments the
    pressing browser posted, its signed cookie: one whose link the relay
    refused). ``token``, the link: its first press alone vouches from its
    comment on (pressed again, an old mail opened days later, it would
    vouch every comment posted under the address since, a stranger's too).
    Returns how many were vouched for."""
    email = address_key(email)
    ReplyConsent.objects.get_or_create(email=email)
    asked = Comment.objects.filter(
        email=email, notify_replies=True, replies_vouched=False
    )
    pressed = hashlib.sha256(token.encode()).hexdigest()[:32]
    if token and not limits.spend_once(
        f"comments.replies_pressed:{pressed}", MAX_AGE, durable=True
    ):
        return asked.filter(pk__in=list(own)).update(replies_vouched=True)
    # The day's link was answered: a later comment asking from a browser
    # without this cookie (the link pressed in the mail app's) is mailed
    # its own link the same day, or it would never be vouched.
    limits.unspend(f"comments.replies_mail:{tag(email)}")
    since = (
        Comment.objects.filter(pk=comment, email=email)
        .values_list("created_at", flat=True)
        .first()
        if comment is not None
        else timezone.now() - timedelta(seconds=MAX_AGE)
    )
    mine = Q(pk__in=list(own))
    if since is not None:  # else the comment is gone (or not this address's)
        mine |= Q(created_at__gte=since)
    return asked.filter(mine).update(replies_vouched=True)


def send_link(
    email: str,
    *,
    waits: bool = True,
    replies: bool = False,
    comment: int | None = None,
) -> bool:
    """Mail the address its link; False when not sent.

    ``waits``: the comment waits for first-time moderation (the link lets
    this browser's later comments through); ``replies``: the comment asked
    for reply emails, which need the yes of who reads the address (even
    when it said yes before: ``comment``, the comment that asked, came from a
    browser that never pressed its button). Each purpose mails an address at
    most once a day; both at once go in one mail.
    """
    email = email.strip().lower()
    if not email:
        return False
    if not (waits or replies):
        return False
    where = ""
    if comment is not None:
        # The story and the time, never the comment's words or name: anyone
        # can type anyone's address, and this mail must not carry their text.
        found = (
            Comment.objects.filter(pk=comment)
            .values_list("article__headline", "created_at")
            .first()
        )
        if found is None:
            return False  # deleted before the background thread got here (erased)
        headline, posted = found
        posted = posted.astimezone(UTC)
        where = f", on “{headline}”, at {posted:%H:%M UTC} on {posted:%-d %B %Y}"
    # Whoever posts, the site mails at most ADDRESS_MAILS addresses a period:
    # each post may name a stranger's address, and a bot solving the
    # proof-of-work from many networks named thousands.
    count, seconds = address_mails()
    place = limits.hit("comments.address_mail", "site", count, seconds, rolling=True)
    if not place.allowed:
        if limits.spend_once(f"comments.address_mail_full:{place.window}", seconds):
            log.warning("address links paused: %d sent in %d seconds", count, seconds)
        return False
    spends = [
        token
        for token, wanted in (
            (f"comments.confirm_mail:{tag(email)}", waits),
            (f"comments.replies_mail:{tag(email)}", replies),
        )
        if wanted and limits.spend_once(token, 86400, durable=True)
    ]
    waits = f"comments.confirm_mail:{tag(email)}" in spends
    replies = f"comments.replies_mail:{tag(email)}" in spends
    if not spends:
        limits.give_back("comments.address_mail", "site", place)
        return False
    link = absolute_url(
        reverse("comments:confirm_email", args=[make_token(email, replies, comment)])
    )
    said = []
    if waits:
        said.append(
            "It waits for a moderator, as a first comment does. Pressing the "
            "button lets later comments from the same browser with this "
            "address be published at once."
        )
    if replies:
        said.append(
            "It asks for an email when someone replies. No such email is sent "
            "to this address until you press the button; every one of them "
            "has a link to stop them."
        )
    body = (
        f"Someone, we hope you, posted a comment on {settings.SITE_NAME}{where} "
        f"with this address. {' '.join(said)}\n\n"
        f"If it was you, open this link and press the button there:\n\n{link}\n\n"
        f"The link works for {MAX_AGE // 86400} days. "
        "If it was not you, ignore this email: nothing changes.\n"
    )
    sent = bool(
        relay.deliver(
            lambda: send_mail(
                f"[{settings.SITE_NAME}] Confirm your address", body, None, [email]
            ),
            "could not send an address confirmation link",
        )
    )
    if not sent:
        # Nothing reached the address: its day's link and the site's count
        # are still there for the next comment (the relay may be back).
        limits.give_back("comments.address_mail", "site", place)
        for token in spends:
            limits.unspend(token)
    return sent
