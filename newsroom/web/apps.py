from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "newsroom.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from newsroom.core.registry import pages

        from .views import render_article

        pages.register("article", render_article)
        # Kept reader pages go when public content changes: the articles app
        # bumps newsroom.core.versions, which the front cache watches.
