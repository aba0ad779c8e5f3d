from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    from django.apps import apps as registry

    # post_migrate is sent once per app, in INSTALLED_APPS order, and each
    # app's permissions are made by its own signal: sync after the last one.
    if sender is list(registry.get_app_configs())[-1]:
        from .roles import sync_roles

        sync_roles()


class ArticlesConfig(AppConfig):
    name = "newsroom.articles"
    label = "articles"
    verbose_name = "Articles"

    def ready(self) -> None:
        # After every migrate, so a role picks up the permissions of apps and
        # models added since the data migration.
        post_migrate.connect(_sync_roles, dispatch_uid="newsroom.articles.roles")
