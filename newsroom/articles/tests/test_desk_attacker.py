"""The desk as a careless or hostile member of staff sees it: two stories
racing for one address, and two editors ordering the front page at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from newsroom.articles.admin import ArticleAdmin
from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

from .desk_helpers import (
    _FormReader,
    account,
    blocked_on_a_lock,
    form_data,
    hold_saves_of,
    logged_in,
    post_on_a_thread,
)

ADD = "/admin/articles/article/add/"


@pytest.mark.django_db(transaction=True)
def test_two_stories_racing_for_one_slug_get_one_address_and_a_form_error(
    monkeypatch,
):
    """Two editors save new stories with the same slug at the same moment.
    The second waits for the first and is told the address is taken, its
    text kept; it was a 500 (the unique slug refused at INSERT: the form had
    checked before the first committed)."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    section = f.section("World")
    first, second = (logged_in(account(n, "editor")) for n in ("eddie", "olga"))

    def story(client, headline: str) -> dict:
        return form_data(
            client.get(ADD).content.decode(),
            headline=headline,
            slug="the-same-address",
            body="Text.",
            section=str(section.pk),
        )

    saved, release = hold_saves_of(monkeypatch, ArticleAdmin, "eddie")
    holder, held = post_on_a_thread(first, ADD, story(first, "Eddie's story"))
    assert saved.wait(timeout=30)
    thread, answer = post_on_a_thread(second, ADD, story(second, "Olga's story"))
    waited = blocked_on_a_lock(timeout=3)
    release.set()
    holder.join(timeout=30)
    thread.join(timeout=30)
    assert held["response"].status_code == 302
    assert "response" in answer, "the second save raised (a 500)"
    assert answer["response"].status_code == 200
    page = answer["response"].content.decode()
    assert "Article with this Slug already exists" in page
    assert "Olga&#x27;s story" in page or "Olga's story" in page
    assert waited
    assert list(Article.objects.values_list("headline", flat=True)) == ["Eddie's story"]


class _ListReader(_FormReader):
    """The changelist's form (list_editable), as a browser submits it."""

    def handle_starttag(self, tag, attrs):
        if tag == "form" and dict(attrs).get("id") == "changelist-form":
            attrs = [("id", "changelist_form")]
        super().handle_starttag(tag, attrs)


def list_data(html: str, **changes) -> dict:
    reader = _ListReader()
    reader.feed(html)
    data: dict = {k: (v if len(v) != 1 else v[0]) for k, v in reader.data.items()}
    data.pop("action", None)  # the action bar: a Save, not an action
    data.update(changes, _save="Save")
    return data


@pytest.mark.django_db(transaction=True)
def test_an_order_saved_from_a_stale_front_page_list_never_undoes_anothers():
    """Two editors have the pins' list open. One swaps the lead and the
    second story; the other, from the list as she opened it, then changes
    the second story's expiry. The first editor's order stays, and the
    second is told the pin changed meanwhile, nothing of hers saved: her
    Save wrote the whole list back as she had loaded it, the swap undone.
    Requests commit as a server's do (no transaction around the test): the
    row check inside the list's own transaction, not a 500 on PostgreSQL."""
    from newsroom.articles.desk import Pin

    soon = timezone.now() + timedelta(days=1)  # with microseconds
    lead = Pin.objects.create(article=f.article("Lead A"), position=0, expires_at=soon)
    second = Pin.objects.create(article=f.article("Second B"), position=1)
    one, two = (logged_in(account(n, "editor")) for n in ("one", "two"))
    url = "/admin/articles/pin/"
    stale = one.get(url).content.decode()
    page = two.get(url).content.decode()
    rows = {list_data(page)[f"form-{i}-id"]: i for i in (0, 1)}
    swap = {
        f"form-{rows[str(lead.pk)]}-position": "1",
        f"form-{rows[str(second.pk)]}-position": "0",
    }
    assert two.post(url, list_data(page, **swap)).status_code == 302
    mine = rows[str(second.pk)]
    refused = one.post(
        url,
        list_data(
            stale,
            **{f"form-{mine}-expires_at_0": "2099-01-01"},
            **{f"form-{mine}-expires_at_1": "12:00:00"},
        ),
    )
    lead.refresh_from_db()
    second.refresh_from_db()
    assert (lead.position, second.position) == (1, 0)
    assert second.expires_at is None
    assert refused.status_code == 200
    assert "changed this pin after you opened the list" in refused.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "opened",
    [None, "", "abc", "-1", "9" * 400, "\u0661", "1\x00"],
    ids=["missing", "empty", "word", "negative", "huge", "arabic-digit", "nul"],
)
def test_a_pins_list_posted_with_forged_opening_values_saves_nothing(opened):
    """A Save of the pins' list whose copy of a row's opening position is
    missing, empty, a word, out of range, huge, a non-ASCII digit or holds a
    NUL (a crafted POST, not the page's) is refused for that row with the
    list's message: no 500, and the row keeps its position."""
    from newsroom.articles.desk import Pin

    pin = Pin.objects.create(article=f.article("Lead A"), position=0)
    editor = logged_in(account("one", "editor"))
    url = "/admin/articles/pin/"
    data = list_data(editor.get(url).content.decode(), **{"form-0-position": "3"})
    if opened is None:
        data.pop("initial-form-0-position")
    else:
        data["initial-form-0-position"] = opened
    answer = editor.post(url, data)
    assert answer.status_code == 200
    assert "changed this pin after you opened the list" in answer.content.decode()
    pin.refresh_from_db()
    assert pin.position == 0
