"""Spam defence as a list of small rules, each returning ``(ok, reason)``.

A rule carries a verdict for when it fails: ``reject`` refuses the comment
(the reader sees the reason and keeps the text), ``hold`` stores it for a
moderator with the reason attached. Each rule can be switched off by name in
``NEWSROOM_COMMENTS_RULES``. Counters are database queries, so limits hold
across every server process.

The rules that count rows (rate per network and per article, duplicates) must
run inside the intake's write transaction, under its lock. Building their SQL
is most of their cost, so :func:`prepare` runs the rules once before the lock:
each counting query is compiled then (``Submission.reaches``) and only
executed by :func:`check` inside the transaction.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from newsroom.articles.models import Article

from .conf import conf
from .models import Ban, Comment
from .text import count_links

HOLD, REJECT = "hold", "reject"
# Rules whose reason is about the comment's text: shown beside the body field.
BODY_RULES = frozenset({"length", "duplicate", "banned_words"})


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
    _compiled: dict[str, tuple[str, tuple]] = field(default_factory=dict)
    _preparing: bool = False

    def reaches(self, key: str, rows: Callable[[], QuerySet], count: int) -> bool:
        """True when ``rows()`` has at least ``count`` rows.

        The query is compiled once per submission (in :func:`prepare`, before
        the write lock) and run each time it is asked, inside the lock.
        """
        if key not in self._compiled:
            query = rows().order_by().values_list("pk", flat=True)[:count]
            sql, params = query.query.sql_with_params()
            self._compiled[key] = (sql, tuple(params))
        if self._preparing:
            return False
        sql, params = self._compiled[key]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall()) >= count

    def bans(self) -> list[tuple[str, str]]:
        """(kind, value) of bans that may apply: this email, every network.

        One query for both ban rules, however many run.
        """
        if self._bans is None:
            where = Q(kind=Ban.Kind.NETWORK)
            if self.email:
                where |= Q(kind=Ban.Kind.EMAIL, value=self.email)
            self._bans = list(Ban.objects.filter(where).values_list("kind", "value"))
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


def _recent(seconds: int):
    return Comment.objects.filter(
        created_at__gte=timezone.now() - timedelta(seconds=seconds)
    )


@rule("rate_network", REJECT, 429)
def rate_network(sub: Submission) -> tuple[bool, str]:
    count, seconds = limits()["RATE_NETWORK"]
    if sub.network and sub.reaches(
        "rate_network", lambda: _recent(seconds).filter(network=sub.network), count
    ):
        return False, f"Too many comments from your network; wait {seconds} seconds."
    return True, ""


@rule("rate_article", REJECT, 429)
def rate_article(sub: Submission) -> tuple[bool, str]:
    count, seconds = limits()["RATE_ARTICLE"]
    if sub.reaches(
        "rate_article", lambda: _recent(seconds).filter(article=sub.article), count
    ):
        return False, f"This article gets many comments right now; wait {seconds} s."
    return True, ""


@rule("duplicate", REJECT)
def duplicate(sub: Submission) -> tuple[bool, str]:
    def rows() -> QuerySet:
        since = timezone.now() - timedelta(hours=limits()["DUPLICATE_HOURS"])
        where = Q(article=sub.article)
        if sub.network:
            where |= Q(network=sub.network)
        return Comment.objects.filter(
            where, body_hash=sub.body_hash, created_at__gte=since
        )

    if sub.reaches("duplicate", rows, 1):
        return False, "This comment has already been posted."
    return True, ""


def _words_in(text: str, words: list[str]) -> list[str]:
    folded = text.casefold()
    return [
        w
        for w in words
        if w.strip()
        and re.search(rf"(?<!\w){re.escape(w.strip().casefold())}(?!\w)", folded)
    ]


@rule("banned_words", REJECT)
def banned_words(sub: Submission) -> tuple[bool, str]:
    if _words_in(f"{sub.name}\n{sub.body}", settings.NEWSROOM_COMMENTS_BANNED_WORDS):
        return False, "The comment contains words this site does not publish."
    return True, ""


@rule("suspect_words", HOLD)
def suspect_words(sub: Submission) -> tuple[bool, str]:
    found = _words_in(
        f"{sub.name}\n{sub.body}", settings.NEWSROOM_COMMENTS_SUSPECT_WORDS
    )
    if found:
        return False, "suspect words: " + ", ".join(found)
    return True, ""


@rule("links", HOLD)
def links(sub: Submission) -> tuple[bool, str]:
    n = count_links(sub.body)
    if n > limits()["LINKS_MAX"]:
        return False, f"{n} links (more than {limits()['LINKS_MAX']})"
    return True, ""


def prepare(sub: Submission) -> None:
    """Do, before the write lock, what needs no lock: read the bans and
    compile the counting queries (their windows start from now)."""
    sub.bans()
    sub._preparing = True
    try:
        for r in RULES:
            if enabled(r.name):
                r.check(sub)
    finally:
        sub._preparing = False


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
