"""Everything stored about one email address: export it, or delete it."""

from __future__ import annotations

from newsroom.db.deletes import delete_whole

from .models import Ban, Comment, ReplyConsent
from .moderation import recount
from .text import address_key

FIELDS = [
    "id",
    "article_id",
    "parent_id",
    "name",
    "email",
    "body",
    "network",
    "status",
    "reasons",
    "notify_replies",
    "replies_vouched",
    "report_count",
    "created_at",
    "moderated_at",
]


def export(email: str) -> dict:
    email = address_key(email)
    comments = [
        {
            **row,
            "article": row.pop("article__headline"),
            "created_at": row["created_at"].isoformat(),
            "moderated_at": row["moderated_at"].isoformat()
            if row["moderated_at"]
            else None,
        }
        for row in Comment.objects.filter(email=email)
        .order_by("created_at")
        .values(*FIELDS, "article__headline")
    ]
    bans = list(
        Ban.objects.filter(kind=Ban.Kind.EMAIL, value=email).values("value", "reason")
    )
    consent = ReplyConsent.objects.filter(email=email).first()
    return {
        "email": email,
        "comments": comments,
        "bans": bans,
        "reply_emails_confirmed_at": consent.confirmed_at.isoformat()
        if consent
        else None,
    }


def delete(email: str) -> dict:
    """Delete the address's comments (replies by others stay), its bans and
    its yes to reply emails."""
    email = address_key(email)
    if not email:
        return {"comments": 0, "bans": 0}
    counts: dict[str, int] = {}

    def erase() -> None:
        article_ids = set(
            Comment.objects.filter(email=email).values_list("article_id", flat=True)
        )
        counts["comments"], _ = Comment.objects.filter(email=email).delete()
        counts["bans"], _ = Ban.objects.filter(
            kind=Ban.Kind.EMAIL, value=email
        ).delete()
        ReplyConsent.objects.filter(email=email).delete()
        recount(article_ids)

    delete_whole(erase)  # a reply committed meanwhile is kept, with no parent
    return counts
