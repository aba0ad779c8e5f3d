"""The static files' storage: WhiteNoise's compressed, hashed files, with
each name's URL worked out once per process.

Every page's base template names eight static files; working out a hashed
URL (manifest lookup, quoting, joining) cost ~13 us a name and ~26 us a
``{% static %}`` tag, ~0.2 ms of a 5 ms search page at 1,000,000 articles
(bench/search.py). The manifest is read once when the process starts, so a
name's URL cannot change while it runs; only that answer is kept.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

KEPT_MAX = 4096  # names kept a process (a site has a few hundred files)


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force: bool = False) -> str:
        # DEBUG serves unhashed names and ``force`` (collectstatic) asks for
        # the manifest's answer itself: neither is kept.
        if force or settings.DEBUG:
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)  # a name not in the manifest raises
            if len(self._urls) < KEPT_MAX:
                self._urls[name] = found
        return found
