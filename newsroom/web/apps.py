from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _article_changed(sender, **kwargs) -> None:
    from .front import invalidate

    invalidate()


class WebConfig(AppConfig):
    name = "newsroom.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from newsroom.articles.models import Article
        from newsroom.core.registry import pages

        from .views import render_article

        pages.register("article", render_article)

        # Kept reader pages go when an article changes (every node, with Redis).
        uid = "newsroom.web.front"
        post_save.connect(_article_changed, sender=Article, dispatch_uid=f"{uid}.s")
        post_delete.connect(_article_changed, sender=Article, dispatch_uid=f"{uid}.d")
