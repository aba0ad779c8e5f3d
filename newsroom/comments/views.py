"""Comment views: post, the code image, moderation links, reports, unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from newsroom.articles.models import Article
from newsroom.core.registry import pages
from newsroom.net import client_network
from newsroom.numbers import is_int

from . import moderation
from .confirmation import get_backend
from .forms import CommentForm
from .models import Comment
from .posting import post_comment

REPORTED_COOKIE = "nr_reported"
POST_FIELDS = [
    "pk",
    "slug",
    "headline",
    "status",
    "published_at",
    "comments_enabled",
    "comment_moderation",
]


def _redisplay(
    request: HttpRequest,
    article: Article,
    form: CommentForm,
    status: int,
    notice: str = "",
) -> HttpResponse:
    """The article page again, with the form as typed and the messages beside it."""
    article = Article.objects.with_byline().get(pk=article.pk)
    extra = {"comment_form": form, "comment_notice": notice}
    response = pages.get("article")(request, article, extra, status)
    response["X-Comment-Refusal"] = form.refusal or "invalid"
    return response


@never_cache
@require_POST
def post(request: HttpRequest, article_id: int) -> HttpResponse:
    # Only what posting needs; a redisplay fetches the full article itself.
    article = (
        Article.objects.published()
        .filter(pk=article_id)
        .only(*POST_FIELDS)
        .order_by()
        .first()
    )
    if article is None:
        raise Http404("No such article")
    form = CommentForm(request.POST, article_id=article.pk)
    if not moderation.comments_open(article):
        form.is_valid()
        form.refusal = "closed"
        return _redisplay(
            request, article, form, 403, "Comments are closed on this article."
        )
    if "new_code" in request.POST:
        form.errors.clear()  # a new code is not a failed attempt: show no errors
        form.refusal = "new_code"
        return _redisplay(request, article, form, 200)
    valid = form.is_valid()
    backend = get_backend()
    verdict = backend.verify(
        request.POST.get("token", ""), request.POST.get("code", "")
    )
    if not verdict.ok:
        form.code_error(verdict.reason)
        if verdict.challenge_id and verdict.reason == "wrong":
            backend.spend(verdict.challenge_id)  # one guess per code
    parent = None
    if valid and form.cleaned_data.get("parent"):
        parent = Comment.objects.filter(
            pk=form.cleaned_data["parent"],
            article=article,
            status=Comment.Status.APPROVED,
        ).first()
        if parent is None:
            form.add_error(
                None,
                "The comment you replied to is no longer shown; "
                "your comment can be posted without it.",
            )
            form.refusal = form.refusal or "parent"
            form.data = form.data.copy()
            form.data["parent"] = ""
    if not form.is_valid() or not verdict.ok:
        return _redisplay(request, article, form, 400)
    data = form.cleaned_data
    result = post_comment(
        article,
        name=data["name"],
        email=data["email"],
        body=data["body"],
        parent=parent,
        notify_replies=data["notify_replies"] and bool(data["email"]),
        network=client_network(request),
        challenge_id=verdict.challenge_id,
    )
    if result.comment is None:
        form.refusal = result.refusal
        if result.refusal == "code_used":
            form.code_error("used")
        else:
            form.add_error(
                "body"
                if result.refusal in {"length", "duplicate", "banned_words"}
                else None,
                result.reason,
            )
        return _redisplay(request, article, form, result.status)
    if result.comment.status == Comment.Status.APPROVED:
        messages.success(
            request, "Thank you: your comment is published.", extra_tags="comments"
        )
        anchor = f"#comment-{result.comment.pk}"
    else:
        messages.info(
            request,
            "Thank you: your comment is awaiting moderation and "
            "will appear once a moderator approves it.",
            extra_tags="comments",
        )
        anchor = "#comments"
    response = redirect(article.get_absolute_url() + anchor)
    response.status_code = 303
    response["X-Comment-Id"] = str(result.comment.pk)
    return response


@never_cache
@require_GET
def code_new(request: HttpRequest) -> JsonResponse:
    """A fresh code for the "new code" button when scripts run (typed text stays)."""
    challenge = get_backend().issue()
    return JsonResponse(
        {
            "token": challenge.token,
            "image": challenge.image_url,
            "question": challenge.question,
        }
    )


@never_cache
@require_GET
def code_image(request: HttpRequest, token: str) -> HttpResponse:
    backend = get_backend()
    challenge_id = backend.unsign(token)
    if challenge_id is None or not backend.supports_image:
        raise Http404("No such code (it may have expired)")
    return HttpResponse(backend.render_png(challenge_id), content_type="image/png")


@never_cache
@require_http_methods(["GET", "POST"])
def moderate(request: HttpRequest, token: str) -> HttpResponse:
    """A moderator's emailed link: GET asks to confirm, POST does it."""
    parsed = moderation.read_moderation_token(token)
    if parsed is None:
        return TemplateResponse(request, "comments/link_invalid.html", status=400)
    pk, action = parsed
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    done = False
    if request.method == "POST":
        moderation.set_status([comment], moderation.ACTIONS[action])
        comment.refresh_from_db()
        done = True
    return TemplateResponse(
        request,
        "comments/moderate.html",
        {"comment": comment, "action": action, "done": done},
    )


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reply emails: GET asks to confirm, POST (also mail clients' one-click)."""
    pk = moderation.read_unsubscribe_token(token)
    if pk is None:
        return TemplateResponse(request, "comments/link_invalid.html", status=400)
    done = False
    if request.method == "POST":
        moderation.unsubscribe(pk)
        done = True
    return TemplateResponse(request, "comments/unsubscribe.html", {"done": done})


@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """A reader flags a comment; it joins the reported queue in the admin."""
    comment = get_object_or_404(
        Comment.objects.select_related("article"), pk=pk, status=Comment.Status.APPROVED
    )
    # A signed cookie remembers what this browser reported, so one reader
    # pressing the button again does not count twice (no session write).
    seen = request.get_signed_cookie(REPORTED_COOKIE, default="", salt=REPORTED_COOKIE)
    ids = [i for i in seen.split(",") if is_int(i)]
    if str(comment.pk) not in ids:
        Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
        ids = (ids + [str(comment.pk)])[-50:]
    messages.info(
        request,
        "Thank you: a moderator will look at this comment.",
        extra_tags="comments",
    )
    response = redirect(f"{comment.article.get_absolute_url()}#comment-{comment.pk}")
    response.status_code = 303
    response.set_signed_cookie(
        REPORTED_COOKIE,
        ",".join(ids),
        salt=REPORTED_COOKIE,
        max_age=30 * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
