"""Django's admin app, with this project's site (newsroom/web/admin_site.py).

Kept apart from the site's module: an app config module is imported before
the models are ready, and the site's login form needs them.
"""

from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    default_site = "newsroom.web.admin_site.NewsroomAdminSite"
