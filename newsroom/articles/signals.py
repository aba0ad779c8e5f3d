"""Signals of the articles app, for writes that bypass the model signals.

Bulk writers (the importers, the generator) insert rows with plain SQL, so
``post_save`` never fires for them. They send ``articles_written`` instead,
inside their own transaction, with the ids they created or changed; an app
that keeps a copy of articles (the search outbox) connects to it in
``AppConfig.ready()``. The writer never needs to know who listens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.dispatch import Signal

articles_written = Signal()  # kwargs: article_ids, html


def announce_written(
    sender: object,
    article_ids: Sequence[int],
    html: Mapping[int, str] | None = None,
) -> None:
    """Tell the listeners these articles were created or changed in bulk.
    ``html``: the ``body_html`` written, by id, when the writer holds it (a
    listener that needs it reads it back otherwise)."""
    if article_ids:
        articles_written.send(sender=sender, article_ids=article_ids, html=html)
