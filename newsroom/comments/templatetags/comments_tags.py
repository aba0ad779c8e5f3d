"""What the article page's comment section needs, without touching its view."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from newsroom.comments import moderation, threads
from newsroom.comments.confirmation import Challenge, get_backend
from newsroom.comments.forms import CommentForm
from newsroom.comments.models import Comment
from newsroom.core import params, slots
from newsroom.numbers import is_int

register = template.Library()
MAX_SKIP = 10**7  # replies into a thread a link may start at


@register.simple_tag(takes_context=True)
def comments_for(context, article) -> dict:
    request = context.get("request")
    get = request.GET if request is not None else QueryDict()
    listing = _listing(article, get)
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
            **listing,
            "open": open_,
            "form_html": _blank_form(article, context, csrf),
        }
    if form is None:
        initial = {"parent": int(reply)} if is_int(reply) else {}
        form = CommentForm(initial=initial, article_id=article.pk)
    stamp, challenge = form.render_state()
    parent_id = params.number(str(form["parent"].value() or ""), 1)
    replying_to = None
    if parent_id:
        replying_to = (
            Comment.objects.approved()
            .filter(article_id=article.pk, pk=parent_id)
            .only("pk", "name")
            .first()
        )
    return {
        **listing,
        "open": open_,
        "form": form,
        "stamp": stamp,
        "challenge": challenge,
        "replying_to": replying_to,
        "notice": context.get("comment_notice", ""),
    }


def _listing(article, get) -> dict:
    """One page of whole threads (or one thread's replies) and its links.

    The page's own query parameters: ``comments`` (``newest``), and
    ``comments_from`` (a thread's ``<moment>~<id>``: the page starting there)
    or ``comments_thread`` with ``comments_skip`` (one thread, its replies
    from that one on) and ``comments_after`` (the last reply the view before
    showed: start after it, wherever replies posted or removed meanwhile
    moved it). Values the helpers in newsroom/core/params.py do not accept
    give the first page.
    """
    newest = get.get("comments") == "newest"
    order = {"comments": "newest"} if newest else {}
    out: dict = {
        "newest": newest,
        "threads": [],
        "paged": False,
        "first_url": _query(order),
    }
    if not article.comment_count:
        out["here"] = _query(order)
        return out
    root_id = params.number(get.get("comments_thread"), 1)
    if root_id:
        skip = params.number(get.get("comments_skip"), 0, MAX_SKIP) or 0
        after = params.number(get.get("comments_after"), 1) or None
        one = threads.thread(article.pk, root_id, skip, after=after)
        if one is not None:
            return {**out, **_thread_view(one, order)}
    start = params.position(get.get("comments_from"))
    listed = threads.page(article.pk, newest=newest, start=start)
    here = {**order, **threads.start_param(listed.start)}
    for t in listed.threads:
        t.more_url = _query(
            {
                **order,
                "comments_thread": t.root.pk,
                "comments_skip": len(t.rows) - 1,
                **_after(t),
            }
        )
    out.update(
        threads=listed.threads,
        paged=listed.has_previous or listed.next is not None,
        here=_query(here),
        next_url=_query({**order, **threads.start_param(listed.next)})
        if listed.next
        else "",
        previous_url=_query({**order, **threads.start_param(listed.previous)})
        if listed.has_previous
        else "",
    )
    return out


def _after(one) -> dict:
    """The last reply a thread shows, for the link to the ones after it."""
    return {"comments_after": one.rows[-1][0].pk} if len(one.rows) > 1 else {}


def _thread_view(one, order: dict) -> dict:
    """One thread, its replies a window at a time, and the way back."""
    start, _root, _place = threads.position(one.root)
    shown = len(one.rows) - 1
    step = threads.replies_per_view()
    thread_at = {**order, "comments_thread": one.root.pk}
    one.more_url = _query(
        {**thread_at, "comments_skip": one.skip + shown, **_after(one)}
    )
    return {
        "threads": [one],
        "thread_view": one,
        "paged": True,
        "here": _query({**thread_at, "comments_skip": one.skip}),
        "back_url": _query({**order, **threads.start_param(start)}),
        "earlier_url": _query({**thread_at, "comments_skip": max(0, one.skip - step)})
        if one.skip
        else "",
    }


REPORT_PK = 918273645  # a number no comment id is inside a reversed URL's text


@register.simple_tag(takes_context=True)
def comment_rows(context, cm: dict) -> SafeString:
    """The ``<li>`` of every comment shown, and each thread's "more replies".

    Written in Python rather than as a template loop: a page of 50 threads
    can hold a few hundred comments, and the template language spent about
    0.7 ms on each (localising every number, resolving every lookup), this
    a tenth of that (bench/threads.py). Every value is escaped here, as the
    template would; ``body_html`` is the sanitised HTML stored with the comment.
    """
    csrf = _csrf_input(context.get("csrf_token"))
    head, _, tail = reverse("comments:report", args=[REPORT_PK]).partition(
        str(REPORT_PK)
    )
    open_ = cm.get("open")
    here = escape(cm.get("here", "?"))
    out: list[str] = []
    for t in cm["threads"]:
        for c, depth in t.rows:
            name = escape(c.name)
            parent = f' data-parent="{c.parent_id}"' if c.parent_id else ""
            reply_to = ""
            if c.reply_to is not None:
                reply_to = (
                    '<span class="comment__reply-to">replying to '
                    f'<a href="#comment-{c.reply_to.pk}">{escape(c.reply_to.name)}'
                    "</a></span>"
                )
            when = localtime(c.created_at)
            reply = ""
            if open_:
                reply = (
                    f'<a class="comment__reply" href="{here}reply={c.pk}'
                    f'#comment-form">Reply<span class="visually-hidden"> to '
                    f"{name}</span></a>"
                )
            out.append(
                f'<li id="comment-{c.pk}" class="comment comment--depth-{depth}" '
                f'data-depth="{depth}"{parent}>\n'
                '<p class="comment__meta">'
                f'<strong class="comment__name" dir="auto">{name}</strong>\n'
                f"{reply_to}\n"
                f'<time datetime="{when.isoformat()}">'
                f"{date_format(when, 'j M Y, H:i')}</time></p>\n"
                f'<div class="comment__body" dir="auto">{c.body_html}</div>\n'
                f'<div class="comment__actions">\n{reply}\n'
                f'<form class="comment__report" method="post" '
                f'action="{head}{c.pk}{tail}">{csrf}<button type="submit">Report'
                f'<span class="visually-hidden"> this comment by {name}</span>'
                "</button></form>\n</div>\n</li>\n"
            )
        if t.hidden:
            word = "reply" if t.hidden == 1 else "replies"
            out.append(
                '<li class="comments__more-replies comment--depth-1">'
                f'<a href="{escape(t.more_url)}#comment-{t.root.pk}">{t.hidden} '
                f'more {word}<span class="visually-hidden"> to {escape(t.root.name)}'
                "</span></a></li>\n"
            )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


def _csrf_input(token: object) -> str:
    """What ``{% csrf_token %}`` writes (django.template.defaulttags.CsrfTokenNode)."""
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


def _query(values: dict) -> str:
    """``?a=1&`` ready for one more parameter, or ``?`` alone."""
    return "?" + "".join(f"{urlencode({k: v})}&" for k, v in values.items())


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
    # The script prefix too: the form's links carry it.
    key = (
        f"comments:form:{article.pk}:{limit}:{type(backend).__qualname__}:"
        f"{get_script_prefix()}"
    )
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
    _, parts = kept
    if context.get("page_slots"):
        # This process's markers: the kept HTML may come from another worker.
        return mark_safe(slots.marked(parts))  # noqa: S308 - our own template
    return mark_safe(slots.fill(parts, slots.Live(lambda: csrf)))  # noqa: S308
