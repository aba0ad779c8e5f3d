"""Reader comments, bans, and the codes already used.

A comment is never a boolean "visible": it has an explicit state, and only
``APPROVED`` comments are shown or counted. Addresses are stored anonymised
(a /24 or /48 network), never as the reader's raw IP.
"""

from __future__ import annotations

import ipaddress

from django.db import models
from django.utils import timezone

from newsroom.articles.models import Article


class CommentQuerySet(models.QuerySet):
    def approved(self) -> CommentQuerySet:
        return self.filter(status=Comment.Status.APPROVED)

    def held(self) -> CommentQuerySet:
        return self.filter(status=Comment.Status.PENDING)

    def reported(self) -> CommentQuerySet:
        return self.filter(report_count__gt=0).exclude(
            status__in=[Comment.Status.REMOVED, Comment.Status.SPAM]
        )


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting moderation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SPAM = "spam", "Spam"
        REMOVED = "removed", "Removed"

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments"
    )
    # SET_NULL: deleting one reader's data must not take other readers' replies.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    name = models.CharField(max_length=80)
    email = models.EmailField(
        blank=True, help_text="Never shown; used for notifications."
    )
    body = models.TextField()
    body_html = models.TextField(editable=False, blank=True)
    body_hash = models.CharField(max_length=64, db_index=True, editable=False)
    network = models.CharField(
        max_length=50,
        blank=True,
        db_index=True,
        help_text="The reader's network (/24 IPv4, /48 IPv6), never the raw address.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reasons = models.JSONField(
        default=list, blank=True, help_text="Why the guard held this comment."
    )
    notify_replies = models.BooleanField(default=False)
    # The box was ticked by who reads the address's mail: posted from a
    # browser that pressed the address's button (confirm_email), or that
    # button pressed for this comment. Anyone can type anyone's address, and
    # the address's yes (ReplyConsent) alone would mail its owner the
    # replies to a stranger's comment under it.
    replies_vouched = models.BooleanField(
        default=False, db_default=False, editable=False
    )
    reply_notified = models.BooleanField(default=False, editable=False)
    # Approved, and its reply notification is still to go: its job has not
    # claimed it yet (a process killed first lost it), or it was tried and
    # did not go (``reply_notified``). A later batch or the cron job sends
    # it (newsroom.comments.owed).
    reply_owed = models.BooleanField(default=False, db_default=False, editable=False)
    # Held, and its email to the moderators did not go (the relay refused or
    # hung): a later notice names it (owed.tell_moderators_owed).
    moderators_owed = models.BooleanField(
        default=False, db_default=False, editable=False
    )
    # The moderators were told of this held comment: its own email went, or
    # the period's notice that mail is paused, or a notice naming it, or
    # there are none. Not told, held for longer than the grace: the job
    # that mails them was lost with its process (newsroom.comments.owed).
    # The intake sets it on every comment it writes; a row written by other
    # code (an import, the admin, a node of the version before) is told, so
    # no notice names what no job was ever to mail.
    moderators_told = models.BooleanField(default=True, db_default=True, editable=False)
    report_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    moderated_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()
    # Set on the comments a page shows (newsroom.comments.threads): the
    # comment a reply answers, for "replying to".
    reply_to: Comment | None = None
    # Set on the comments a feed lists: where the page shows this one (the
    # query string and anchor of newsroom.comments.threads.links).
    shown_at: str = ""

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["article", "status", "created_at"], name="comment_article_idx"
            ),
            models.Index(fields=["network", "created_at"], name="comment_network_idx"),
            models.Index(fields=["email", "status"], name="comment_email_idx"),
            # The few owed mail, found without reading the rest.
            models.Index(
                fields=["created_at"],
                condition=models.Q(moderators_told=False),
                name="comment_moderators_untold_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(reply_owed=True),
                name="comment_reply_owed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.article_id}: {self.body[:50]}"

    def save(self, *args, **kwargs) -> None:
        if getattr(self, "_prepared", None) != (self.name, self.body, self.email):
            self.prepare()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The article page that shows this comment: its thread's page, or
        the thread's own view for a reply past those a page shows (as the
        redirect after posting); the first page's anchor alone missed every
        comment past the first page of threads (a reply email's link)."""
        from .threads import link

        shown = self.status == self.Status.APPROVED
        return self.article.get_absolute_url() + (
            link(self) if shown else f"#comment-{self.pk}"
        )

    def prepare(self) -> None:
        """Clean the text and render it, as :meth:`save` would.

        The intake calls this before its write transaction, so the rendering
        is not done while the write lock is held; ``save`` then sees the same
        text and does not do it again.
        """
        from .text import address_key, body_hash, clean_text, render_body

        # The page, the feeds and the API all show these stored strings.
        # A name is one line: newlines in it wrote lines of their own into
        # the moderators' email and broke the reply email's subject.
        self.name = " ".join(clean_text(self.name).split())
        self.body = clean_text(self.body)
        # As mail goes to it (an import's, an edit's): bans and data
        # requests compare this form.
        self.email = address_key(self.email) if self.email else ""
        self.body_html = render_body(self.body)
        self.body_hash = body_hash(self.body)
        self._prepared = (self.name, self.body, self.email)


class Ban(models.Model):
    """An email address or a network whose comments are refused."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email address"
        NETWORK = "network", "Network"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(
        max_length=254,
        help_text="An email address, or a network such as 203.0.113.0/24.",
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="ban_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .text import address_key

        if self.kind == self.Kind.NETWORK:
            try:
                self.value = str(ipaddress.ip_network(self.value.strip(), strict=False))
            except ValueError as exc:
                raise ValidationError({"value": "Not a network or address."}) from exc
        else:
            self.value = address_key(self.value)


class ReplyConsent(models.Model):
    """An address whose owner said yes to reply emails (double opt-in).

    A comment's "email me" box is the commenter's word, and anyone can type
    anyone's address: no reply email goes to an address until someone who
    reads its mail pressed the button behind the link mailed to it
    (``confirm_email``). Unsubscribing takes the yes back.
    """

    email = models.EmailField(unique=True)
    confirmed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email


class UsedCode(models.Model):
    """A confirmation code already spent: the row makes it single-use.

    Codes themselves are stateless (signed); only spent ones are written, in
    the same transaction as the comment, so a replay hits the unique key.
    """

    challenge_id = models.CharField(max_length=40, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.challenge_id


class PendingComment(Comment):
    """The moderation queue in the admin."""

    class Meta:
        proxy = True
        verbose_name = "comment awaiting moderation"
        verbose_name_plural = "moderation queue"


class ReportedComment(Comment):
    """Comments readers reported."""

    class Meta:
        proxy = True
        verbose_name = "reported comment"
        verbose_name_plural = "reported comments"
