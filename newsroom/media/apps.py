from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _picture_changed(sender, **kwargs) -> None:
    from newsroom.core import versions

    versions.bump()


def _picture_deleted(sender, instance, **kwargs) -> None:
    from django.db import transaction

    from .renditions import remove_files

    # After the commit: a deletion rolled back keeps its files.
    key, original = instance.key, instance.file.name
    transaction.on_commit(lambda: remove_files(key, original), robust=True)


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
        # A deleted picture's files go with it (renditions.remove_files).
        post_delete.connect(
            _picture_deleted, sender=Image, dispatch_uid="newsroom.media.files"
        )
