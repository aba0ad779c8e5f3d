from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _sync_roles(sender, **kwargs) -> None:
    from django.apps import apps as registry

    # post_migrate is sent once per app, in INSTALLED_APPS order, and each
    # app's permissions are made by its own signal: sync after the last one.
    if sender is list(registry.get_app_configs())[-1]:
        from .roles import sync_roles

        sync_roles()


def _content_changed(sender, **kwargs) -> None:
    from newsroom.core import versions

    versions.bump()


def _story_saved(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or (update_fields is not None and "body_html" not in update_fields):
        return
    from .pictures import record

    record({instance.pk: instance.body_html})


def _stories_written(sender, article_ids, html=None, **kwargs) -> None:
    from .pictures import record_written

    record_written(article_ids, html)


def _picture_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if created or raw:
        return  # a new picture: no story was made with it
    from .pictures import render_showing

    render_showing(instance)


class ArticlesConfig(AppConfig):
    name = "newsroom.articles"
    label = "articles"
    verbose_name = "Articles"

    def ready(self) -> None:
        # After every migrate, so a role picks up the permissions of apps and
        # models added since the data migration.
        post_migrate.connect(_sync_roles, dispatch_uid="newsroom.articles.roles")

        # What readers see changed: kept pages, feeds, the menu and related
        # stories start again (newsroom.core.versions), on every node.
        from . import models
        from .signals import articles_written

        uid = "newsroom.articles.version"
        for model in (
            models.Article,
            models.Section,
            models.Tag,
            models.Author,
            models.Byline,
            models.ArticleNote,
        ):
            name = model.__name__
            post_save.connect(
                _content_changed, sender=model, dispatch_uid=f"{uid}.s.{name}"
            )
            post_delete.connect(
                _content_changed, sender=model, dispatch_uid=f"{uid}.d.{name}"
            )
        articles_written.connect(_content_changed, dispatch_uid=f"{uid}.bulk")

        # Which library pictures each story's body shows, written with its
        # HTML; a picture's edit makes those stories' HTML again (pictures.py).
        from newsroom.media.models import Image

        uid = "newsroom.articles.pictures"
        post_save.connect(_story_saved, sender=models.Article, dispatch_uid=f"{uid}.s")
        articles_written.connect(_stories_written, dispatch_uid=f"{uid}.bulk")
        post_save.connect(_picture_saved, sender=Image, dispatch_uid=f"{uid}.edit")
