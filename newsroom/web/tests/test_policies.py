"""Browser policies on every response (issue 12, item 8): a strict
Content-Security-Policy (django-csp), Permissions-Policy and Referrer-Policy,
from Django, from the front cache's kept pages and on the admin."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from newsroom.articles.tests import factories as f

from .test_front import app  # noqa: F401 - the fixture
from .test_front_bounds import get

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_policies(headers) -> None:
    csp = directives(headers["Content-Security-Policy"])
    for name, value in STRICT.items():
        assert csp[name] == value, (name, csp.get(name))
    assert csp["form-action"].split()[0] == "'self'"
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_every_kind_of_response_carries_the_policies():
    """Pages, feeds, robots.txt, a 404, the API, a static file, the admin's
    login and change pages: each has the strict CSP, Permissions-Policy and
    Referrer-Policy."""
    article = f.article("Policies everywhere")
    user = get_user_model().objects.create_superuser("ed", "ed@example.org", "pw")
    client = Client()
    urls = [
        "/",
        article.get_absolute_url(),
        f"/section/{article.section.slug}/",
        "/feeds/rss/",
        "/robots.txt",
        "/no-such-page/",
        "/api/v1/articles",
        "/static/newsroom/site.css",
        "/admin/login/",
    ]
    for url in urls:
        assert_policies(client.get(url))
    client.force_login(user)
    change = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert change.status_code == 200
    assert_policies(change)


def test_front_cache_pages_keep_the_policies(app):  # noqa: F811
    """A page answered from the front cache, before Django, carries the same
    policies as the one Django rendered."""
    url = f.article("Kept with its headers").get_absolute_url()
    first = get(app, url)
    kept = get(app, url)
    assert first.from_django and not kept.from_django
    assert_policies(dict(kept.headers))


def test_swagger_ui_alone_may_use_inline_styles_and_data_images():
    """/api/v1/docs gets style-src 'unsafe-inline' and img-src data: for the
    Swagger UI; script-src stays 'self' and every other page stays strict."""
    docs = directives(Client().get("/api/v1/docs")["Content-Security-Policy"])
    assert docs["script-src"] == "'self'"
    assert "'unsafe-inline'" in docs["style-src"] and "data:" in docs["img-src"]


def test_share_networks_are_the_form_targets_the_policy_allows():
    """Share buttons post to /share/, which redirects to the network; the
    browser checks form-action on that redirect, so every network's origin
    (newsroom/shares/networks.py) is in the policy's form-action."""
    from urllib.parse import urlsplit

    from newsroom.shares.networks import SHARE_TARGETS

    allowed = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
    for target in SHARE_TARGETS.values():
        parts = urlsplit(target)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "mailto:"
        assert origin in allowed, target


def test_no_template_has_inline_script_or_style():
    """No template carries an inline <script> body, an on* handler or a style
    attribute: the policy would refuse them."""
    import re
    from pathlib import Path

    root = Path(settings.BASE_DIR) / "newsroom"
    found = []
    for path in root.rglob("templates/**/*.html"):
        text = path.read_text()
        for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            if "src=" not in m.group(1) and "ld+json" not in m.group(1):
                found.append((path.name, m.group(0)[:60]))
        found += [(path.name, m) for m in re.findall(r'\sstyle="[^"]*"', text)]
        found += [(path.name, m) for m in re.findall(r"\son[a-z]+=\"", text)]
    assert not found, found


def test_the_policy_built_once_follows_a_changed_setting(settings):
    """The header is built once and kept (newsroom.web.middleware), so a
    changed CONTENT_SECURITY_POLICY or a new report-only policy must reach
    the next response; the kept string is django-csp's own."""
    from csp.utils import build_policy

    client = Client()
    assert client.get("/robots.txt")["Content-Security-Policy"] == build_policy()
    policy = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {**policy["DIRECTIVES"], "img-src": ["'self'", "data:"]},
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'none'"]}
    }
    response = client.get("/robots.txt")
    assert directives(response["Content-Security-Policy"])["img-src"] == (
        "'self' data:"
    )
    ro = response["Content-Security-Policy-Report-Only"]
    assert directives(ro)["default-src"] == "'none'"
