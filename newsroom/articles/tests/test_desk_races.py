"""A story's save and the deletion of what it names, at the same moment.

The desk's form checks that the author, tag or section it names exists, and
the save commits a moment later; a deletion committed in between left the
story pointing at nothing, and PostgreSQL refused that at COMMIT (a 500, the
editor's text lost). Each test starts the deletion on its own connection
once the form has been checked, and lets it commit unless it waits for the
save.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connections, transaction

from newsroom.articles.admin import ArticleAdmin
from newsroom.articles.models import Article, Author, Byline, Tag
from newsroom.articles.tests import factories as f

from .desk_helpers import (
    account,
    blocked_on_a_lock,
    during,
    form_data,
    hold_saves_of,
    logged_in,
    post_on_a_thread,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _postgres_only() -> None:
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")


class DeletedUncommitted:
    """``rows`` deleted in a transaction on its own thread, committed on
    ``commit()``: a deletion that locked its rows before the save's check."""

    def __init__(self, rows) -> None:
        self.rows = rows
        self.opened, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        assert self.opened.wait(timeout=30)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.rows.delete()
                self.opened.set()
                self.release.wait(timeout=60)
        finally:
            connections.close_all()

    def commit(self) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def _delete_during_save(
    monkeypatch, client, url: str
) -> tuple[threading.Thread, dict[str, int]]:
    """Post ``url``'s deletion from another connection when the story's
    save begins; it commits at once unless it waits for the save."""
    return during(
        monkeypatch,
        ArticleAdmin,
        "save_model",
        lambda: client.post(url, {"post": "yes"}).status_code,
    )


def test_an_author_deleted_while_a_story_names_them_is_never_a_500(monkeypatch):
    """An editor adds an author to a story's byline while an administrator
    deletes that author. The deletion waits for the save, then takes the
    byline with the author, as deleting an author does; both answer as
    usual, and no byline is left naming an author who is gone (it was a 500
    at COMMIT, the editor's text lost)."""
    _postgres_only()
    story = f.article("A story about to get a second author")
    leaving = f.author("Pat Leaving")
    editor = logged_in(account("eddie", "editor"))
    admin_user = logged_in(account("ada", "administrator"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(
        editor.get(change).content.decode(),
        body="A new paragraph the editor wrote.",
        **{"byline_set-1-author": str(leaving.pk), "byline_set-1-position": "1"},
    )
    deleter, codes = _delete_during_save(
        monkeypatch, admin_user, f"/admin/articles/author/{leaving.pk}/delete/"
    )
    response = editor.post(change, data)
    deleter.join(timeout=30)
    assert response.status_code == 302
    assert codes == {"delete": 302}
    assert not Author.objects.filter(pk=leaving.pk).exists()
    assert not Byline.objects.filter(author_id=leaving.pk).exists()
    assert Article.objects.get(pk=story.pk).body == "A new paragraph the editor wrote."


def test_an_author_deleted_before_the_save_holds_them_is_the_forms_error():
    """The other order: the deletion has the author when the editor's save
    comes to them. The save waits for it, then says the author is gone,
    keeps the editor's text in the form and saves nothing (it was a 500 at
    COMMIT)."""
    _postgres_only()
    story = f.article("A story losing an author")
    leaving = f.author("Pat Leaving")
    editor = logged_in(account("eddie", "editor"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(
        editor.get(change).content.decode(),
        body="A paragraph nobody may lose.",
        **{"byline_set-1-author": str(leaving.pk), "byline_set-1-position": "1"},
    )
    deletion = DeletedUncommitted(Author.objects.filter(pk=leaving.pk))
    thread, answer = post_on_a_thread(editor, change, data)
    assert blocked_on_a_lock()
    deletion.commit()
    thread.join(timeout=30)
    page = answer["response"].content.decode()
    assert answer["response"].status_code == 200
    assert "This author was deleted meanwhile" in page
    assert "A paragraph nobody may lose." in page
    assert not Byline.objects.filter(author_id=leaving.pk).exists()
    assert Article.objects.get(pk=story.pk).body != "A paragraph nobody may lose."


def test_a_tag_deleted_while_a_story_takes_it_is_never_a_500(monkeypatch):
    """An editor tags a story while an administrator deletes that tag with
    'Delete selected'. The deletion waits for the save, then takes the new
    tag off the story with the tag; both answer as usual (it was a 500 at
    COMMIT, the editor's text lost)."""
    _postgres_only()
    story = f.article("A story about to be tagged", tags=("Harbour",))
    going = f.tag("Ferries")
    editor = logged_in(account("eddie", "editor"))
    admin_user = logged_in(account("ada", "administrator"))
    change = f"/admin/articles/article/{story.pk}/change/"
    page = editor.get(change).content.decode()
    kept = form_data(page)["tags"]
    data = form_data(page, body="Tagged text.", tags=[kept, str(going.pk)])
    deleter, codes = during(
        monkeypatch,
        ArticleAdmin,
        "save_model",
        lambda: (
            admin_user.post(
                "/admin/articles/tag/",
                {
                    "action": "delete_selected",
                    "_selected_action": [going.pk],
                    "post": "yes",
                },
            ).status_code
        ),
    )
    response = editor.post(change, data)
    deleter.join(timeout=30)
    assert response.status_code == 302
    assert codes == {"delete": 302}
    assert not Tag.objects.filter(pk=going.pk).exists()
    story = Article.objects.get(pk=story.pk)
    assert story.body == "Tagged text."
    assert [t.name for t in story.tags.all()] == ["Harbour"]


def test_a_section_deleted_while_a_story_moves_into_it_keeps_the_story(monkeypatch):
    """An editor moves a story into a section while an administrator deletes
    that section. The deletion waits for the save, then finds the story in
    the section and refuses, naming it, as for any section with stories;
    the story is saved in it (the save was a 500 at COMMIT, the text lost)."""
    _postgres_only()
    story = f.article("A story moving sections")
    target = f.section("Ferries")
    editor = logged_in(account("eddie", "editor"))
    admin_user = logged_in(account("ada", "administrator"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(
        editor.get(change).content.decode(),
        body="Moved text.",
        section=str(target.pk),
    )
    deleter, codes = _delete_during_save(
        monkeypatch, admin_user, f"/admin/articles/section/{target.pk}/delete/"
    )
    response = editor.post(change, data)
    deleter.join(timeout=30)
    assert response.status_code == 302
    assert codes == {"delete": 200}  # the page naming what protects it
    story = Article.objects.get(pk=story.pk)
    assert (story.section_id, story.body) == (target.pk, "Moved text.")


def test_a_tag_deleted_before_the_save_holds_it_is_the_forms_error():
    """The deletion has the tag when the editor's save comes to it: the save
    waits, then says the tag is gone and keeps the editor's text."""
    _postgres_only()
    story = f.article("A story losing a tag")
    going = f.tag("Ferries")
    editor = logged_in(account("eddie", "editor"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(
        editor.get(change).content.decode(),
        body="A tagged paragraph nobody may lose.",
        tags=[str(going.pk)],
    )
    deletion = DeletedUncommitted(Tag.objects.filter(pk=going.pk))
    thread, answer = post_on_a_thread(editor, change, data)
    assert blocked_on_a_lock()
    deletion.commit()
    thread.join(timeout=30)
    page = answer["response"].content.decode()
    assert answer["response"].status_code == 200
    assert "were deleted meanwhile: Ferries" in page
    assert "A tagged paragraph nobody may lose." in page
    assert not Article.objects.get(pk=story.pk).tags.exists()


@pytest.mark.parametrize("action", ["move_to_section", "add_tag"])
def test_a_section_or_tag_deleted_after_the_action_bar_was_read(monkeypatch, action):
    """'Move to section' and 'Add tag' read the section or tag from the
    action bar, then change the stories; a deletion committed in between
    made the action a 500 (the foreign key broken at COMMIT, on SQLite as
    on PostgreSQL). Now it is the action bar's message and no story moves."""
    from newsroom.articles import admin_desk
    from newsroom.articles.models import Section

    story = f.article("A story staying where it is")
    chosen = f.section("Ferries") if action == "move_to_section" else f.tag("Ferries")
    editor = logged_in(account("eddie", "editor"))
    real_chosen = admin_desk._chosen

    def deleted_meanwhile(request, name):
        found = real_chosen(request, name)
        type(chosen).objects.filter(pk=chosen.pk).delete()  # another request's
        return found

    monkeypatch.setattr(admin_desk, "_chosen", deleted_meanwhile)
    field = "section" if action == "move_to_section" else "tag"
    response = editor.post(
        "/admin/articles/article/",
        {"action": action, "_selected_action": [story.pk], field: chosen.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "was deleted meanwhile" in response.content.decode()
    story = Article.objects.get(pk=story.pk)
    assert Section.objects.filter(pk=story.section_id).exists()
    assert not story.tags.exists()


def test_a_story_deleted_as_an_editor_opens_it_is_the_admins_message(monkeypatch):
    """Another editor deletes the story between the admin finding it and
    noting who has it open: the page is the admin's "doesn't exist"
    message, as for any story deleted before, not a 500 (the note's foreign
    key broke, on SQLite as on PostgreSQL)."""
    from newsroom.articles import admin as article_admin

    story = f.article("A story about to go")
    editor = logged_in(account("eddie", "editor"))
    real_others = article_admin.others_editing

    def deleted_meanwhile(article_id, user):
        Article.objects.filter(pk=article_id).delete()  # another editor's
        return real_others(article_id, user)

    monkeypatch.setattr(article_admin, "others_editing", deleted_meanwhile)
    response = editor.get(f"/admin/articles/article/{story.pk}/change/", follow=True)
    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()


def test_a_preview_link_for_a_story_deleted_meanwhile_is_a_404(monkeypatch):
    """Another editor deletes the story between the admin finding it and
    storing its new preview link: the answer is 404 and no link is stored
    (a 500, the link's foreign key broken, on SQLite as on PostgreSQL)."""
    from newsroom.articles.desk import PreviewLink

    story = f.article("A draft about to go", status="draft")
    editor = logged_in(account("eddie", "editor"))
    real_view = ArticleAdmin.has_view_permission

    def deleted_meanwhile(self, request, obj=None):
        if obj is not None:
            Article.objects.filter(pk=obj.pk).delete()  # another editor's
        return real_view(self, request, obj)

    monkeypatch.setattr(ArticleAdmin, "has_view_permission", deleted_meanwhile)
    response = editor.post(f"/admin/articles/article/{story.pk}/share-preview/")
    assert response.status_code == 404
    assert not PreviewLink.objects.exists()


def test_a_story_deleted_while_an_editor_saves_it_stays_deleted():
    """Another editor deletes the story as this one saves it: the save waits
    for the deletion, then says the story is gone, keeps the text in the
    form and stores nothing. Django's save found no row to update and
    inserted the story again under its old id, without its comments and
    counts: a deleted story came back live."""
    _postgres_only()
    story = f.article("A story another editor deletes", authors=())
    editor = logged_in(account("eddie", "editor"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(editor.get(change).content.decode(), body="Late words.")
    deletion = DeletedUncommitted(Article.objects.filter(pk=story.pk))
    thread, answer = post_on_a_thread(editor, change, data)
    assert blocked_on_a_lock()
    deletion.commit()
    thread.join(timeout=30)
    page = answer["response"].content.decode()
    assert answer["response"].status_code == 200
    assert "This story was deleted" in page
    assert "Late words." in page
    assert not Article.objects.filter(pk=story.pk).exists()


def test_an_account_deleted_while_its_editor_saves_is_never_a_500(monkeypatch):
    """An administrator deletes an editor's account as the editor saves a
    story. The deletion waits for the save, which is stored as usual, then
    takes the account with what the save recorded; both answer as usual.
    (The save's revision and log entry named an account deleted meanwhile:
    an IntegrityError at COMMIT, a 500, the editor's text lost.)"""
    _postgres_only()
    story = f.article("A story saved as its editor leaves", authors=())
    leaving = account("eddie", "editor")
    editor = logged_in(leaving)
    admin_user = logged_in(account("ada", "administrator"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(editor.get(change).content.decode(), body="Saved on the way out.")
    deleter, codes = during(
        monkeypatch,
        ArticleAdmin,
        "save_model",
        lambda: (
            admin_user.post(
                f"/admin/auth/user/{leaving.pk}/delete/", {"post": "yes"}
            ).status_code
        ),
    )
    response = editor.post(change, data)
    deleter.join(timeout=30)
    assert response.status_code == 302
    assert codes == {"delete": 302}
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert Article.objects.get(pk=story.pk).body == "Saved on the way out."


def test_an_account_deleted_before_its_save_holds_it_is_the_forms_error():
    """The other order: the account's deletion has it when the editor's
    save comes to it. The save waits, then says the account is gone, keeps
    the text in the form and saves nothing (it was a 500 at COMMIT)."""
    _postgres_only()
    story = f.article("A story whose editor is removed", authors=())
    leaving = account("eddie", "editor")
    editor = logged_in(leaving)
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(editor.get(change).content.decode(), body="Words to keep.")
    deletion = DeletedUncommitted(User.objects.filter(pk=leaving.pk))
    thread, answer = post_on_a_thread(editor, change, data)
    assert blocked_on_a_lock()
    deletion.commit()
    thread.join(timeout=30)
    page = answer["response"].content.decode()
    assert answer["response"].status_code == 200
    assert "Your account was removed while you edited" in page
    assert "Words to keep." in page
    assert Article.objects.get(pk=story.pk).body != "Words to keep."


def test_a_story_deleted_while_an_editor_pins_it_takes_the_pin_with_it(monkeypatch):
    """An editor pins a story to the front page while another deletes the
    story. The deletion waits for the pin, then takes it with the story;
    both answer as usual, and no pin is left naming a story that is gone
    (the pin's save was a 500 at COMMIT)."""
    from newsroom.articles.admin_desk import PinAdmin
    from newsroom.articles.desk import Pin

    _postgres_only()
    story = f.article("A story about to lead")
    editor = logged_in(account("eddie", "editor"))
    other = logged_in(account("olga", "editor"))
    add = "/admin/articles/pin/add/"
    data = form_data(editor.get(add).content.decode(), article=str(story.pk))
    url = f"/admin/articles/article/{story.pk}/delete/"
    deleter, codes = during(
        monkeypatch,
        PinAdmin,
        "save_model",
        lambda: other.post(url, {"post": "yes"}).status_code,
    )
    response = editor.post(add, data)
    deleter.join(timeout=30)
    assert response.status_code == 302
    assert codes == {"delete": 302}
    assert not Article.objects.filter(pk=story.pk).exists()
    assert not Pin.objects.exists()


def test_two_editors_adding_the_same_tag_at_once_get_one_tag_and_a_message(
    monkeypatch,
):
    """Two editors add the tag "Ferries" at the same moment (the admin, or
    its pop-up from a story's tag box). The second waits for the first and
    is told the name exists, with its form kept; it was a 500 (the unique
    name refused at INSERT: the form had checked before the first
    committed)."""
    from newsroom.articles.admin import TagAdmin

    _postgres_only()
    first, second = (logged_in(account(n, "editor")) for n in ("eddie", "olga"))
    add = "/admin/articles/tag/add/"
    data = form_data(first.get(add).content.decode(), name="Ferries", slug="ferries")
    saved, release = hold_saves_of(monkeypatch, TagAdmin, "eddie")
    holder, held = post_on_a_thread(first, add, data)
    assert saved.wait(timeout=30)
    thread, answer = post_on_a_thread(second, add, data)
    assert blocked_on_a_lock()
    release.set()
    holder.join(timeout=30)
    thread.join(timeout=30)
    assert held["response"].status_code == 302
    assert answer["response"].status_code == 200
    assert "already exists" in answer["response"].content.decode()
    assert list(Tag.objects.values_list("name", flat=True)) == ["Ferries"]


def test_a_reporters_save_racing_an_editors_publish_never_unpublishes_it(
    monkeypatch,
):
    """A reporter saves her draft (a crafted form, without the version it was
    opened on) while an editor publishes it: her save checked her role on
    the story as it was before the editor's commit (a draft, hers), then
    waited for the row and wrote it back over the published story, as a
    draft with her text. Now the role is checked again on the row once
    locked: her save is refused with a 403 and her text, and the story
    stays published as the editor left it."""
    _postgres_only()
    rita = account("rita", "reporter")
    story = f.article("Rita's draft", status="draft", authors=(), created_by=rita)
    reporter = logged_in(rita)
    editor = logged_in(account("eddie", "editor"))
    change = f"/admin/articles/article/{story.pk}/change/"
    mine = form_data(
        reporter.get(change).content.decode(),
        body="Rita's late paragraph.",
        based_on=None,  # crafted: no version to compare
    )
    published = form_data(
        editor.get(change).content.decode(),
        body="The desk's edit.",
        status="published",
    )
    saved, release = hold_saves_of(monkeypatch, ArticleAdmin, "eddie")
    publishing, published_answer = post_on_a_thread(editor, change, published)
    assert saved.wait(timeout=30)  # the editor's save made, not committed
    saving, answer = post_on_a_thread(reporter, change, mine)
    assert blocked_on_a_lock()  # the reporter's save waits for the row
    release.set()
    publishing.join(timeout=30)
    saving.join(timeout=30)
    assert published_answer["response"].status_code == 302
    response = answer["response"]
    assert response.status_code == 403, response.status_code
    assert "Rita&#x27;s late paragraph." in response.content.decode()
    story.refresh_from_db()
    assert (story.status, story.body) == ("published", "The desk's edit.")
