from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _picture_changed(sender, **kwargs) -> None:
    from newsroom.core import versions

    versions.bump()


class MediaConfig(AppConfig):
    """The picture library: uploads, checks, renditions and their serving.

    A lower layer: it knows nothing of articles (articles point at it).
    """

    name = "newsroom.media"
    label = "media"
    verbose_name = "Media library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A picture's alt text, focal point or file shows on kept pages
        # (front, sections, articles): an edit or a deletion starts them
        # again on every node, as an article's edit does (core.versions).
        from .models import Image

        uid = "newsroom.media.version"
        post_save.connect(_picture_changed, sender=Image, dispatch_uid=f"{uid}.s")
        post_delete.connect(_picture_changed, sender=Image, dispatch_uid=f"{uid}.d")
