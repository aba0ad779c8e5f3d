"""Preview links in the admin: a reporter sees and revokes only the links to
their own stories, never the desk's links to someone else's draft."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from newsroom.articles.desk import PreviewLink, create_preview_link
from newsroom.articles.tests import factories as f

from .desk_helpers import account, logged_in

pytestmark = pytest.mark.django_db

LINKS = "/admin/articles/previewlink/"


def _link(article, user) -> PreviewLink:
    request = RequestFactory().get("/")
    request.user = user
    create_preview_link(request, article)
    return PreviewLink.objects.filter(article=article).latest("created_at")


def test_a_reporter_cannot_see_or_revoke_the_desks_links_to_others_stories():
    eddie = account("eddie", "editor")
    embargoed = f.article("Embargoed merger scoop", status="draft")
    theirs = _link(embargoed, eddie)
    rita_user = account("rita", "reporter")
    own = f.article("Rita's own draft", status="draft")
    own.created_by = rita_user
    own.save()
    mine = _link(own, rita_user)
    rita = logged_in(rita_user)

    listing = rita.get(LINKS).content.decode()
    assert "Embargoed merger scoop" not in listing
    assert "Rita&#x27;s own draft" in listing
    assert rita.get(f"{LINKS}{theirs.pk}/change/").status_code in (302, 404)

    rita.post(
        LINKS,
        {"action": "revoke", "_selected_action": [theirs.pk, mine.pk], "index": 0},
    )
    theirs.refresh_from_db()
    assert not theirs.revoked
    mine.refresh_from_db()
    assert mine.revoked  # their own link, they may withdraw
