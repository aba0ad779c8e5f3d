"""The accessible path: a proof-of-work the reader's browser solves (ALTCHA).

A reader who cannot see the image code does not get a question in words (a
bot reads words as well as a person). Instead the ``altcha`` widget, vendored
into static, fetches a challenge from this site, solves it in Web Workers and
puts the solution in a hidden field: nothing to see or hear, nothing loaded
from elsewhere. It costs a bot CPU per comment, not impossibility, so a
comment confirmed this way waits for a moderator unless
``NEWSROOM_COMMENTS_POW["HOLD"]`` is false (docs/comments.md has the threat
model).

A challenge is signed with a key derived from ``SECRET_KEY`` and carries the
article and a keyed tag of the network it was fetched from; it expires after
``TIMEOUT`` seconds and is spent like an image code (one try, ``UsedCode``).
"""

from __future__ import annotations

import secrets
import time

import altcha
from django.utils.crypto import constant_time_compare, salted_hmac

from ..conf import conf
from .base import Verdict

SALT = "newsroom.comments.pow"
DEFAULTS = {
    "ALGORITHM": "PBKDF2/SHA-256",
    "COST": 1000,  # PBKDF2 iterations per try
    "MAX_NUMBER": 2000,  # tries: a browser needs MAX_NUMBER / 2 on average
    "TIMEOUT": 600,
    "HOLD": True,
}
PAYLOAD_MAX = 4000  # a real payload is well under 1,000 characters


def options() -> dict:
    return {**DEFAULTS, **conf.NEWSROOM_COMMENTS_POW}


def _key(purpose: str) -> str:
    return salted_hmac(f"{SALT}.{purpose}", "altcha").hexdigest()


def network_tag(network: str) -> str:
    """A keyed tag of the network: the challenge never carries the network."""
    return salted_hmac(f"{SALT}.network", network).hexdigest()[:20]


def create(article_id: int, network: str) -> dict:
    """A signed challenge for one article and network, as the widget reads it."""
    opts = options()
    challenge = altcha.create_challenge(
        opts["ALGORITHM"],
        int(opts["COST"]),
        counter=secrets.randbelow(max(1, int(opts["MAX_NUMBER"]))),
        expires_at=int(time.time()) + int(opts["TIMEOUT"]),
        data={"article": int(article_id), "net": network_tag(network)},
        hmac_secret=_key("challenge"),
        hmac_key_secret=_key("key"),
    )
    return challenge.to_dict()


def verify(payload: str, article_id: int, network: str) -> Verdict:
    """Check a solved challenge without spending it (the intake spends it)."""
    if not payload:
        return Verdict(False, "missing")
    if len(payload) > PAYLOAD_MAX:
        return Verdict(False, "invalid")
    try:
        parsed = altcha.Payload.from_base64(payload)
        nonce = str(parsed.challenge.parameters.nonce)
        data = parsed.challenge.parameters.data
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return Verdict(False, "invalid")
    result = altcha.verify_solution(
        parsed, hmac_secret=_key("challenge"), hmac_key_secret=_key("key")
    )
    if result.expired:
        return Verdict(False, "expired")
    if result.invalid_signature or not isinstance(data, dict):
        return Verdict(False, "invalid")
    challenge_id = f"pow:{nonce}"[:40]
    if not result.verified:
        return Verdict(False, "wrong", challenge_id)
    bound = data.get("article") == int(article_id) and constant_time_compare(
        str(data.get("net", "")), network_tag(network)
    )
    if not bound:
        return Verdict(False, "wrong", challenge_id)
    return Verdict(True, "", challenge_id)


def solve(challenge: dict) -> str:
    """The payload a browser would send (the bench and tests solve this way)."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    if solution is None:
        raise TimeoutError("challenge not solved in time")
    return altcha.Payload(parsed, solution).to_base64()
