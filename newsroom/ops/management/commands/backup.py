"""Take a consistent backup: the database, var/media, the secret key if asked."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from newsroom.ops import backups


class Command(BaseCommand):
    help = (
        "Copy the database (SQLite's online backup API, or pg_dump on "
        "PostgreSQL) and var/media into DIR (new or empty, made 0700), with "
        "the secret key only when --with-secret-key is given. Safe while the "
        "site runs. The search index is rebuilt after a restore, not copied."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dir", type=Path)
        parser.add_argument("--with-secret-key", action="store_true")

    def handle(self, *args, dir: Path, with_secret_key: bool, **options) -> None:
        try:
            manifest = backups.backup(dir, with_secret_key=with_secret_key)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for link in manifest.get("links_left_out", []):
            self.stderr.write(
                f"var/media/{link} is a link back to a folder above it (a "
                "loop): left out of the backup"
            )
        self.stdout.write(
            f"backed up the {manifest['database']} database"
            f"{', var/media' if manifest['media'] else ''}"
            f"{' and the secret key' if with_secret_key else ''} into {dir}"
        )
