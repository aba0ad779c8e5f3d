"""Which import a source name belongs to.

A record names its source (``source`` in JSON Lines, the site of a WordPress
export, a feed's link), and (source, source id) is how a re-run finds the
article again. Left at that, any file could name another import's source and
overwrite its articles. So the first import to use a source name claims it
for its origin (the path or URL it was given); a later import from another
origin that names the same source gets a bad record per record, unless the
operator passes ``--source NAME``, which imports every record under NAME.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import SourceClaim
from .records import Record, RecordProblem


class Claims:
    def __init__(self, *, origin: str, forced: str = "", dry_run: bool = False):
        self.origin = origin[:500]
        self.forced = forced.strip()[:200]
        self.dry_run = dry_run
        self.decided: dict[str, str] = {}  # source -> "" (allowed) or the owner

    def check(self, record: Record) -> None:
        """Allow the record's source, or raise RecordProblem."""
        if self.forced:
            record.source = self.forced
            return
        owner = self.decided.get(record.source)
        if owner is None:
            owner = self.decided[record.source] = self._owner(record.source)
        if owner:
            raise RecordProblem(
                f"source {record.source!r} belongs to another import ({owner}); "
                f"pass --source {record.source!r} to import into it"
            )

    def _owner(self, source: str) -> str:
        """ "" when this import may use ``source`` (claiming it if free)."""
        found = SourceClaim.objects.filter(name=source).first()
        if found is None and not self.dry_run:
            try:
                with transaction.atomic():
                    SourceClaim.objects.create(name=source, origin=self.origin)
                return ""
            except IntegrityError:  # another import claimed it just now
                found = SourceClaim.objects.filter(name=source).first()
        if found is None or found.origin == self.origin:
            return ""
        return found.origin
