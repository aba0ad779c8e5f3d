"""What the article page's comment section needs, without touching its view."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from newsroom.comments import moderation
from newsroom.comments.confirmation import Challenge, get_backend
from newsroom.comments.forms import CommentForm
from newsroom.comments.models import Comment
from newsroom.core import slots
from newsroom.numbers import is_int

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
    reply = get.get("reply", "")
    open_ = moderation.comments_open(article)
    csrf = context.get("csrf_token")
    if (
        form is None
        and not is_int(reply)
        and open_
        and csrf
        and not context.get("comment_notice")
    ):
        # The usual case, an empty form: rendered once, filled per request.
        return {
            "thread": threaded(comments, newest, max_depth),
            "newest": newest,
            "open": open_,
            "form_html": _blank_form(article, context, csrf),
        }
    if form is None:
        initial = {"parent": int(reply)} if is_int(reply) else {}
        form = CommentForm(initial=initial, article_id=article.pk)
    stamp, challenge = form.render_state()
    parent_id = form["parent"].value()
    replying_to = None
    if parent_id and is_int(str(parent_id)):
        replying_to = next((c for c in comments if c.pk == int(parent_id)), None)
    return {
        "thread": threaded(comments, newest, max_depth),
        "newest": newest,
        "open": open_,
        "form": form,
        "stamp": stamp,
        "challenge": challenge,
        "replying_to": replying_to,
        "notice": context.get("comment_notice", ""),
    }


def _blank_form(article, context, csrf) -> SafeString:
    """The empty comment form, its HTML kept per article with markers.

    The markup depends only on the article's id and the settings, so it is
    cached under those; the CSRF token, confirmation code and fill-time stamp
    are this request's own. A page that is itself kept for several visitors
    (``page_slots`` in the context, see newsroom/web/pagecache.py) gets the
    markers and fills them per visitor.
    """
    backend = get_backend()
    limit = settings.NEWSROOM_COMMENTS_LIMITS["BODY_MAX"]
    key = f"comments:form:{article.pk}:{limit}:{type(backend).__qualname__}"
    kept = cache.get(key)
    if kept is None:
        probe = backend.issue()  # which of image and question this backend shows
        html = render_to_string(
            "comments/_form.html",
            {
                "article": article,
                "csrf_token": slots.CSRF,
                "cm": {
                    "form": CommentForm(article_id=article.pk),
                    "stamp": slots.stamp(article.pk),
                    "challenge": Challenge(
                        token=slots.CODE_TOKEN,
                        image_url=slots.CODE_IMAGE if probe.image_url else "",
                    ),
                },
            },
        )
        kept = (html, slots.split(html))
        cache.set(key, kept, 300)
    html, parts = kept
    if context.get("page_slots"):
        return mark_safe(html)  # noqa: S308 - our own template, markers kept
    return mark_safe(slots.fill(parts, slots.Live(lambda: csrf)))  # noqa: S308
