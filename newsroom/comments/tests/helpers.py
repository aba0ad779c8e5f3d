"""Small helpers the comment tests share: read a form, fill it, post it."""

from __future__ import annotations

import re

from newsroom.comments.confirmation import answer_for


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} field in the page"
    return match.group(1).replace("&amp;", "&")


def _network(client) -> str:
    """The network the test client posts from (REMOTE_ADDR, 127.0.0.1 by default)."""
    from newsroom.net import anonymise

    return anonymise(client.defaults.get("REMOTE_ADDR", "127.0.0.1"))


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
        "code": answer_for(token, article.pk, _network(client)).lower(),
        "homepage": "",
    }
    data.update({k: v for k, v in fields.items()})
    return data


def post(client, article, **fields):
    data = form_data(client, article, **fields)
    return client.post(f"/comments/post/{article.pk}/", data)
