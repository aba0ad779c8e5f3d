from django.apps import AppConfig


class MediaConfig(AppConfig):
    """The picture library: uploads, checks, renditions and their serving.

    A lower layer: it knows nothing of articles (articles point at it).
    """

    name = "newsroom.media"
    label = "media"
    verbose_name = "Media library"
    default_auto_field = "django.db.models.BigAutoField"
