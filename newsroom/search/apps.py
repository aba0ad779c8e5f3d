from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "newsroom.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from . import signals

        signals.connect()
