"""Make every stored article page again with this release's renderer.

An article's HTML is made from its Markdown when it is saved and kept
(``body_html``). After a release that changes rendering (the CHANGELOG says
so: a sanitiser rule, bidi overrides dropped, a link's real host shown),
run this once: older pages get the change too. Only pages whose HTML
differs are written, each only while its Markdown is still the one it was
made from (an editor's save meanwhile wins); the search index and the
caches follow through ``articles_written``, as for any bulk write. Safe to
run on a live site and to stop and run again: it says on stderr, every
500 stories, the last one it finished, and ``--after ID`` goes on from there.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from newsroom.articles.models import Article
from newsroom.articles.rendering import render_markdown
from newsroom.articles.signals import announce_written

CHUNK = 500


def write_changed(rows: list[tuple[int, str, str]]) -> list[int]:
    """Store the HTML of ``rows`` (id, the Markdown it was made from, new
    HTML) where the Markdown has not changed since; returns the ids written."""
    written: dict[int, str] = {}
    with transaction.atomic():
        for pk, body, html in rows:
            if Article.objects.filter(pk=pk, body=body).update(body_html=html):
                written[pk] = html
        announce_written(Article, list(written), html=written)
    return list(written)


class Command(BaseCommand):
    help = (
        "Make every article's stored HTML again with this release's renderer "
        "and write the ones that changed (the search index follows). Run once "
        "after an upgrade whose CHANGELOG says rendering changed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count the pages that would change; write nothing",
        )
        parser.add_argument(
            "--after",
            type=int,
            default=0,
            metavar="ID",
            help="start past this article id (a run stopped half way says on "
            "stderr the last one it finished)",
        )

    def handle(self, *args, **options) -> None:
        dry = options["dry_run"]
        read = changed = 0
        last = max(0, options["after"])
        while True:
            chunk = list(
                Article.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "body", "body_html")[:CHUNK]
            )
            if not chunk:
                break
            last = chunk[-1][0]
            read += len(chunk)
            rows = []
            for pk, body, stored in chunk:
                try:
                    html = render_markdown(body)
                except Exception as exc:  # noqa: BLE001 - name the story it stopped at
                    raise CommandError(
                        f"article {pk}: cannot render it: {exc}"
                    ) from exc
                if html != stored:
                    rows.append((pk, body, html))
            if dry:
                changed += len(rows)
            elif rows:
                changed += len(write_changed(rows))
            # Written (or counted): a run stopped after this goes on with
            # --after from here.
            self.stderr.write(f"through article {last}: {read} read, {changed} changed")
        verb = "would be made again" if dry else "made again"
        self.stdout.write(f"{read} articles read, {changed} {verb}")
