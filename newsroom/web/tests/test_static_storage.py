"""The production static storage: hashed URLs, each worked out once a process."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from newsroom.web.storage import StaticStorage


@pytest.fixture
def storage(tmp_path):
    """A collected tree's manifest, as collectstatic writes it."""
    (tmp_path / "staticfiles.json").write_text(
        json.dumps(
            {"paths": {"site/a.css": "site/a.5e1f.css"}, "version": "1.1", "hash": "x"}
        )
    )
    return StaticStorage(location=str(tmp_path), base_url="/static/")


def test_a_names_url_is_hashed_and_kept_for_the_process(storage):
    """The first answer comes from the manifest and is kept: a later change
    to what the storage holds in memory (the manifest is read once, at
    start) does not reach it. ``force`` asks the manifest again, and a name
    the manifest lacks raises every time (nothing kept for it)."""
    first = storage.url("site/a.css")
    assert first == "/static/site/a.5e1f.css"
    storage.hashed_files["site/a.css"] = "site/a.changed.css"
    assert storage.url("site/a.css") == first  # kept
    assert storage.url("site/a.css", force=True) == "/static/site/a.changed.css"
    with pytest.raises(ValueError):
        storage.url("site/missing.css")
    with pytest.raises(ValueError):
        storage.url("site/missing.css")
    assert "site/missing.css" not in storage._urls


@override_settings(DEBUG=True)
def test_with_debug_the_unhashed_name_is_served_and_nothing_kept(storage):
    assert storage.url("site/a.css") == "/static/site/a.css"
    assert storage._urls == {}
