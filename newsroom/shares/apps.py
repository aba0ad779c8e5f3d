from django.apps import AppConfig


class SharesConfig(AppConfig):
    name = "newsroom.shares"
    label = "shares"

    def ready(self) -> None:
        from . import popular

        popular.register()
