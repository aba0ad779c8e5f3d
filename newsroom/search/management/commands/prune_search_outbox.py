"""Delete outbox rows old enough that every index has applied them."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsroom.search.backends import get_backend
from newsroom.search.models import IndexChange


class Command(BaseCommand):
    help = (
        "Delete search outbox rows older than --days that this machine's index "
        "has applied. With several machines following one database, choose "
        "--days longer than any machine may lag: one further behind must rebuild."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=float, default=7.0)
        parser.add_argument("--backend", default="default", help="backend alias")

    def handle(self, *args, days: float, backend: str, **options) -> None:
        if days < 0:
            raise CommandError("--days must be zero or more")
        applied = get_backend(backend).last_outbox_id()
        cutoff = timezone.now() - timedelta(days=days)
        deleted, _ = IndexChange.objects.filter(
            id__lte=applied, created_at__lt=cutoff
        ).delete()
        self.stdout.write(
            f"deleted {deleted} outbox rows applied by the index (up to #{applied}) "
            f"and older than {days:g} days"
        )
