"""WSGI entry point (granian or gunicorn: newsroom.wsgi:application).

The front cache (newsroom/web/front.py) answers anonymous page reads before
Django when NEWSROOM_PAGE_CACHE_SECONDS > 0; otherwise it passes through.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.prod")
django_application = get_wsgi_application()

from newsroom.web.front import wrap  # noqa: E402 - needs the settings configured

application = wrap(django_application)
