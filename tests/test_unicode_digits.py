"""Digits that are not ASCII ("¹", "²", "٣") in ids and numeric parameters:
``str.isdigit()`` says yes to "¹" and ``int()`` then raised, a 500. Every
place that reads a number from a URL answers as for any other non-number."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.numbers import is_int

pytestmark = pytest.mark.django_db

ODD = ["¹", "²³", "٣", "1²", "①"]


@pytest.mark.parametrize("value", ODD + ["", " 1", "-1", "1.0", None, 1])
def test_is_int_takes_only_ascii_digits(value):
    assert not is_int(value)


def test_is_int_takes_ascii_digits():
    assert is_int("0") and is_int("2026") and is_int("042")


@pytest.mark.parametrize("odd", ODD)
def test_pages_answer_without_a_server_error(client, odd):
    art = f.article("Harbour cranes idle")
    answers = {
        "search year": client.get("/search/", {"q": "harbour", "year": odd}),
        "search month": client.get(
            "/search/", {"q": "harbour", "year": "2024", "month": odd}
        ),
        "listing cursor": client.get("/", {"before": f"2024-01-01T00:00:00~{odd}"}),
        "section cursor": client.get(
            f"/section/{art.section.slug}/", {"before": f"2024-01-01T00:00:00~{odd}"}
        ),
        "reply to": client.get(f"/article/{art.slug}/", {"reply": odd}),
        "share": client.get(f"/share/facebook/{odd}/"),
    }
    status = {name: r.status_code for name, r in answers.items()}
    assert all(code < 500 for code in status.values()), status
    assert status["search year"] == status["listing cursor"] == 200
    assert status["reply to"] == 200


def test_a_number_longer_than_int_reads_is_not_a_server_error(client):
    """A run of 5,000 ASCII digits (past the 4,300 ``int()`` reads) as the
    article of a code, its image, a reply or a share answers as any other
    unknown id does: the article page shows, the rest are 404, never 500."""
    art = f.article("Harbour cranes idle")
    huge = "9" * 5000
    token = client.get("/comments/code/new", {"article": art.pk}).json()["token"]
    answers = {
        "new code": client.get("/comments/code/new", {"article": huge}),
        "code image": client.get(f"/comments/code/{token}.png", {"article": huge}),
        "reply to": client.get(f"/article/{art.slug}/", {"reply": huge}),
        "share": client.get(f"/share/facebook/{huge}/"),
        "share post": client.post(f"/share/facebook/{huge}/"),
        "copy link": client.post(f"/share/copy/{huge}/"),
    }
    status = {name: r.status_code for name, r in answers.items()}
    assert status == {
        "new code": 404,
        "code image": 404,
        "reply to": 200,
        "share": 404,
        "share post": 404,
        "copy link": 404,
    }, status
    assert not is_int(huge) and is_int("9" * 4300)
