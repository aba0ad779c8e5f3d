"""manage.py import_articles SOURCE: bring an existing archive in."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from newsroom.ingest.pipeline import Options, run_import
from newsroom.ingest.sources import FORMATS, SourceError, is_url, shown


class Command(BaseCommand):
    help = (
        "Import articles from JSON Lines / CSV (plain or gzip), RSS/Atom (file or "
        "URL), a WordPress export (WXR), HTML pages or crawled text pages. "
        "Re-running adds nothing; bad records are reported and skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="file, directory or http(s) URL")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="",
            help="the source's format (detected when not given)",
        )
        parser.add_argument(
            "--section", default="", help="put every article in this section"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read and check everything, write nothing",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="stop after N records"
        )
        parser.add_argument(
            "--batch-size", type=int, default=0, help="records per transaction"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="processes rendering Markdown (bulk imports)",
        )
        parser.add_argument(
            "--progress", choices=["auto", "bar", "lines", "none"], default="auto"
        )
        parser.add_argument(
            "--undated",
            default="",
            metavar="DATE",
            help="the publication date for records that have none (YYYY-MM-DD "
            "or an ISO date and time); without it they are imported as drafts",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace articles an editor changed or withdrew since the import",
        )
        parser.add_argument(
            "--source",
            dest="source_name",
            default="",
            metavar="NAME",
            help="import every record under this source name, even one another "
            "import created",
        )
        parser.add_argument(
            "--encoding",
            default="",
            metavar="NAME",
            help="a CSV file's encoding, e.g. cp932 for Japanese Excel (default "
            "UTF-8; a UTF-16 file is known by its BOM)",
        )
        parser.add_argument(
            "--skip-protected",
            action="store_true",
            help="skip password-protected and private posts (default: drafts)",
        )

    def handle(self, *args, **opts) -> None:
        if opts["limit"] is not None and opts["limit"] < 0:
            raise CommandError("--limit must be zero or more")
        undated = None
        if opts["undated"]:
            try:  # shaped like a date but naming none (month 99): ValueError
                undated = parse_datetime(opts["undated"]) or (
                    datetime.combine(parse_date(opts["undated"]), time(12))
                    if parse_date(opts["undated"])
                    else None
                )
            except ValueError:
                undated = None
            if undated is None:
                raise CommandError("--undated takes YYYY-MM-DD or an ISO date-time")
            if timezone.is_naive(undated):
                undated = timezone.make_aware(undated, UTC)
        if opts["encoding"]:
            try:
                codecs.lookup(opts["encoding"])
            except LookupError:
                raise CommandError(
                    f"unknown encoding: {opts['encoding'][:100]!r}"
                ) from None
        options = Options(
            source=opts["source"],
            fmt=opts["format"],
            section=opts["section"],
            dry_run=opts["dry_run"],
            limit=opts["limit"],
            batch_size=opts["batch_size"],
            workers=opts["workers"],
            progress=opts["progress"],
            undated=undated,
            skip_withheld=opts["skip_protected"],
            overwrite=opts["overwrite"],
            source_name=opts["source_name"],
            encoding=opts["encoding"],
        )
        try:
            summary = run_import(options, err=self.stderr)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            summary.line(dry_run=options.dry_run, skip_withheld=options.skip_withheld)
        )
        if not summary.read and options.limit != 0:
            said = (
                f"no record found in {shown(options.source)[:200]}; "
                "nothing was imported"
            )
            source = str(options.source)
            if is_url(source) or Path(source).is_dir():
                # A feed or a drop folder polled by cron is often empty for
                # now: said, not a failure (cron would mail it every run).
                self.stderr.write(said)
            else:
                # A file named on purpose with no record in it (cut short,
                # the wrong one) is not an import that worked.
                raise CommandError(said)
        if summary.read and summary.bad == summary.read:
            # A script (cron, CI) must not take a run that imported nothing
            # it read for a good one.
            raise CommandError(
                f"every record was refused ({summary.bad} bad, see above); "
                "nothing was imported"
            )
