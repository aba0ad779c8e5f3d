"""A record with no date is never stamped "now": it becomes a draft, or takes
the date the operator gives, and the summary says so."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


def _archive(tmp_path):
    path = tmp_path / "undated.jsonl"
    rows = [
        {"id": "u1", "title": "A story with no date at all", "body": "Words here."},
        {
            "id": "d1",
            "title": "A dated story",
            "body": "Other words.",
            "published": "2019-05-06T07:08:09Z",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_undated_records_are_drafts_and_leave_the_front_page_alone(tmp_path, client):
    f.article("Yesterday's real lead story")
    out, err = StringIO(), StringIO()
    call_command("import_articles", str(_archive(tmp_path)), stdout=out, stderr=err)
    undated = Article.objects.get(headline="A story with no date at all")
    assert undated.status == "draft" and undated.published_at is None
    assert Article.objects.get(headline="A dated story").is_public
    assert "1 undated" in out.getvalue()
    assert "undated" in err.getvalue() and "imported as a draft" in err.getvalue()
    assert "A story with no date" not in client.get("/").content.decode()


def test_the_operator_can_give_undated_records_a_date(tmp_path):
    out, err = StringIO(), StringIO()
    call_command(
        "import_articles",
        str(_archive(tmp_path)),
        "--undated",
        "2001-02-03",
        stdout=out,
        stderr=err,
    )
    undated = Article.objects.get(headline="A story with no date at all")
    assert undated.is_public
    assert undated.published_at.date().isoformat() == "2001-02-03"
    assert "dated 2001-02-03" in err.getvalue()


def test_a_wrong_undated_value_is_one_clear_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--undated"):
        call_command("import_articles", str(_archive(tmp_path)), "--undated", "soon")


@pytest.mark.parametrize("given", ["2026-99-99", "2026-02-30", "2026-01-01T25:00"])
def test_an_impossible_undated_date_is_refused_in_one_line(tmp_path, given):
    """``--undated`` shaped like a date but naming none (month 99, 30
    February, hour 25) is refused in one line before anything is imported;
    it ended in a ValueError traceback."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--undated"):
        call_command(
            "import_articles", str(_archive(tmp_path)), "--undated", given,
            stdout=StringIO(),
        )  # fmt: skip
    assert not Article.objects.exists()
