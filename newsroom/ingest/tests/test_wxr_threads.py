"""A WordPress export's replies keep their parents, whatever the ids.

An export's comment ids are strings: WordPress numbers them, but a merged
or hand-edited export (or another tool's WXR) may give text ids, or number a
reply before what it replies to. The importer writes each comment with its
parent's new id, so it must write the parent first."""

from __future__ import annotations

import pytest

from newsroom.comments.models import Comment

from .conftest import import_articles

pytestmark = pytest.mark.django_db

WXR = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Threads</title><wp:base_site_url>https://threads.example</wp:base_site_url>
<item><title>Ferry timetable changes</title>
<content:encoded><![CDATA[The winter timetable starts on Monday.]]></content:encoded>
<wp:post_id>1</wp:post_id><wp:post_date_gmt>2024-11-07 10:00:00</wp:post_date_gmt>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
{comments}
</item></channel></rss>"""

COMMENT = """<wp:comment><wp:comment_id>{cid}</wp:comment_id>
<wp:comment_author>{name}</wp:comment_author>
<wp:comment_date_gmt>2024-11-07 {hour:02d}:00:00</wp:comment_date_gmt>
<wp:comment_content>Words of {name}.</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"""


def _export(tmp_path, comments: list[tuple[str, str, str]]):
    """An export of one post with these ``(id, author, parent id)`` comments,
    in this order."""
    source = tmp_path / "threads.wxr"
    source.write_text(
        WXR.format(
            comments="\n".join(
                COMMENT.format(cid=cid, name=name, parent=parent, hour=11 + n % 12)
                for n, (cid, name, parent) in enumerate(comments)
            )
        ),
        encoding="utf-8",
    )
    return source


def _parents() -> dict[str, str | None]:
    return {
        c.name: (c.parent.name if c.parent else None)
        for c in Comment.objects.select_related("parent")
    }


def test_replies_keep_their_parents_whatever_their_ids(tmp_path):
    """Text ids, numbers read as text ("10" after "9"), a reply numbered
    before its parent: every reply is written under its parent, and a
    second run adds nothing. The old code sorted text ids before numbers
    and numbers by value, so a text id's reply to a number, a reply
    numbered before its parent, and "x-a" replying to "x-b" came before
    their parents and were written as new threads."""
    source = _export(
        tmp_path,
        [
            ("9", "Nine", "0"),
            ("10", "Ten", "9"),
            ("c-late", "Text reply", "9"),
            ("20", "Reply to text", "c-late"),
            ("30", "Thirty", "0"),
            ("5", "Numbered before its parent", "30"),
            ("x-b", "Text parent", "9"),
            ("x-a", "Text reply before its parent", "x-b"),
        ],
    )
    run = import_articles(source)
    assert "8 comments" in run.out
    assert _parents() == {
        "Nine": None,
        "Ten": "Nine",
        "Text reply": "Nine",
        "Reply to text": "Text reply",
        "Thirty": None,
        "Numbered before its parent": "Thirty",
        "Text parent": "Nine",
        "Text reply before its parent": "Text parent",
    }
    again = import_articles(source)
    assert "0 comments" in again.out
    assert Comment.objects.count() == 8


def test_an_export_whose_replies_go_round_in_a_circle_is_imported_whole(tmp_path):
    """A hand-made export where two comments reply to each other, or one to
    itself, is imported whole (no comment lost, no endless walk): the
    circle is broken at one comment, which starts a thread."""
    source = _export(
        tmp_path,
        [
            ("7", "Seven", "8"),
            ("8", "Eight", "7"),
            ("6", "Itself", "6"),
            ("11", "Under seven", "7"),
        ],
    )
    assert "4 comments" in import_articles(source).out
    parents = _parents()
    assert parents["Itself"] is None
    assert parents["Under seven"] == "Seven"
    assert sorted([parents["Seven"], parents["Eight"]], key=str) in (
        [None, "Seven"],
        ["Eight", None],
    )
    assert "0 comments" in import_articles(source).out
