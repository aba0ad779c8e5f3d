"""Restore a backup made by ``manage.py backup``, then rebuild the search index."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from newsroom.ops import backups
from newsroom.search import indexer, nodes
from newsroom.search.backends import get_backend


class Command(BaseCommand):
    help = (
        "Replace the database and var/media with a backup's (and the secret "
        "key with --with-secret-key), then rebuild this machine's search "
        "index from the database. Other nodes' indexers notice the restore "
        "and rebuild theirs. Stop the web servers first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dir", type=Path)
        parser.add_argument("--with-secret-key", action="store_true")
        parser.add_argument(
            "--no-rebuild",
            action="store_true",
            help="leave the search index to the indexer (it rebuilds on start)",
        )
        parser.add_argument(
            "--yes", action="store_true", help="do not ask before replacing data"
        )

    def handle(self, *args, dir: Path, with_secret_key: bool, **options) -> None:
        try:
            manifest = backups.read_manifest(dir)
            backups.refuse_a_missing_key(manifest, with_secret_key)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not options["yes"]:
            try:
                answer = input(
                    f"Replace this site's database and media with the backup of "
                    f"{manifest['created_at']}? Type 'yes': "
                )
            except EOFError:  # a script: nobody to answer
                raise CommandError(
                    "restore cancelled: no answer (give --yes)"
                ) from None
            if answer.strip() != "yes":
                raise CommandError("restore cancelled")
        try:
            # Every index built before this restore rebuilds: the epoch moves
            # as soon as the database is replaced, even if the media fail.
            backups.restore(
                dir, with_secret_key=with_secret_key, database_restored=nodes.new_epoch
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored the backup of {manifest['created_at']}")
        if manifest.get("secret_key") and not with_secret_key:
            self.stdout.write(
                "the backup's secret key was left: this machine's key signs "
                "from now on (--with-secret-key restores it)"
            )
        if not options["no_rebuild"]:
            generation, count = indexer.rebuild(get_backend(), wait=120)
            self.stdout.write(f"search index rebuilt: {count} documents ({generation})")
