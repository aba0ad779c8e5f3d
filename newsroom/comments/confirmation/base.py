"""What every confirmation code backend does: issue, verify, spend once.

Codes are stateless until they are spent: the token a form carries is the
challenge id signed with a timestamp, and the answer is derived with the
site's secret key from that id *and a scope*: the article and the reader's
network (:func:`scope`). So rendering a form writes nothing, any worker can
draw the image, and a code read on one network or for one article is wrong
anywhere else. Spending a code writes a :class:`UsedCode` row (unique), in the
same transaction as the comment, which is what makes it single-use.

Drawing an image costs CPU, and a token may be drawn again and again: a
process draws at most ``RENDERS_AT_ONCE`` at a time (:meth:`draw`), and a
request that finds no slot free within ``RENDER_WAIT`` seconds is told to come
back (503), so a client asking for hundreds at once takes a few of a worker's
threads, not every core.
"""

from __future__ import annotations

import math
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "newsroom.comments.confirmation"


@dataclass(frozen=True)
class Challenge:
    token: str
    image_url: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # "", "missing", "invalid", "expired", "wrong", "used"
    challenge_id: str | None = None


def scope(article_id: int, network: str) -> str:
    """What a code is bound to: one article, seen from one network."""
    return f"{int(article_id)}|{network}"


def normalise(answer: str) -> str:
    """Case-insensitive, and forgiving of spaces readers type between characters."""
    return "".join(answer.split()).casefold()


class BaseConfirmation:
    supports_image = False

    def __init__(self, options: dict) -> None:
        self.options = options
        self.timeout = int(options.get("TIMEOUT", 600))
        self.renders_at_once = int(options.get("RENDERS_AT_ONCE", 2))
        self.render_wait = float(options.get("RENDER_WAIT", 1))
        if self.renders_at_once < 1:
            raise ImproperlyConfigured(
                "NEWSROOM_CONFIRMATION RENDERS_AT_ONCE must be at least 1"
            )
        if not (math.isfinite(self.render_wait) and 0 <= self.render_wait <= 30):
            raise ImproperlyConfigured(
                "NEWSROOM_CONFIRMATION RENDER_WAIT must be 0 to 30 seconds"
            )
        self._drawing = threading.BoundedSemaphore(self.renders_at_once)

    # --- to implement -------------------------------------------------------
    def code_for(self, challenge_id: str, where: str) -> str:
        """The answer to a challenge in one :func:`scope`."""
        raise NotImplementedError

    def image_url(self, token: str) -> str:
        return ""

    def render_png(self, challenge_id: str, where: str) -> bytes:
        """The code as an image (backends that set ``supports_image``)."""
        raise NotImplementedError

    # --- shared -------------------------------------------------------------
    def digest(self, challenge_id: str, purpose: str, where: str = "") -> bytes:
        return salted_hmac(f"{SALT}.{purpose}", f"{challenge_id}|{where}").digest()

    def draw(self, challenge_id: str, where: str) -> bytes | None:
        """:meth:`render_png`, at most ``RENDERS_AT_ONCE`` at a time in this
        process; None when no slot came free within ``RENDER_WAIT`` seconds."""
        if not self._drawing.acquire(timeout=self.render_wait):
            return None
        try:
            return self.render_png(challenge_id, where)
        finally:
            self._drawing.release()

    def issue(self) -> Challenge:
        challenge_id = secrets.token_urlsafe(12)
        token = signing.TimestampSigner(salt=SALT).sign(challenge_id)
        return Challenge(token=token, image_url=self.image_url(token))

    def unsign(self, token: str, max_age: int | None = 0) -> str | None:
        """The challenge id in a token, or None when forged or (by default) expired."""
        age = self.timeout if max_age == 0 else max_age
        try:
            return signing.TimestampSigner(salt=SALT).unsign(token, max_age=age)
        except signing.BadSignature:
            return None

    def verify(self, token: str, answer: str, where: str) -> Verdict:
        """Check an answer in one :func:`scope` without spending the code."""
        if not token:
            return Verdict(False, "invalid")
        try:
            challenge_id = signing.TimestampSigner(salt=SALT).unsign(
                token, max_age=self.timeout
            )
        except signing.SignatureExpired:
            return Verdict(False, "expired")
        except signing.BadSignature:
            return Verdict(False, "invalid")
        given = normalise(answer or "")
        if not given:
            return Verdict(False, "missing", challenge_id)
        if not constant_time_compare(
            given, normalise(self.code_for(challenge_id, where))
        ):
            return Verdict(False, "wrong", challenge_id)
        return Verdict(True, "", challenge_id)

    def spend(self, challenge_id: str) -> bool:
        """Mark a code used; False when it was already. Call inside the write.

        One ``INSERT … ON CONFLICT DO NOTHING``: no savepoint, and of two
        concurrent spends exactly one inserts the row.
        """
        from newsroom.comments.models import UsedCode

        q = connection.ops.quote_name
        sql = (
            f"INSERT INTO {q(UsedCode._meta.db_table)} "
            f"({q('challenge_id')}, {q('used_at')}) VALUES (%s, %s) "
            f"ON CONFLICT ({q('challenge_id')}) DO NOTHING"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(sql, [challenge_id, now])
            return cursor.rowcount == 1

    def purge(self) -> int:
        """Forget spent codes old enough that their tokens have expired anyway.

        The table holds spent proof-of-work challenges too: a row stays as
        long as the longer-lived of the two could still be sent back."""
        from newsroom.comments.models import UsedCode

        from .proof import options

        lifetime = max(self.timeout, int(options()["TIMEOUT"]))
        cutoff = timezone.now() - timedelta(seconds=lifetime + 60)
        deleted, _ = UsedCode.objects.filter(used_at__lt=cutoff).delete()
        return deleted
