"""Registries: apps contribute through them, and a missing contribution is absent."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.core import registry, slots


def test_a_name_is_taken_once():
    """Registering a second, different value under a name is refused at startup."""
    reg = registry.Registry("test")
    first = object()
    reg.register("x", first)
    reg.register("x", first)  # the same value again (ready() run twice) is fine
    with pytest.raises(ImproperlyConfigured, match="'x' is registered twice"):
        reg.register("x", object())
    assert reg.get("x") is first and "x" in reg and reg.get("y") is None


def test_the_comments_app_registers_its_contributions():
    """Slots, the "most commented" ranking, the comments feed and the import
    target all come from the comments app's ready(), not from imports."""
    assert {"code", "stamp"} <= {n for n, _ in registry.slot_values.items()}
    assert registry.rankings.get("commented") is not None
    assert registry.article_feeds.get("comments") is not None
    assert registry.comment_import.get("comments") is not None
    assert registry.pages.get("article") is not None  # the web app's


@pytest.fixture
def without_comments():
    """The registries as if the comments app were not installed."""
    kept = {reg: dict(reg.items()) for reg in (registry.slot_values, registry.rankings)}
    registry.slot_values.unregister("code")
    registry.slot_values.unregister("stamp")
    registry.rankings.unregister("commented")
    yield
    for reg, items in kept.items():
        for name, item in items.items():
            reg.register(name, item)


@pytest.mark.django_db
def test_without_comments_there_is_no_commented_list_and_empty_slots(
    without_comments,
):
    """No contribution, no list and empty comment markers: never an error."""
    from newsroom.shares.popular import most

    f.article("Story", published_at=timezone.now() - timedelta(hours=1))
    assert most("commented") == []
    parts = slots.split(f"a{slots.CODE_TOKEN}b{slots.stamp(3)}c")
    assert slots.fill(parts, slots.Live(lambda: "t")) == "abc"
