"""Two imports at once, naming the same new section, tag and author."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, transaction

from newsroom.articles.models import Article, Author, Section, Tag
from newsroom.articles.tests.desk_helpers import blocked_on_a_lock, on_a_thread

from .conftest import import_articles

pytestmark = pytest.mark.django_db(transaction=True)


def _story(n: int, source: str) -> dict:
    return {
        "id": f"{source}-{n}",
        "title": f"Ferry story {n} from {source}",
        "body": f"Paragraph of story {n}.\n\nAnother.",
        "published": "2024-05-01T10:00:00Z",
        "category": "Harbour news",
        "tags": ["Night ferries"],
        "author": "Kit Lowe",
        "source": source,
    }


def _while_a_batch_is_open(first, second) -> dict:
    """Import ``second`` while an import of ``first`` holds its batch open
    (not committed), until the second waits on its locks; then let the first
    commit. Returns the second's outcome (``run``)."""
    opened, release = threading.Event(), threading.Event()

    def first_batch_still_open():
        with transaction.atomic():  # the first import's batch, not committed
            run = import_articles(first)
            opened.set()
            release.wait(timeout=60)
        return run

    holder, held = on_a_thread(first_batch_still_open)
    assert opened.wait(timeout=60)
    importer, other = on_a_thread(lambda: import_articles(second))
    assert blocked_on_a_lock()
    release.set()
    holder.join(timeout=60)
    importer.join(timeout=60)
    assert "error" not in held and "error" not in other, other.get("error")
    return other


def test_two_imports_making_the_same_names_at_once_both_write(tmp_path):
    """Two feeds imported at once each bring a story in a new section, with
    a new tag and a new author of the same names. The second waits for the
    first's batch to commit, then uses the rows it made: both stories are
    written, under one section, one tag and one author. The second import
    ended in a traceback (IntegrityError on the slug), its story not
    written; in a batch of several, every record was written again one by
    one."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two imports")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps(_story(1, "Feed A")) + "\n")
    second.write_text(json.dumps(_story(2, "Feed B")) + "\n")
    other = _while_a_batch_is_open(first, second)
    assert other["run"].bad_lines == []
    assert Article.objects.count() == 2
    assert list(Section.objects.values_list("name", flat=True)) == ["Harbour news"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["Night ferries"]
    assert list(Author.objects.values_list("name", flat=True)) == ["Kit Lowe"]
    for story in Article.objects.all():
        assert story.section.name == "Harbour news"
        assert [t.name for t in story.tags.all()] == ["Night ferries"]
        assert [a.name for a in story.authors.all()] == ["Kit Lowe"]


def test_the_same_feed_imported_twice_at_once_is_one_story(tmp_path):
    """A scheduled import starts while the last run is still writing the
    same new story. The second waits for the first's batch, then finds the
    story it wrote: one story, and the second run says it was unchanged.
    The second run ended in a traceback (IntegrityError on the story's
    source id) when its batch held one record."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two imports")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(0, "Feed A")) + "\n")
    import_articles(feed)  # yesterday's run
    feed.write_text(json.dumps(_story(1, "Feed A")) + "\n")
    other = _while_a_batch_is_open(feed, feed)
    assert other["run"].bad_lines == []
    assert "0 created, 0 updated, 1 unchanged" in other["run"].out
    assert Article.objects.count() == 2


def test_an_import_and_an_editor_adding_the_same_tag_at_once_never_500(
    tmp_path, monkeypatch
):
    """An editor adds the tag "Night ferries" in the admin while an import
    brings a story tagged "Night ferries". The editor's form had checked the
    name was free (holding the names' lock, f46a189) when the import, which
    did not take that lock, made the tag and committed: the editor's INSERT
    was refused, a 500 with the form lost. Now the import waits for the
    editor's save, then files its story under the editor's tag."""
    from newsroom.articles.admin import TagAdmin
    from newsroom.articles.tests.desk_helpers import (
        account,
        during,
        form_data,
        logged_in,
    )

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(1, "wire")) + "\n")
    editor = logged_in(account("eddie", "editor"))
    add = "/admin/articles/tag/add/"
    data = form_data(
        editor.get(add).content.decode(), name="Night ferries", slug="night-ferries"
    )
    importer, outcome = during(
        monkeypatch, TagAdmin, "save_model", lambda: import_articles(feed)
    )
    response = editor.post(add, data)
    importer.join(timeout=60)
    assert response.status_code == 302
    assert not isinstance(outcome["delete"], Exception), outcome["delete"]
    tag = Tag.objects.get()
    assert (tag.name, tag.slug) == ("Night ferries", "night-ferries")
    story = Article.objects.get()
    assert list(story.tags.all()) == [tag]
