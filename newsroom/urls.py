"""The one place URLs are wired; each app owns its own urls module."""

from django.contrib import admin
from django.urls import include, path

from newsroom.api_v1 import api
from newsroom.web import health

admin.site.site_header = "Newsroom editors"
admin.site.site_title = "Newsroom"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("search/", include("newsroom.search.urls")),
    path("comments/", include("newsroom.comments.urls")),
    path("share/", include("newsroom.shares.urls")),
    path("media/", include("newsroom.media.urls")),  # renditions (docs/media.md)
    path("", include("newsroom.articles.urls")),  # feeds and sitemaps
    path("", include("newsroom.web.urls")),
]

# The site's own error pages (newsroom/web/errors.py); the API answers JSON
# whatever they say (newsroom/api/middleware.py).
handler400 = "newsroom.web.errors.bad_request"
handler403 = "newsroom.web.errors.permission_denied"
handler404 = "newsroom.web.errors.not_found"
handler500 = "newsroom.web.errors.server_error"
