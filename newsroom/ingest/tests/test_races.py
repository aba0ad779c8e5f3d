"""Two imports at once, naming the same new section, tag and author."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, transaction

from newsroom.articles.models import Article, Author, Section, Tag
from newsroom.articles.tests import desk_helpers as desk
from newsroom.articles.tests import factories as f

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


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")


def _while_a_batch_is_open(first, meanwhile) -> dict:
    """Run ``meanwhile()`` (a second import, an editor's save) while an
    import of ``first`` holds its batch open (not committed), until it waits
    on its locks; then let the first commit. Returns its outcome (``run``)."""
    opened, release = threading.Event(), threading.Event()

    def first_batch_still_open():
        with transaction.atomic():  # the first import's batch, not committed
            run = import_articles(first)
            opened.set()
            release.wait(timeout=60)
        return run

    holder, held = desk.on_a_thread(first_batch_still_open)
    assert opened.wait(timeout=60)
    importer, other = desk.on_a_thread(meanwhile)
    assert desk.blocked_on_a_lock()
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
    _postgres_only()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps(_story(1, "Feed A")) + "\n")
    second.write_text(json.dumps(_story(2, "Feed B")) + "\n")
    other = _while_a_batch_is_open(first, lambda: import_articles(second))
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
    _postgres_only()
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(0, "Feed A")) + "\n")
    import_articles(feed)  # yesterday's run
    feed.write_text(json.dumps(_story(1, "Feed A")) + "\n")
    other = _while_a_batch_is_open(feed, lambda: import_articles(feed))
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

    _postgres_only()
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(1, "wire")) + "\n")
    editor = desk.logged_in(desk.account("eddie", "editor"))
    add = "/admin/articles/tag/add/"
    data = desk.form_data(
        editor.get(add).content.decode(), name="Night ferries", slug="night-ferries"
    )
    importer, outcome = desk.during(
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


def _an_editors_story(editor, slug: str) -> dict:
    add = "/admin/articles/article/add/"
    return desk.form_data(
        editor.get(add).content.decode(),
        headline="The editor's ferry story",
        slug=slug,
        body="The editor's text.",
        section=str(f.section("World").pk),
    )


@pytest.mark.parametrize("taken", [0, 1], ids=["free", "first-taken"])
def test_an_import_waits_for_an_editors_story_with_its_slug(
    tmp_path, monkeypatch, taken
):
    """An editor saves a story at the address an imported story's headline
    makes (or, that one taken, at its "-2"), and an import brings that story
    before her save commits. The import waits for her save, then takes the
    next address. Before, its check did not see her uncommitted row nor
    take her lock: its INSERT failed and the pipeline wrote the batch again
    record by record (so this passed then too, at that cost)."""
    from newsroom.articles.admin import ArticleAdmin

    _postgres_only()
    base = "ferry-story-1-from-wire"
    slugs = [base, f"{base}-2", f"{base}-3"][: taken + 2]
    if taken:
        f.article("An older story", slug=base, source="archive")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(1, "wire")) + "\n")
    editor = desk.logged_in(desk.account("eddie", "editor"))
    data = _an_editors_story(editor, slugs[-2])
    saved, release = desk.hold_saves_of(monkeypatch, ArticleAdmin, "eddie")
    holder, held = desk.post_on_a_thread(editor, "/admin/articles/article/add/", data)
    assert saved.wait(timeout=30)
    importer, outcome = desk.on_a_thread(lambda: import_articles(feed))
    assert desk.blocked_on_a_lock()
    release.set()
    holder.join(timeout=60)
    importer.join(timeout=60)
    assert held["response"].status_code == 302
    assert "error" not in outcome, outcome["error"]
    made = dict(Article.objects.values_list("source", "slug"))
    assert (made[""], made["wire"]) == (slugs[-2], slugs[-1])


def test_an_editors_story_waits_for_an_import_with_its_slug(tmp_path):
    """The other order: the import's batch has the address, not committed,
    when the editor saves her story there. Her save waits for the batch,
    then says the address is taken, her text kept; it was a 500 (the
    import took no slug lock, so her check passed and her INSERT failed)."""
    _postgres_only()
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(1, "wire")) + "\n")
    editor = desk.logged_in(desk.account("eddie", "editor"))
    data = _an_editors_story(editor, "ferry-story-1-from-wire")
    add = "/admin/articles/article/add/"
    answer = _while_a_batch_is_open(feed, lambda: editor.post(add, data))["run"]
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Article with this Slug already exists" in page
    assert "The editor&#x27;s text." in page or "The editor's text." in page
    assert list(Article.objects.values_list("source", flat=True)) == ["wire"]


def _advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_transaction_holds_a_few_slug_locks_however_many_stories_it_writes(
    tmp_path,
):
    """PostgreSQL's lock table is one for the whole server (about
    ``max_locks_per_transaction`` x ``max_connections``: 6,400 here). A lock
    per story's slug, held to the commit, made an import batch of 1,000
    hold 1,000 and a script saving stories in one transaction one per
    story: a big enough one answered "out of shared memory" to every
    connection of the server (seen when a CI run's two test workers
    overlapped). Slugs are chosen under one lock a transaction."""
    _postgres_only()
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(_story(n, "Feed A")) + "\n" for n in range(300)))
    with transaction.atomic():
        import_articles(feed)
        assert Article.objects.count() == 300
        assert _advisory_locks_held() <= 4
    section = f.section("World")
    with transaction.atomic():
        for n in range(300):
            Article.objects.create(
                headline=f"Ferry story {n % 30} from Feed A",  # most taken
                body="Text.",
                section=section,
            )
        assert Article.objects.count() == 600
        assert _advisory_locks_held() <= 4


def test_an_editor_renaming_a_story_an_import_updates_waits_and_is_told(
    tmp_path, monkeypatch
):
    """An editor changes the address (slug) of a wire story at the moment
    the wire's next run updates that story and brings a new one. Both take
    the stories' slug lock and the story's row: whoever comes second waits
    for the first and goes on. The editor locked the row and then asked for
    the slug lock, the import took them the other way round (the lock to
    choose its new story's slug, then the row to update the old one), and
    PostgreSQL broke the deadlock by failing one of the two: the editor's
    Save (a 500) or the import's batch (written again record by record, the
    update then kept out). Now the editor's Save waits for the import, then
    is refused as based on an older version, her text kept."""
    from newsroom.ingest.writer import Writer

    _postgres_only()
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(_story(1, "wire")) + "\n")
    import_articles(feed)
    story = Article.objects.get()
    editor = desk.logged_in(desk.account("eddie", "editor"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = desk.form_data(editor.get(change).content.decode(), slug="ferry-night")
    updated = dict(_story(1, "wire"), body="The wire's corrected text.")
    feed.write_text(json.dumps(updated) + "\n" + json.dumps(_story(2, "wire")) + "\n")
    # The import stops once its new story is written (the slug lock held),
    # before it updates the old one, until the editor's Save waits.
    at_update, go = threading.Event(), threading.Event()
    real_update = Writer._update

    def update_when_told(self, updates, result):
        at_update.set()
        go.wait(timeout=60)
        return real_update(self, updates, result)

    monkeypatch.setattr(Writer, "_update", update_when_told)
    importer, outcome = desk.on_a_thread(lambda: import_articles(feed))
    assert at_update.wait(timeout=60)
    saver, saved = desk.post_on_a_thread(editor, change, data)
    assert desk.blocked_on_a_lock()
    go.set()
    importer.join(timeout=60)
    saver.join(timeout=60)
    assert "error" not in saved, saved["error"]
    assert "error" not in outcome, outcome["error"]
    assert "1 created, 1 updated" in outcome["run"].out, outcome["run"].err
    answer = saved["response"]
    assert answer.status_code == 200
    assert "Someone saved this story after you opened it" in answer.content.decode()
    story.refresh_from_db()
    assert (story.slug, story.body) == (
        "ferry-story-1-from-wire",
        "The wire's corrected text.",
    )
