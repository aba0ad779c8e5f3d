"""The results page's kept frame (``search/frame.py``): the same bytes as the
template, rendered once per key, never shared with a signed-in editor."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.test.signals import template_rendered

from newsroom.articles.tests import factories as f
from newsroom.search import frame

pytestmark = pytest.mark.django_db

HOSTILE = [
    "water",
    '<script>alert(1)</script> "water',
    "water' onmouseover='x",
    "&amp; &lt;b&gt; water",
    "water \u202egnp.exe\u202c \u200b",
    frame.QUERY,  # the marker itself, typed
    frame.CONTENT + " water",
    "🌊 water",
]


@contextmanager
def renders():
    """How many times the results template went through Django's engine."""
    seen: list[str] = []

    def count(sender, template, context, **kwargs) -> None:
        if template.name == frame.TEMPLATE:
            seen.append(template.name)

    template_rendered.connect(count)
    try:
        yield seen
    finally:
        template_rendered.disconnect(count)


def _get(client, params, headers: list | None = None) -> str:
    response = client.get("/search/", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    if headers is not None:
        headers.append(sorted(response.headers.items()))
        headers[-1].append(("cookies", sorted(response.cookies)))
    return response.content.decode()


def test_a_kept_frame_gives_the_templates_bytes_for_any_query(
    client, search_backend, index_now, monkeypatch
):
    """Every query, hostile ones included (markup, quotes, bidi controls, the
    frame's own markers), and a search by filter alone: the page from the
    kept frame is byte for byte the page the template renders, with the
    same headers and cookies."""
    f.article("Water returns to the valley", section_name="Science")
    index_now()
    cases = [{"q": q} for q in HOSTILE] + [{"section": "science"}, {}]
    kept_headers: list = []
    rendered_headers: list = []
    kept = [_get(client, params, kept_headers) for params in cases]
    monkeypatch.setattr(frame, "shared", lambda request: False)
    rendered = [_get(client, params, rendered_headers) for params in cases]
    for params, a, b in zip(cases, kept, rendered, strict=True):
        assert a == b, params
    assert kept_headers == rendered_headers  # Vary, cookies, CSP: the same
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in kept[1]
    assert "<script>alert" not in kept[1]
    assert "\x00" not in kept[0]


def test_the_frame_is_rendered_once_per_key_not_once_a_page(
    client, search_backend, index_now
):
    """Pages with a query share one rendering of the frame; a page without
    one (its title differs) has its own. Fails if every page renders it."""
    f.article("Water returns to the valley")
    index_now()
    with renders() as seen:
        for q in ("water", "valley", "returns water", "nothing-like-this"):
            _get(client, {"q": q})
        assert len(seen) == 1
        _get(client, {"section": "world"})
        assert len(seen) == 2


def test_a_new_section_reaches_the_menu_of_the_next_results_page(
    client, search_backend, index_now
):
    """The menu is part of the frame: publishing in a new section moves the
    content version, and the next results page shows the section."""
    f.article("Water returns to the valley", section_name="World")
    index_now()
    assert '<li><a href="/section/climate/">' not in _get(client, {"q": "water"})
    f.article("Water and the weather", section_name="Climate")
    index_now()
    assert '<li><a href="/section/climate/">' in _get(client, {"q": "water"})


def test_a_signed_in_editor_gets_the_templates_own_render(
    client, search_backend, index_now
):
    """A session cookie means the template renders the page (a frame kept for
    readers is never shown to a signed-in user, nor one made for them kept)."""
    f.article("Water returns to the valley")
    index_now()
    user = get_user_model().objects.create_user("ed", password="pw-for-tests-only")
    client.force_login(user)
    with renders() as seen:
        _get(client, {"q": "water"})
        _get(client, {"q": "water"})
    assert len(seen) == 2
    assert not frame._frames


def test_a_changed_setting_drops_the_kept_frames(
    client, search_backend, index_now, settings
):
    """The site's name is in the frame: changing a setting (as tests and a
    reload do) drops what was kept."""
    index_now()
    assert "After Name" not in _get(client, {"q": "water"})
    settings.SITE_NAME = "After Name"
    assert "After Name" in _get(client, {"q": "water"})
