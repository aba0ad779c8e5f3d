"""WSGI entry point (granian or gunicorn: newsroom.wsgi:application).

The front cache (newsroom/web/front.py) answers anonymous page reads before
Django when NEWSROOM_PAGE_CACHE_SECONDS > 0; otherwise it passes through.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.prod")
django_application = get_wsgi_application()

from newsroom.web.front import wrap  # noqa: E402 - needs the settings configured

application = wrap(django_application)

# What is loaded by now (Django, the apps, their modules: ~110,000 objects)
# lives as long as the process. Out of the collector's sight, a full
# collection no longer walks it: at 1M articles one took ~70 ms, about one
# in 240 search pages (~0.3 ms a request), and ~5 ms frozen (docs/search.md).
gc.freeze()
