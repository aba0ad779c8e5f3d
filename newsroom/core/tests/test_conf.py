"""Per-app settings: declared defaults, read at call time, checked at startup."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from newsroom.core.conf import AppSettings, check_settings
from newsroom.web.conf import conf as web_conf


def _errors() -> list[str]:
    return [f"{e.id} {e.msg}" for e in check_settings()]


def test_a_setting_of_the_wrong_type_fails_manage_py_check_naming_it():
    """A page-cache lifetime written as a string (as an environment value
    pasted into a settings module would be) stops `manage.py check`, and the
    message names the setting, what it holds and what it must be."""
    with override_settings(NEWSROOM_PAGE_CACHE_SECONDS="30"):
        with pytest.raises(SystemCheckError) as caught:
            call_command("check")
    message = str(caught.value)
    assert "newsroom.E100" in message
    assert "NEWSROOM_PAGE_CACHE_SECONDS must be int, not str ('30')" in message


def test_a_flag_where_a_number_belongs_and_a_refused_value_are_errors():
    """True is an int to Python but not a byte budget; a negative budget is
    refused by the setting's own check; a dict where a list belongs too."""
    with override_settings(
        NEWSROOM_PAGE_CACHE_BYTES=True,
        NEWSROOM_ARTICLE_BODY_MAX_CHARS=-5,
        NEWSROOM_FETCH_ALLOWED_NETWORKS={"10.0.0.0/8": True},
    ):
        errors = _errors()
    assert any("NEWSROOM_PAGE_CACHE_BYTES must be int, not bool" in e for e in errors)
    assert any(
        "NEWSROOM_ARTICLE_BODY_MAX_CHARS must be at least 1 (it is -5)" in e
        for e in errors
    )
    assert any(
        "NEWSROOM_FETCH_ALLOWED_NETWORKS must be list or tuple" in e for e in errors
    )


def test_values_are_read_at_call_time_with_the_declared_default():
    """Without the setting the declared default is used; with it, the
    project's value, read when asked (so a changed setting takes effect)."""
    with override_settings():
        from django.conf import settings

        if hasattr(settings, "NEWSROOM_PAGE_CACHE_BYTES"):
            del settings.NEWSROOM_PAGE_CACHE_BYTES
        assert web_conf.NEWSROOM_PAGE_CACHE_BYTES == 32 << 20
    with override_settings(NEWSROOM_PAGE_CACHE_BYTES=1234):
        assert web_conf.NEWSROOM_PAGE_CACHE_BYTES == 1234
    with pytest.raises(AttributeError):
        web_conf.NEWSROOM_NOT_DECLARED  # noqa: B018


def test_every_app_declares_its_settings_and_every_default_passes_its_check():
    """The check finds each app's conf.py, and a project that sets nothing
    (every default) is clean."""
    check_settings()
    apps = {d.app for d in AppSettings.declared}
    assert {"core", "web", "articles", "search", "ingest", "comments"} <= apps
    for declared in AppSettings.declared:
        for name, option in declared.options.items():
            kinds = option.kind if isinstance(option.kind, tuple) else (option.kind,)
            assert isinstance(option.default, kinds), name
            assert option.check is None or option.check(option.default) is None, name
    assert _errors() == []


def test_the_fast_escape_gives_djangos_output_for_hostile_and_lazy_values():
    """newsroom.core.html.escape is a drop-in for django.utils.html.escape on
    the results page and pictures: same text, safe, lazy strings resolved."""
    from django.utils import html as django_html
    from django.utils.functional import lazy
    from django.utils.safestring import SafeString

    from newsroom.core.html import escape

    hostile = [
        '<script>alert("x")</script>',
        "O'Brien & Sons",
        "\u202eevil\u202c",
        "a\x00b",
        "",
        42,
        3.5,
        None,
        SafeString("<b>already safe</b>"),
        lazy(lambda: "<i>lazy</i> & 'late'", str)(),
    ]
    for value in hostile:
        ours = escape(value)
        assert ours == django_html.escape(value) and isinstance(ours, SafeString)
