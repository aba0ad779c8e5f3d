from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: state every app shares (rate limits, single-use spends)."""

    name = "newsroom.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core import checks

        from .conf import check_settings

        checks.register(check_settings)
