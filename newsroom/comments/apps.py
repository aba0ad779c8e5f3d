from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "newsroom.comments"
    label = "comments"

    def ready(self) -> None:
        from . import contributions

        contributions.register()
