"""What the comments app offers other apps, registered in ``ready()``.

Nothing imports the comments app to find these: the page cache asks
``registry.slot_values``, the popular lists ``registry.rankings``, the feeds
``registry.article_feeds`` and the importers ``registry.comment_import``.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet

from newsroom.core import registry

from .confirmation import get_backend
from .feeds import ArticleCommentsFeed
from .forms import form_stamp
from .models import Comment
from .moderation import recount


def code_slots() -> dict[str, str]:
    """One confirmation challenge for the form's token, question and image."""
    challenge = get_backend().issue()
    return {
        "token": challenge.token,
        "question": "",  # no written question any more
        "image": challenge.image_url,
    }


def commented_ranking(since: datetime, section_id: int | None) -> QuerySet:
    """Approved comments per article since ``since`` ("most commented")."""
    qs = Comment.objects.filter(status=Comment.Status.APPROVED, created_at__gte=since)
    if section_id:
        qs = qs.filter(article__section_id=section_id)
    return qs.values("article_id").annotate(n=Count("id"))


def register() -> None:
    registry.slot_values.register("code", code_slots)
    registry.slot_values.register("stamp", form_stamp)
    registry.rankings.register("commented", commented_ranking)
    registry.article_feeds.register("comments", ArticleCommentsFeed)
    registry.comment_import.register(
        "comments", registry.CommentImport(model=Comment, recount=recount)
    )
