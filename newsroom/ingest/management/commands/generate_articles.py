"""``generate_articles``: a reproducible synthetic archive, into the database or a file.

Into the database it writes in batches, one transaction each: articles with
``bulk_create`` (text rendered by the cheap exact renderer, unique slugs made
from the seed and index, so no per-row query), then bylines and tag rows in
bulk, then the search outbox rows for the batch, so the index follows.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from newsroom.articles.demo_loader import SECTIONS
from newsroom.articles.models import Article, Author, Section, Tag
from newsroom.articles.signals import announce_written
from newsroom.db.bulk import allocate_ids, insert_rows, sqlite_bulk_writes
from newsroom.ingest import synthetic
from newsroom.ingest.writer import insert_links


def ensure_sections() -> dict[str, int]:
    ids = {}
    for position, (name, description) in enumerate(SECTIONS):
        obj, _ = Section.objects.get_or_create(
            slug=slugify(name),
            defaults={"name": name, "description": description, "position": position},
        )
        ids[name] = obj.pk
    return ids


def ensure_named(model, names: list[str]) -> dict[str, int]:
    """Rows for these names (matched by slug), created in bulk when missing."""
    slugs = {name: slugify(name)[:100] for name in names}
    model.objects.bulk_create(
        [model(name=n, slug=s) for n, s in slugs.items()],
        ignore_conflicts=True,
        batch_size=500,
    )
    by_slug = dict(
        model.objects.filter(slug__in=set(slugs.values())).values_list("slug", "pk")
    )
    return {name: by_slug[slug] for name, slug in slugs.items()}


PER_ROW = (
    "id",
    "headline",
    "slug",
    "standfirst",
    "body",
    "body_html",
    "dateline",
    "published_at",
    "created_at",
    "updated_at",
    "section_id",
    "source_id",
)


def insert_batch(items, sections, authors, tags, outbox: bool) -> list[int]:
    """One transaction: the articles, their bylines and tags, their outbox rows.

    Plain ``executemany`` with values prepared once per column kind: the ORM's
    per-value preparation cost more than SQLite's own work for the same rows.
    """
    fields = Article._meta.concrete_fields
    constant = {
        f.attname: f.get_db_prep_save(
            Article.Status.PUBLISHED
            if f.name == "status"
            else synthetic.SOURCE
            if f.name == "source"
            else f.get_default(),
            connection,
        )
        for f in fields
        if f.attname not in PER_ROW
    }
    stamp = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        ids = allocate_ids(Article, len(items))
        rows = []
        for pk, a in zip(ids, items, strict=True):
            published = stamp(a.published_at)
            given = {
                "id": pk,
                "headline": a.headline,
                "slug": a.slug,
                "standfirst": a.standfirst,
                "body": a.body,
                "body_html": a.body_html,
                "dateline": a.dateline,
                "published_at": published,
                "created_at": published,
                "updated_at": stamp(a.updated_at),
                "section_id": sections[a.section],
                "source_id": a.source_id,
            }
            rows.append(
                [
                    given[f.attname] if f.attname in given else constant[f.attname]
                    for f in fields
                ]
            )
        bylines = [
            (pk, authors[name], n)
            for pk, a in zip(ids, items, strict=True)
            for n, name in enumerate(a.authors)
        ]
        # dict.fromkeys: two names sharing a slug (one row) link only once.
        links = [
            (pk, tag_id)
            for pk, a in zip(ids, items, strict=True)
            for tag_id in dict.fromkeys(tags[name] for name in a.tags)
        ]
        insert_rows(Article, [f.column for f in fields], rows)
        insert_links(bylines, links)
        if outbox:
            html = {pk: a.body_html for pk, a in zip(ids, items, strict=True)}
            announce_written(Command, ids, html=html)  # the search outbox
    return ids


class Command(BaseCommand):
    help = (
        "Generate a reproducible synthetic archive (same --seed, same articles) "
        "into the database, or into a JSON Lines file with --output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--output",
            type=Path,
            help="FILE.jsonl or FILE.jsonl.gz, or - for standard output",
        )
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            help="processes making text (default: one per core)",
        )
        parser.add_argument("--end", help="newest date, YYYY-MM-DD (default today)")
        parser.add_argument(
            "--no-outbox",
            action="store_true",
            help="skip search outbox rows (rebuild the index after)",
        )
        parser.add_argument(
            "--corpora", type=Path, help="shared data folder for word statistics"
        )
        parser.add_argument(
            "--builtin-vocabulary",
            action="store_true",
            help="ignore the corpora, use the built-in word list",
        )

    def handle(self, *args, **options) -> None:
        count, seed, size = options["count"], options["seed"], options["batch"]
        if count < 0:
            raise CommandError("--count must be zero or more")
        if not 0 <= seed < 2**31:
            raise CommandError("--seed must be between 0 and 2147483647")
        if not 1 <= size <= 50000:
            raise CommandError("--batch must be between 1 and 50000")
        end = synthetic.default_end()
        if options["end"]:
            try:
                end = datetime.fromisoformat(options["end"]).replace(tzinfo=UTC)
            except ValueError as exc:
                raise CommandError(f"--end: {exc}") from None
        vocab = synthetic.load_vocabulary(
            options["corpora"], builtin=options["builtin_vocabulary"]
        )
        gen = synthetic.ArchiveGenerator(seed, end, vocab)
        to_stdout = str(options["output"]) == "-"
        if to_stdout:  # the archive is stdout: what is said goes to stderr
            self.said = self.stderr
        self.log(
            f"seed {seed}, archive ends {end:%Y-%m-%d}, "
            f"{len(vocab.words):,} words from the {vocab.origin}"
        )
        started = time.perf_counter()
        jobs = max(1, options["jobs"])
        if options["output"]:
            stream = synthetic.batches(gen, 0, count, size, jobs)
            try:
                if to_stdout:
                    n = synthetic.write_lines(_Stdout(self.stdout), stream, seed)
                    self.stdout.flush()
                else:
                    n = synthetic.write_jsonl(options["output"], stream, seed)
            except BrokenPipeError:
                _quiet_stdout()  # the reader (head, a pager) has gone
                raise CommandError("standard output was closed") from None
            except OSError as exc:
                raise CommandError(f"cannot write {options['output']}: {exc}") from exc
            self.done(f"{n:,} articles written to {options['output']}", n, started)
            return
        self.to_database(gen, count, size, jobs, not options["no_outbox"], started)

    def to_database(self, gen, count, size, jobs, outbox, started) -> None:
        existing = set(
            Article.objects.filter(
                source=synthetic.SOURCE, source_id__startswith=f"{gen.seed}-"
            ).values_list("source_id", flat=True)
        )
        sections = ensure_sections()
        authors = ensure_named(Author, gen.authors)
        tags = ensure_named(Tag, gen.tags)
        with ExitStack() as stack:
            written = self._batches(
                gen,
                count,
                size,
                jobs,
                outbox,
                started,
                existing,
                (sections, authors, tags),
                stack,
            )
        kept = count - written
        outbox_note = "with search outbox rows" if outbox else "no outbox rows"
        self.done(
            f"{written:,} articles created, {kept:,} already there ({outbox_note})",
            written,
            started,
        )

    def _batches(
        self, gen, count, size, jobs, outbox, started, existing, names, stack: ExitStack
    ) -> int:
        sections, authors, tags = names
        written = 0
        tuned = False
        for items in synthetic.batches(gen, 0, count, size, jobs):
            fresh = [a for a in items if a.source_id not in existing]
            if fresh:
                if not tuned:
                    # After the first batch: the text workers are forked by
                    # then, before the checkpoint thread exists. Rows arrive
                    # in random slug and date order, so the indexes need a
                    # big page cache once they outgrow SQLite's 2 MB.
                    stack.enter_context(sqlite_bulk_writes(cache_mb=512))
                    tuned = True
                try:
                    insert_batch(fresh, sections, authors, tags, outbox)
                except IntegrityError as exc:
                    raise CommandError(
                        f"could not insert articles {fresh[0].index}..: {exc}"
                    ) from exc
            written += len(fresh)
            done = items[-1].index + 1
            if done % (size * 25) < size or done == count:
                rate = done / max(time.perf_counter() - started, 1e-9)
                self.log(f"  {done:,} / {count:,} ({rate:,.0f} articles/s)")
        return written

    def log(self, text: str) -> None:
        if self.verbosity >= 1:
            self.said.write(text, style_func=_plain)

    def done(self, text: str, n: int, started: float) -> None:
        took = time.perf_counter() - started
        line = f"{text} in {took:.1f} s ({n / max(took, 1e-9):,.0f}/s)"
        self.said.write(line, style_func=_plain)

    def execute(self, *args, **options):
        self.verbosity = options.get("verbosity", 1)
        self.said = self.stdout  # where progress and the summary go
        return super().execute(*args, **options)


def _plain(text: str) -> str:
    return text  # stderr's own style is the error colour: not for progress


class _Stdout:
    """The command's stdout as a plain text stream (no line endings added)."""

    def __init__(self, out) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")


def _quiet_stdout() -> None:
    """Point the process's stdout at /dev/null, so the interpreter's last
    flush at exit does not print a BrokenPipeError of its own (Python's
    documented way, see the signal module's notes on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's StringIO): nothing will flush
