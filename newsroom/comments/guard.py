"""Spam defence as a list of small rules, each returning ``(ok, reason)``.

A rule carries a verdict for when it fails: ``reject`` refuses the comment
(the reader sees the reason and keeps the text), ``hold`` stores it for a
moderator with the reason attached. Each rule can be switched off by name in
``NEWSROOM_COMMENTS_RULES``. Counters are database queries, so limits hold
across every server process.

The rules that count rows (rate per network and per article, duplicates) must
run inside the intake's write transaction, under its lock. Building their SQL
through the ORM was most of their cost, so each is a
:class:`newsroom.db.prepared.Prepared` query, built once per thread and run
with this submission's values; the bans are read the same way, before the
lock (:func:`prepare`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.core.limits import in_words
from newsroom.db.prepared import Prepared

from .conf import conf
from .models import Ban, Comment
from .names import newsroom_name_in
from .text import count_links
from .words import words_in

HOLD, REJECT = "hold", "reject"
# Rules whose reason is about the comment's text: shown beside the body field.
BODY_RULES = frozenset({"length", "duplicate", "banned_words"})


def _first_ids(rows: QuerySet, count: int) -> QuerySet:
    return rows.order_by().values_list("pk", flat=True)[:count]


# The counting rules' queries: ``count`` (the LIMIT) is their shape, the rest
# are values swapped in per run.
RECENT_FROM_NETWORK = Prepared(
    lambda count, since, network: _first_ids(
        Comment.objects.filter(created_at__gte=since, network=network), count
    ),
    since=datetime,
    network=str,
)
RECENT_ON_ARTICLE = Prepared(
    lambda count, since, article: _first_ids(
        Comment.objects.filter(created_at__gte=since, article_id=article), count
    ),
    since=datetime,
    article=int,
)
SAME_TEXT = Prepared(
    lambda count, since, article, text, network: _first_ids(
        Comment.objects.filter(
            Q(article_id=article) | Q(network=network),
            body_hash=text,
            created_at__gte=since,
        ),
        count,
    ),
    since=datetime,
    article=int,
    text=str,
    network=str,
)
SAME_TEXT_ON_ARTICLE = Prepared(
    lambda count, since, article, text: _first_ids(
        Comment.objects.filter(
            article_id=article, body_hash=text, created_at__gte=since
        ),
        count,
    ),
    since=datetime,
    article=int,
    text=str,
)
BANS = Prepared(
    lambda: Ban.objects.filter(kind=Ban.Kind.NETWORK).values_list("kind", "value")
)
BANS_AND_EMAIL = Prepared(
    lambda email: Ban.objects.filter(
        Q(kind=Ban.Kind.NETWORK) | Q(kind=Ban.Kind.EMAIL, value=email)
    ).values_list("kind", "value"),
    email=str,
)


@dataclass
class Submission:
    article: Article
    name: str
    email: str
    body: str
    network: str
    body_hash: str
    parent_id: int | None = None
    _bans: list[tuple[str, str]] | None = None

    def reaches(self, query: Prepared, count: int, **values) -> bool:
        """True when ``query`` finds at least ``count`` rows (run it inside
        the write transaction, under the intake's lock)."""
        return len(query.rows(count, **values)) >= count

    def bans(self) -> list[tuple[str, str]]:
        """(kind, value) of bans that may apply: this email, every network.

        One query for both ban rules, however many run.
        """
        if self._bans is None:
            if self.email:
                rows = BANS_AND_EMAIL.rows(email=self.email)
            else:
                rows = BANS.rows()
            self._bans = [(kind, value) for kind, value in rows]
        return self._bans


@dataclass(frozen=True)
class Rule:
    name: str
    verdict: str
    check: Callable[[Submission], tuple[bool, str]]
    status: int = 400  # the HTTP status of a refusal


@dataclass
class Outcome:
    rejected: list[tuple[Rule, str]] = field(default_factory=list)
    held: list[tuple[Rule, str]] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.rejected)

    @property
    def reasons(self) -> list[str]:
        return [f"{rule.name}: {reason}" for rule, reason in self.rejected + self.held]


RULES: list[Rule] = []


def rule(name: str, verdict: str, status: int = 400):
    def register(func: Callable[[Submission], tuple[bool, str]]):
        RULES.append(Rule(name, verdict, func, status))
        return func

    return register


def limits() -> dict:
    return settings.NEWSROOM_COMMENTS_LIMITS


def enabled(name: str) -> bool:
    return bool(conf.NEWSROOM_COMMENTS_RULES.get(name, True))


@rule("length", REJECT)
def length(sub: Submission) -> tuple[bool, str]:
    n = len(sub.body.strip())
    if n < limits()["BODY_MIN"]:
        return False, f"The comment is too short (at least {limits()['BODY_MIN']})."
    if n > limits()["BODY_MAX"]:
        return False, f"The comment is too long (at most {limits()['BODY_MAX']})."
    return True, ""


@rule("banned_email", REJECT, 403)
def banned_email(sub: Submission) -> tuple[bool, str]:
    if sub.email and (Ban.Kind.EMAIL, sub.email) in sub.bans():
        return False, "Comments from this email address are not accepted."
    return True, ""


@rule("banned_network", REJECT, 403)
def banned_network(sub: Submission) -> tuple[bool, str]:
    try:
        mine = ipaddress.ip_network(sub.network)
    except ValueError:  # newsroom.net.UNKNOWN: no address to match a ban
        return True, ""
    for kind, value in sub.bans():
        if kind != Ban.Kind.NETWORK:
            continue
        try:
            banned = ipaddress.ip_network(value, strict=False)
        except ValueError:
            continue
        if banned.version == mine.version and mine.subnet_of(banned):
            return False, "Comments from your network are not accepted."
    return True, ""


def retry_after(rule_name: str) -> int:
    """Seconds a client refused by a rate rule should wait (the rule's window)."""
    key = {"rate_network": "RATE_NETWORK", "rate_article": "RATE_ARTICLE"}[rule_name]
    return int(limits()[key][1])


def _since(seconds: float) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)


@rule("rate_network", REJECT, 429)
def rate_network(sub: Submission) -> tuple[bool, str]:
    count, seconds = limits()["RATE_NETWORK"]
    if sub.network and sub.reaches(
        RECENT_FROM_NETWORK, count, since=_since(seconds), network=sub.network
    ):
        wait = in_words(seconds)
        return False, f"Too many comments from your network; wait {wait}."
    return True, ""


@rule("rate_article", REJECT, 429)
def rate_article(sub: Submission) -> tuple[bool, str]:
    count, seconds = limits()["RATE_ARTICLE"]
    if sub.reaches(
        RECENT_ON_ARTICLE, count, since=_since(seconds), article=sub.article.pk
    ):
        wait = in_words(seconds)
        return False, f"This article gets many comments right now; wait {wait}."
    return True, ""


@rule("duplicate", REJECT)
def duplicate(sub: Submission) -> tuple[bool, str]:
    since = _since(limits()["DUPLICATE_HOURS"] * 3600)
    found = (
        sub.reaches(
            SAME_TEXT,
            1,
            since=since,
            article=sub.article.pk,
            text=sub.body_hash,
            network=sub.network,
        )
        if sub.network
        else sub.reaches(
            SAME_TEXT_ON_ARTICLE,
            1,
            since=since,
            article=sub.article.pk,
            text=sub.body_hash,
        )
    )
    if found:
        return False, "This comment has already been posted."
    return True, ""


@rule("banned_words", REJECT)
def banned_words(sub: Submission) -> tuple[bool, str]:
    if words_in(f"{sub.name}\n{sub.body}", settings.NEWSROOM_COMMENTS_BANNED_WORDS):
        return False, "The comment contains words this site does not publish."
    return True, ""


@rule("suspect_words", HOLD)
def suspect_words(sub: Submission) -> tuple[bool, str]:
    found = words_in(
        f"{sub.name}\n{sub.body}", settings.NEWSROOM_COMMENTS_SUSPECT_WORDS
    )
    if found:
        return False, "suspect words: " + ", ".join(found)
    return True, ""


@rule("staff_name", HOLD)
def staff_name(sub: Submission) -> tuple[bool, str]:
    found = newsroom_name_in(sub.name)
    if found:
        return False, f"the name reads as the newsroom's own: {found}"
    return True, ""


@rule("links", HOLD)
def links(sub: Submission) -> tuple[bool, str]:
    n = count_links(sub.body)
    if n > limits()["LINKS_MAX"]:
        return False, f"{n} links (more than {limits()['LINKS_MAX']})"
    return True, ""


def prepare(sub: Submission) -> None:
    """Do, before the write lock, what needs no lock: read the bans (a ban
    added during this post applies from the next one)."""
    sub.bans()


def check(sub: Submission) -> Outcome:
    """Run every enabled rule; rejecting rules stop the run at the first failure."""
    outcome = Outcome()
    for r in RULES:
        if not enabled(r.name):
            continue
        ok, reason = r.check(sub)
        if ok:
            continue
        if r.verdict == REJECT:
            outcome.rejected.append((r, reason))
            return outcome
        outcome.held.append((r, reason))
    return outcome
