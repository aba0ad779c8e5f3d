"""Comment views: post, the code image, moderation links, reports, unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from newsroom import net
from newsroom.articles.models import Article, public_fields
from newsroom.core import limits
from newsroom.core.registry import pages
from newsroom.net import client_network
from newsroom.numbers import is_int

from . import confirm_email, intake, moderation, threads
from .confirmation import get_backend, proof, scope
from .forms import CommentForm
from .models import Comment

REPORTED_COOKIE = "nr_reported"
REPORT_THANKS = "Thank you: a moderator will look at this comment."
POST_FIELDS = (
    "id",
    "slug",
    "headline",
    "status",
    "published_at",
    "comments_enabled",
    "comment_moderation",
)


def _redisplay(
    request: HttpRequest,
    article: Article,
    form: CommentForm,
    status: int,
    notice: str = "",
    retry_after: int = 0,
) -> HttpResponse:
    """The article page again, with the form as typed and the messages beside it."""
    found = Article.objects.with_byline().filter(pk=article.pk).first()
    if found is None:  # deleted while the comment was posted: nothing stored
        raise Http404("No such article")
    article = found
    extra = {"comment_form": form, "comment_notice": notice}
    response = pages.get("article")(request, article, extra, status)
    response["X-Comment-Refusal"] = form.refusal or "invalid"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _open_article(article_id: int) -> Article:
    # Only what posting needs; a redisplay fetches the full article itself.
    article = public_fields(article_id, POST_FIELDS)
    if article is None:
        raise Http404("No such article")
    return article


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def post(request: HttpRequest, article_id: int) -> HttpResponse:
    """The form's adapter: parse, let :func:`intake.take` decide, present.

    A refused comment is shown again at this address; opened again with a
    GET (a restored session, a copied address) it leads to the story's form
    instead of a blank 405."""
    article = _open_article(article_id)
    if request.method != "POST":
        back = redirect(article.get_absolute_url() + "#comment-form")
        back.status_code = 303
        return back
    network = client_network(request)
    if "new_code" in request.POST:
        form = CommentForm(request.POST, article_id=article.pk)
        form.errors.clear()  # a new code is not a failed attempt: show no errors
        form.refusal = "new_code"
        minted = intake.mint(network)
        if not minted.allowed:
            form.refusal = "too_many_codes"
            notice = (
                "Too many new codes from your network; please wait "
                f"{limits.in_words(minted.retry_after)} (what you typed is kept)."
            )
            return _redisplay(request, article, form, 429, notice, minted.retry_after)
        return _redisplay(request, article, form, 200)
    ids = moderation.commenter_ids(request)
    vouched = confirm_email.is_confirmed(request, request.POST.get("email", ""))
    trusted = vouched or moderation.trusted(ids)
    decision = intake.take(
        article, request.POST, network=network, trusted=trusted, vouched=vouched
    )
    if not decision.accepted:
        # A reason the form shows beside its field is not repeated on top.
        notice = "" if decision.in_form else decision.reason
        return _redisplay(
            request,
            article,
            decision.form,
            decision.status,
            notice,
            decision.retry_after,
        )
    comment = decision.comment
    if comment.status == Comment.Status.APPROVED:
        messages.success(
            request, "Thank you: your comment is published.", extra_tags="comments"
        )
        anchor = threads.link(comment)
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
    response["X-Comment-Id"] = str(comment.pk)
    moderation.remember(response, request, ids, comment)
    return response


def _counts_as_report(request: HttpRequest, comment: Comment) -> bool:
    if net.is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return False
    visitor = net.visitor_key(request, timezone.localdate(), "report", comment.pk)
    if not limits.spend_once(f"comments.report:{visitor}", 2 * 86400, durable=True):
        return False
    count, seconds = settings.NEWSROOM_COMMENTS_LIMITS.get(
        "REPORTS_PER_NETWORK", (3, 86400)
    )
    where = f"{net.client_network(request)}:{comment.pk}"
    return limits.hit("comments.report", where, count, seconds, rolling=True).allowed


def _too_many(minted) -> JsonResponse:
    response = JsonResponse(
        {
            "error": "too_many_codes",
            "message": "Too many new codes from your network; "
            f"wait {limits.in_words(minted.retry_after)}.",
        },
        status=429,
    )
    response["Retry-After"] = str(minted.retry_after)
    return response


def _article_param(request: HttpRequest) -> Article:
    raw = request.GET.get("article", "")
    if not is_int(raw) or not 0 < int(raw) < 2**53:
        raise Http404("No such article")
    return _open_article(int(raw))


@never_cache
@require_GET
def code_new(request: HttpRequest) -> HttpResponse:
    """A fresh code for the "new code" button when scripts run (typed text stays)."""
    article = _article_param(request)
    minted = intake.mint(client_network(request))
    if not minted.allowed:
        return _too_many(minted)
    challenge = get_backend().issue()
    return JsonResponse(
        {
            "token": challenge.token,
            "image": f"{challenge.image_url}?article={article.pk}",
        }
    )


@never_cache
@require_safe
def code_image(request: HttpRequest, token: str) -> HttpResponse:
    """The code drawn for this article as seen from the requester's network;
    503 when this process is drawing as many as it may (``draw``)."""
    backend = get_backend()
    challenge_id = backend.unsign(token)
    if challenge_id is None or not backend.supports_image:
        raise Http404("No such code (it may have expired)")
    article = _article_param(request)
    where = scope(article.pk, client_network(request))
    png = backend.draw(challenge_id, where)
    if png is None:  # this process is drawing as many as it may at once
        busy = HttpResponse(
            "Busy drawing codes; try again in a moment.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        busy["Retry-After"] = "1"
        return busy
    return HttpResponse(png, content_type="image/png")


@never_cache
@require_GET
def proof_challenge(request: HttpRequest, article_id: int) -> HttpResponse:
    """A proof-of-work challenge for the widget (the accessible path)."""
    article = _open_article(article_id)
    network = client_network(request)
    minted = intake.mint(network)
    if not minted.allowed:
        return _too_many(minted)
    return JsonResponse(proof.create(article.pk, network))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def moderate(request: HttpRequest, token: str) -> HttpResponse:
    """A moderator's emailed link: GET (or a mail scanner's HEAD) asks to
    confirm, POST does it."""
    parsed = moderation.read_moderation_token(token)
    if parsed is None:
        return TemplateResponse(request, "comments/link_invalid.html", status=400)
    pk, action, state = parsed
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    # The link acts only on the comment as it was when the email was sent:
    # after any change (by this link, another, or the admin) it does nothing.
    stale = moderation.state_of(comment) != state
    done = False
    if request.method == "POST" and not stale:
        done = moderation.apply_link(pk, action, state)
        stale = not done
        comment.refresh_from_db()
    return TemplateResponse(
        request,
        "comments/moderate.html",
        {"comment": comment, "action": action, "done": done, "stale": stale},
        status=409 if stale else 200,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_address(request: HttpRequest, token: str) -> HttpResponse:
    """An emailed address link: GET or HEAD asks to confirm, POST remembers it here
    and, when the link asks, stores the address's yes to reply emails."""
    link = confirm_email.read_token(token)
    if link is None:
        return TemplateResponse(request, "comments/link_invalid.html", status=400)
    done = request.method == "POST"
    response = TemplateResponse(
        request,
        "comments/confirm_email.html",
        {"done": done, "replies": link.replies},
    )
    if done:
        confirm_email.remember(response, request, link.email)
        if link.replies:
            own = moderation.commenter_ids(request)
            confirm_email.consent(link.email, link.comment, own, token=token)
    return response


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reply emails: GET or HEAD asks to confirm, POST (also mail
    clients' one-click) does it."""
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
    """A reader flags a comment; it joins the reported queue in the admin.

    A report counts once per visitor (``net.visitor_key``: the anonymised
    network and the user agent, with a daily key), and one network adds at
    most ``REPORTS_PER_NETWORK`` to a comment per day whatever user agents it
    sends; bots and repeats from the same browser (signed cookie) add nothing.
    Every reader still gets the same thank-you: on the page again (303), or
    as JSON for the page's script when it asks for JSON.
    """
    comment = get_object_or_404(
        Comment.objects.select_related("article"), pk=pk, status=Comment.Status.APPROVED
    )
    seen = request.get_signed_cookie(REPORTED_COOKIE, default="", salt=REPORTED_COOKIE)
    ids = [i for i in seen.split(",") if is_int(i)]
    if str(comment.pk) not in ids:
        ids = (ids + [str(comment.pk)])[-50:]
        if _counts_as_report(request, comment):
            Comment.objects.filter(pk=comment.pk).update(
                report_count=F("report_count") + 1
            )
    if "application/json" in request.headers.get("Accept", ""):
        # The page's script says it beside the button (comments.js).
        response: HttpResponse = JsonResponse({"message": REPORT_THANKS})
    else:
        messages.info(request, REPORT_THANKS, extra_tags="comments")
        response = redirect(comment.article.get_absolute_url() + threads.link(comment))
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
