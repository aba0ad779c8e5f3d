"""The CSRF lines copied from Django stay pinned to the installed Django."""

import secrets

import django
from django.middleware import csrf as django_csrf

from newsroom.web import csrf


def test_copied_from_the_installed_django_version():
    """A Django upgrade fails here first: compare the copied lines with the
    new release's django/middleware/csrf.py, then move DJANGO_VERSION."""
    assert django.VERSION[:2] == csrf.DJANGO_VERSION


def test_the_copies_answer_as_djangos_private_functions():
    """Same format verdict and same unmasked secret as Django itself, for
    secrets, masked tokens, wrong lengths and foreign characters."""
    samples = ["", "a" * 31, "a" * 33, "é" * 32, "a" * 31 + "-", "x" * 64 + "y"]
    for _ in range(50):
        secret = django_csrf._get_new_csrf_string()
        masked = django_csrf._mask_cipher_secret(secret)
        samples += [secret, masked, masked[:-1] + "!"]
        assert csrf.unmask(masked) == django_csrf._unmask_cipher_token(masked)
        assert csrf.unmask(masked) == secret
    samples += [secrets.token_urlsafe(48)[:64] for _ in range(20)]
    for token in samples:
        try:
            django_csrf._check_token_format(token)
            theirs = True
        except django_csrf.InvalidTokenFormat:
            theirs = False
        assert csrf.is_token_format(token) is theirs, token
