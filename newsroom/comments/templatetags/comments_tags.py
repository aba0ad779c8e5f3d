"""What the article page's comment section needs, without touching its view."""

from __future__ import annotations

from django import template
from django.conf import settings

from newsroom.comments import moderation
from newsroom.comments.forms import CommentForm
from newsroom.comments.models import Comment

register = template.Library()


def threaded(
    comments: list[Comment], newest_first: bool, max_depth: int
) -> list[tuple[Comment, int]]:
    """Comments in reading order with their indent depth (capped at ``max_depth``).

    Top-level comments follow the chosen order; replies always read oldest
    first under their parent. A reply whose parent is not shown becomes top-level.
    """
    by_id = {c.pk: c for c in comments}
    children: dict[int | None, list[Comment]] = {}
    for c in comments:
        key = c.parent_id if c.parent_id in by_id else None
        children.setdefault(key, []).append(c)
    roots = sorted(
        children.get(None, []), key=lambda c: (c.created_at, c.pk), reverse=newest_first
    )
    out: list[tuple[Comment, int]] = []
    stack = [(c, 0) for c in reversed(roots)]
    while stack:  # iterative: a long reply chain must not hit the recursion limit
        c, depth = stack.pop()
        c.reply_to = by_id.get(c.parent_id) if depth else None
        out.append((c, min(depth, max_depth)))
        replies = sorted(children.get(c.pk, []), key=lambda r: (r.created_at, r.pk))
        stack.extend((r, depth + 1) for r in reversed(replies))
    return out


@register.simple_tag(takes_context=True)
def comments_for(context, article) -> dict:
    request = context.get("request")
    get = request.GET if request is not None else {}
    newest = get.get("comments") == "newest"
    max_depth = int(settings.NEWSROOM_COMMENTS_LIMITS["MAX_DEPTH"])
    comments = []
    if article.comment_count:
        comments = list(
            Comment.objects.approved()
            .filter(article=article)
            .only("pk", "parent_id", "name", "body_html", "created_at")
        )
    form = context.get("comment_form")
    if form is None:
        initial = {}
        reply = get.get("reply", "")
        if reply.isdigit():
            initial["parent"] = int(reply)
        form = CommentForm(initial=initial, article_id=article.pk)
    stamp, challenge = form.render_state()
    parent_id = form["parent"].value()
    replying_to = None
    if parent_id and str(parent_id).isdigit():
        replying_to = next((c for c in comments if c.pk == int(parent_id)), None)
    return {
        "thread": threaded(comments, newest, max_depth),
        "newest": newest,
        "open": moderation.comments_open(article),
        "form": form,
        "stamp": stamp,
        "challenge": challenge,
        "replying_to": replying_to,
        "notice": context.get("comment_notice", ""),
    }
