"""Model signals -> outbox rows, in the transaction of the change itself.

``Article.save()``/``delete()`` wrap themselves in ``transaction.atomic``, so
these receivers write their outbox row in the same transaction: either both
the change and its outbox row commit, or neither does. The indexer reads the
database state of each article, so one row type ("something changed") covers
publish, edit, unpublish and scheduling alike.
"""

from __future__ import annotations

from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)

from newsroom.articles.models import Article, Author, Byline, Section, Tag
from newsroom.articles.signals import articles_written

from .models import IndexChange, enqueue

# Which fields of a related object the index shows or searches.
_SHOWN = {Section: ("name", "slug"), Tag: ("name", "slug"), Author: ("name", "slug")}
_ARTICLES_OF = {
    Section: lambda obj: Article.objects.filter(section=obj),
    Tag: lambda obj: Article.objects.filter(tags=obj),
    Author: lambda obj: Article.objects.filter(authors=obj),
}


def _article_saved(sender, instance: Article, raw=False, **kwargs) -> None:
    if not raw:
        enqueue([instance.pk])


def _article_deleted(sender, instance: Article, **kwargs) -> None:
    enqueue([instance.pk], IndexChange.Op.DELETE)


def _tags_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if not reverse:  # article.tags.add(...)
        if action != "pre_clear":
            enqueue([instance.pk])
    elif action == "pre_clear":  # tag.articles.clear(): find them before
        articles = Article.objects.filter(tags=instance)
        enqueue(list(articles.values_list("pk", flat=True)))
    elif action != "post_clear" and pk_set:
        enqueue(sorted(pk_set))


def _articles_written(sender, article_ids, **kwargs) -> None:
    enqueue(article_ids)


def _byline_changed(sender, instance: Byline, raw=False, **kwargs) -> None:
    if not raw:
        enqueue([instance.article_id])


def _remember_old_names(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    fields = _SHOWN[sender]
    old = sender.objects.filter(pk=instance.pk).values(*fields).first()
    instance._search_renamed = old is not None and any(
        old[f] != getattr(instance, f) for f in fields
    )


def _related_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw or created or not getattr(instance, "_search_renamed", False):
        return
    instance._search_renamed = False
    enqueue(_ARTICLES_OF[sender](instance).values_list("pk", flat=True).iterator())


def _related_deleting(sender, instance, **kwargs) -> None:
    # Cascades remove tag links without m2m signals; re-index those articles.
    enqueue(list(_ARTICLES_OF[sender](instance).values_list("pk", flat=True)))


def connect() -> None:
    uid = "newsroom.search"
    post_save.connect(_article_saved, sender=Article, dispatch_uid=f"{uid}.a.save")
    post_delete.connect(_article_deleted, sender=Article, dispatch_uid=f"{uid}.a.del")
    m2m_changed.connect(
        _tags_changed, sender=Article.tags.through, dispatch_uid=f"{uid}.tags"
    )
    articles_written.connect(_articles_written, dispatch_uid=f"{uid}.bulk")
    post_save.connect(_byline_changed, sender=Byline, dispatch_uid=f"{uid}.b.save")
    post_delete.connect(_byline_changed, sender=Byline, dispatch_uid=f"{uid}.b.del")
    for model in (Section, Tag, Author):
        name = model.__name__
        pre_save.connect(
            _remember_old_names, sender=model, dispatch_uid=f"{uid}.{name}.pre"
        )
        post_save.connect(
            _related_saved, sender=model, dispatch_uid=f"{uid}.{name}.post"
        )
        pre_delete.connect(
            _related_deleting, sender=model, dispatch_uid=f"{uid}.{name}.del"
        )
