"""E-mail addresses as mail goes to them: one rule for the comment form,
the API, the importers and the deploy checks."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def address(text: str) -> str:
    """An email address in its compatibility form (NFKC): a domain typed in
    full-width letters is the ASCII one mail goes to, and a ban of one is a
    ban of the other."""
    return unicodedata.normalize("NFKC", text)


# A mailbox's own name, written plainly: ASCII letters, digits and the marks
# RFC 5322 allows, dots between. Not a quoted string ('"a@b"@c.org', which
# Django's mail unquotes when it can, a different address), and not a letter
# Python's case-blind match takes for a Latin one (dotless "ı", which mail
# sent as "=?utf-8?b?xLE=?=@…").
LOCAL_PART = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
)


def mailbox(text: str) -> str:
    """The address as mail goes to it (lower case, the domain in its ASCII
    IDNA form, as Django's mail writes it); ValueError unless it is a
    mailbox at a domain: a name, "@", then a domain with a dot (not
    "localhost", not an [IP] literal)."""
    value = address(text).strip()
    local, at, domain = value.rpartition("@")
    if not at or len(local) > 64 or not LOCAL_PART.fullmatch(local):
        raise ValueError("not a mailbox name")
    try:
        # The codec Django's mail uses: "exa\u200bmple.org" is example.org.
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("not a domain") from exc
    value = f"{local}@{domain}".lower()
    if "." not in domain or domain.startswith("[") or len(value) > 254:
        raise ValueError("not a domain")
    try:
        validate_email(value)  # the labels and the top-level domain
    except ValidationError as exc:
        raise ValueError("not a domain") from exc
    return value
