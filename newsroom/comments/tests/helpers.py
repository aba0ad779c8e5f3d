"""Small helpers the comment tests share: read a form, fill it, post it."""

from __future__ import annotations

import re

from newsroom.comments.confirmation import answer_for


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} field in the page"
    return match.group(1).replace("&amp;", "&")


def client_network_of(client, **extra) -> str:
    """The network the site sees for this test client (its defaults + extra),
    by the site's own rule (newsroom.net, trusted proxies included)."""
    from django.test import RequestFactory

    from newsroom.net import client_network

    meta = {**client.defaults, **extra}
    return client_network(RequestFactory().get("/", **meta))


def form_data(client, article, **fields) -> dict:
    """What a reader's browser would send: the page's hidden fields + the code."""
    html = client.get(article.get_absolute_url()).content.decode()
    token = hidden(html, "token")
    data = {
        "name": "Ada Reader",
        "email": "",
        "body": "A thoughtful comment about the story.",
        "parent": "",
        "stamp": hidden(html, "stamp"),
        "token": token,
        "code": answer_for(token, article.pk, client_network_of(client)).lower(),
        "homepage": "",
    }
    data.update({k: v for k, v in fields.items()})
    return data


def post(client, article, **fields):
    data = form_data(client, article, **fields)
    return client.post(f"/comments/post/{article.pk}/", data)
